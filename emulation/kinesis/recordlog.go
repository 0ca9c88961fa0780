package kinesis

import (
	"sort"
	"time"
)

// recordLog holds one shard's records in arrival order, in fixed-size
// chunks: appending never moves the records already stored (a single slice
// would copy them all each time it grows), and expired records leave a
// chunk at a time.
type recordLog struct {
	chunks [][]record // every chunk but the last is full
	off    int        // index of the first live record in chunks[0]
	n      int        // live records
}

const recordChunk = 1024

func (l *recordLog) len() int { return l.n }

// at returns the i-th live record.
func (l *recordLog) at(i int) *record {
	i += l.off
	return &l.chunks[i/recordChunk][i%recordChunk]
}

func (l *recordLog) append(r record) {
	if k := len(l.chunks); k == 0 || len(l.chunks[k-1]) == recordChunk {
		l.chunks = append(l.chunks, make([]record, 0, recordChunk))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, r)
	l.n++
}

// search returns the index of the first record whose position is at least
// pos (len() if none).
func (l *recordLog) search(pos uint64) int {
	return sort.Search(l.n, func(i int) bool { return l.at(i).pos >= pos })
}

// searchTime returns the index of the first record that arrived at or after
// t (len() if none).
func (l *recordLog) searchTime(t time.Time) int {
	return sort.Search(l.n, func(i int) bool { return !l.at(i).arrival.Before(t) })
}

// trim drops the records that arrived more than retention before now.
func (l *recordLog) trim(now time.Time, retention time.Duration) {
	if l.n == 0 || now.Sub(l.at(0).arrival) <= retention {
		return
	}
	cut := sort.Search(l.n, func(i int) bool { return now.Sub(l.at(i).arrival) <= retention })
	l.off += cut
	l.n -= cut
	for len(l.chunks) > 0 && l.off >= len(l.chunks[0]) {
		l.off -= len(l.chunks[0])
		l.chunks[0] = nil
		l.chunks = l.chunks[1:]
	}
}
