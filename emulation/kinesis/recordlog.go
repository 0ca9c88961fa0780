package kinesis

import (
	"bytes"
	"compress/flate"
	"io"
	"sort"
	"time"
)

// recordLog holds one shard's records in arrival order, compactly: in
// chunks of recordChunk records, each with its partition keys and data in
// one byte arena and a small fixed-size entry per record (no allocation per
// record, no sequence number string: it is derived from the position and
// the arrival). A chunk that is full is sealed: its arena is compressed
// (DEFLATE; JSON records shrink several times), since readers such as
// Firehose mostly read records before their chunk fills. Appending never
// moves records already stored, and expired records leave a chunk at a time.
type recordLog struct {
	chunks []*recordChunk // every chunk but the last is sealed
	off    int            // index of the first live record in chunks[0]
	n      int            // live records

	// cache is the last sealed chunk read, decompressed.
	cache      *recordChunk
	cacheArena []byte
}

const recordChunkLen = 1024

// recordEntry locates one record in its chunk's arena.
type recordEntry struct {
	pos     uint64
	arrival int64 // Unix nanoseconds
	keyOff  uint32
	dataOff uint32
	keyLen  uint16
	dataLen uint32
}

type recordChunk struct {
	entries []recordEntry
	arena   []byte // keys and data, while the chunk is open
	packed  []byte // the arena compressed, once sealed
}

func (l *recordLog) len() int { return l.n }

func (l *recordLog) entry(i int) *recordEntry {
	i += l.off
	return &l.chunks[i/recordChunkLen].entries[i%recordChunkLen]
}

// pos is the i-th live record's position in the stream.
func (l *recordLog) pos(i int) uint64 { return l.entry(i).pos }

// arrival is the i-th live record's arrival time.
func (l *recordLog) arrival(i int) time.Time { return time.Unix(0, l.entry(i).arrival) }

// get returns the i-th live record's partition key and data. The data is
// shared with the log and must not be modified.
func (l *recordLog) get(i int) (key string, data []byte) {
	i += l.off
	c := l.chunks[i/recordChunkLen]
	e := &c.entries[i%recordChunkLen]
	arena := c.arena
	if c.packed != nil {
		arena = l.unpacked(c)
	}
	return string(arena[e.keyOff : e.keyOff+uint32(e.keyLen)]), arena[e.dataOff : e.dataOff+e.dataLen : e.dataOff+e.dataLen]
}

// unpacked returns a sealed chunk's arena, decompressing it unless it is the
// one decompressed last.
func (l *recordLog) unpacked(c *recordChunk) []byte {
	if l.cache == c {
		return l.cacheArena
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(c.packed)))
	if err != nil {
		panic("kinesis: a sealed record chunk does not decompress: " + err.Error()) // written by seal
	}
	l.cache, l.cacheArena = c, b
	return b
}

// append stores a record; key and data are copied.
func (l *recordLog) append(pos uint64, arrival time.Time, key string, data []byte) {
	k := len(l.chunks)
	if k == 0 || len(l.chunks[k-1].entries) == recordChunkLen {
		if k > 0 {
			l.chunks[k-1].seal()
		}
		l.chunks = append(l.chunks, &recordChunk{entries: make([]recordEntry, 0, recordChunkLen)})
	}
	c := l.chunks[len(l.chunks)-1]
	e := recordEntry{pos: pos, arrival: arrival.UnixNano(), keyOff: uint32(len(c.arena)), keyLen: uint16(len(key))}
	c.arena = append(c.arena, key...)
	e.dataOff, e.dataLen = uint32(len(c.arena)), uint32(len(data))
	c.arena = append(c.arena, data...)
	c.entries = append(c.entries, e)
	l.n++
}

// seal compresses a full chunk's arena.
func (c *recordChunk) seal() {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	_, _ = w.Write(c.arena)
	_ = w.Close()
	c.packed = bytes.Clone(b.Bytes())
	c.arena = nil
}

// search returns the index of the first record whose position is at least
// pos (len() if none).
func (l *recordLog) search(pos uint64) int {
	return sort.Search(l.n, func(i int) bool { return l.pos(i) >= pos })
}

// searchTime returns the index of the first record that arrived at or after
// t (len() if none).
func (l *recordLog) searchTime(t time.Time) int {
	ns := t.UnixNano()
	return sort.Search(l.n, func(i int) bool { return l.entry(i).arrival >= ns })
}

// trim drops the records that arrived more than retention before now.
func (l *recordLog) trim(now time.Time, retention time.Duration) {
	if l.n == 0 || now.Sub(l.arrival(0)) <= retention {
		return
	}
	cut := sort.Search(l.n, func(i int) bool { return now.Sub(l.arrival(i)) <= retention })
	l.off += cut
	l.n -= cut
	for len(l.chunks) > 0 && l.off >= len(l.chunks[0].entries) {
		l.off -= len(l.chunks[0].entries)
		if l.cache == l.chunks[0] {
			l.cache, l.cacheArena = nil, nil
		}
		l.chunks[0] = nil
		l.chunks = l.chunks[1:]
	}
}
