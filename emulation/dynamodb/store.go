package dynamodb

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"sort"
)

// Storage of one table's items, built to hold tens of millions of small
// items in little memory and with almost no pointers for the garbage
// collector to chase:
//
//   - each item is one record (see codec.go) appended to an arena of large
//     byte chunks, addressed by a ref (chunk index and offset);
//   - an index orders the items by (hash of the partition key, partition
//     key, sort key), DynamoDB's own order; it is a directory of buckets
//     selected by the top bits of the hash, each a sorted slice of
//     {hash, ref} pairs. When buckets grow too full the directory doubles and
//     each bucket splits in two by the next bit of the hash, which keeps the
//     order. Scans walk this order, so a LastEvaluatedKey resumes where it
//     stopped even if items were written in between, and a parallel scan's
//     segment is a contiguous range of hashes;
//   - replaced and deleted records are left in the arena as garbage and
//     copied away when the garbage outgrows the live data.

// ref addresses a record: chunk index in the high 32 bits, offset in the low.
type ref uint64

const (
	firstChunk = 64 << 10
	maxChunk   = 4 << 20
)

type arena struct {
	chunks [][]byte
}

// add copies rec, prefixed by its length, into the arena.
func (a *arena) add(rec []byte) ref {
	need := uvarintLen(uint64(len(rec))) + len(rec)
	n := len(a.chunks)
	if n == 0 || cap(a.chunks[n-1])-len(a.chunks[n-1]) < need {
		size := firstChunk
		if n > 0 {
			size = min(2*cap(a.chunks[n-1]), maxChunk)
		}
		size = max(size, need)
		a.chunks = append(a.chunks, make([]byte, 0, size))
		n++
	}
	c := a.chunks[n-1]
	off := len(c)
	c = binary.AppendUvarint(c, uint64(len(rec)))
	c = append(c, rec...)
	a.chunks[n-1] = c
	return ref(uint64(n-1)<<32 | uint64(off))
}

// get returns the record at r (without its length prefix). The bytes never
// move while the arena lives.
func (a *arena) get(r ref) []byte {
	c := a.chunks[r>>32][uint32(r):]
	l, n := binary.Uvarint(c)
	return c[n : n+int(l)]
}

func (a *arena) bytes() int {
	s := 0
	for _, c := range a.chunks {
		s += cap(c)
	}
	return s
}

func uvarintLen(v uint64) int {
	return (bits.Len64(v|1) + 6) / 7
}

// entry is one item in the index.
type entry struct {
	hash uint64
	ref  ref
}

const (
	bucketTarget = 48 // average entries per bucket before the directory doubles
	minShift     = 64 - 28
)

// store holds a table's items.
type store struct {
	hashTag, rangeTag byte // rangeTag is 0 for a hash-only table
	hashName          string
	rangeName         string

	names   map[string]uint32
	nameIDs []string

	arena   arena
	shift   uint // bucket = hash >> shift (64 for a single bucket)
	buckets [][]entry
	count   int
	size    int64 // sum of item sizes, as DynamoDB counts them
	live    int   // arena bytes of live records
	dead    int   // arena bytes of replaced and deleted records

	scratch []byte
}

func newStore(hashName string, hashTag byte, rangeName string, rangeTag byte) *store {
	s := &store{
		hashName: hashName, hashTag: hashTag, rangeName: rangeName, rangeTag: rangeTag,
		names: map[string]uint32{}, shift: 64, buckets: make([][]entry, 1),
	}
	s.intern(hashName)
	if rangeTag != 0 {
		s.intern(rangeName)
	}
	return s
}

func (s *store) intern(name string) uint32 {
	if id, ok := s.names[name]; ok {
		return id
	}
	id := uint32(len(s.nameIDs))
	s.names[name] = id
	s.nameIDs = append(s.nameIDs, name)
	return id
}

// hashKey is the partition hash: FNV-1a finished with a 64-bit mixer, so
// that the top bits (bucket, segment) are evenly spread.
func hashKey(pk []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range pk {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb93fe51a87e5
	h ^= h >> 33
	return h
}

// encode builds the record of a validated item whose key attributes are
// present and of the schema's types. The result is valid until the next call.
func (s *store) encode(it Item) []byte {
	b := append(s.scratch[:0], 0, 0, 0, 0) // room for the size
	b = binary.AppendUvarint(b, uint64(len(it)))
	size := 0
	attr := func(name string) {
		b = binary.AppendUvarint(b, uint64(s.intern(name)))
		var vs int
		b, vs = appendValueSize(b, it[name])
		size += len(name) + vs
	}
	attr(s.hashName)
	if s.rangeTag != 0 {
		attr(s.rangeName)
	}
	var small [16]string
	rest := small[:0]
	for k := range it {
		if k != s.hashName && (s.rangeTag == 0 || k != s.rangeName) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		attr(k)
	}
	// The size goes just before the attributes, in as few bytes as it
	// needs (items are at most 400 KB: three).
	n := uvarintLen(uint64(size))
	binary.PutUvarint(b[4-n:], uint64(size))
	s.scratch = b
	return b[4-n:]
}

// recordReader returns a reader of a record's attributes, after its size.
func recordReader(rec []byte) reader {
	r := reader{b: rec}
	r.uvarint()
	return r
}

// recordKey reads the key values from a record.
func (s *store) recordKey(rec []byte) (pk, sk []byte) {
	r := recordReader(rec)
	r.uvarint()
	r.uvarint()
	r.byte()
	pk = r.bytes()
	if s.rangeTag != 0 {
		r.uvarint()
		r.byte()
		sk = r.bytes()
	}
	return pk, sk
}

// recordSize is the item size of a record as DynamoDB counts it.
func (s *store) recordSize(rec []byte) int {
	v, _ := binary.Uvarint(rec)
	return int(v)
}

// pos is a place in the index order. skInf < 0 sorts before every sort key
// of the partition, > 0 after; 0 uses sk.
type pos struct {
	hash  uint64
	pk    []byte
	sk    []byte
	skInf int
}

func (s *store) posOf(pk, sk []byte) pos {
	return pos{hash: hashKey(pk), pk: pk, sk: sk}
}

// cmp compares the item of e with p.
func (s *store) cmp(e entry, p pos) int {
	if e.hash != p.hash {
		if e.hash < p.hash {
			return -1
		}
		return 1
	}
	epk, esk := s.recordKey(s.arena.get(e.ref))
	if c := bytes.Compare(epk, p.pk); c != 0 {
		return c
	}
	if s.rangeTag == 0 {
		return 0
	}
	if p.skInf != 0 {
		return -p.skInf
	}
	return compareScalar(s.rangeTag, esk, p.sk)
}

func (s *store) bucketOf(h uint64) int { return int(h >> s.shift) }

// lowerBound is the index in p's bucket of the first item >= p.
func (s *store) lowerBound(p pos) (bucket, i int) {
	bucket = s.bucketOf(p.hash)
	b := s.buckets[bucket]
	return bucket, sort.Search(len(b), func(i int) bool { return s.cmp(b[i], p) >= 0 })
}

// upperBound is the index in p's bucket of the first item > p.
func (s *store) upperBound(p pos) (bucket, i int) {
	bucket = s.bucketOf(p.hash)
	b := s.buckets[bucket]
	return bucket, sort.Search(len(b), func(i int) bool { return s.cmp(b[i], p) > 0 })
}

// hashLowerBound is the first place whose hash is >= h.
func (s *store) hashLowerBound(h uint64) (bucket, i int) {
	bucket = s.bucketOf(h)
	b := s.buckets[bucket]
	return bucket, sort.Search(len(b), func(i int) bool { return b[i].hash >= h })
}

// find returns the record with this key.
func (s *store) find(pk, sk []byte) ([]byte, bool) {
	p := s.posOf(pk, sk)
	bi, i := s.lowerBound(p)
	b := s.buckets[bi]
	if i < len(b) && s.cmp(b[i], p) == 0 {
		return s.arena.get(b[i].ref), true
	}
	return nil, false
}

// put stores rec (an encoded item with key pk, sk), replacing any item with
// the same key; it returns the replaced record.
func (s *store) put(rec, pk, sk []byte) (old []byte, replaced bool) {
	p := s.posOf(pk, sk)
	bi, i := s.lowerBound(p)
	b := s.buckets[bi]
	size := int64(s.recordSize(rec))
	if i < len(b) && s.cmp(b[i], p) == 0 {
		old = s.arena.get(b[i].ref)
		s.size -= int64(s.recordSize(old))
		oldLen := len(old) + uvarintLen(uint64(len(old)))
		s.dead += oldLen
		s.live -= oldLen
		b[i].ref = s.arena.add(rec)
		s.live += len(rec) + uvarintLen(uint64(len(rec)))
		s.size += size
		// old stays valid even if compaction drops its chunk: the caller
		// holds the slice.
		s.maybeCompact()
		return old, true
	}
	e := entry{hash: p.hash, ref: s.arena.add(rec)}
	s.live += len(rec) + uvarintLen(uint64(len(rec)))
	s.size += size
	if len(b) == cap(b) {
		nb := make([]entry, len(b)+1, cap(b)+cap(b)/4+4)
		copy(nb, b[:i])
		copy(nb[i+1:], b[i:])
		b = nb
	} else {
		b = b[:len(b)+1]
		copy(b[i+1:], b[i:])
	}
	b[i] = e
	s.buckets[bi] = b
	s.count++
	if s.count > len(s.buckets)*bucketTarget && s.shift > minShift {
		s.split()
	}
	return nil, false
}

// remove deletes the item with this key and returns its record.
func (s *store) remove(pk, sk []byte) ([]byte, bool) {
	p := s.posOf(pk, sk)
	bi, i := s.lowerBound(p)
	b := s.buckets[bi]
	if i >= len(b) || s.cmp(b[i], p) != 0 {
		return nil, false
	}
	old := s.arena.get(b[i].ref)
	s.size -= int64(s.recordSize(old))
	oldLen := len(old) + uvarintLen(uint64(len(old)))
	s.dead += oldLen
	s.live -= oldLen
	copy(b[i:], b[i+1:])
	b = b[:len(b)-1]
	if cap(b) > 64 && len(b) < cap(b)/4 {
		b = slices.Clone(b)
	}
	s.buckets[bi] = b
	s.count--
	s.maybeCompact()
	return old, true
}

// split doubles the directory; each bucket's sorted entries divide at the
// first one whose next hash bit is set.
func (s *store) split() {
	shift := s.shift - 1
	nb := make([][]entry, 2*len(s.buckets))
	for bi, b := range s.buckets {
		hiStart := uint64(2*bi+1) << shift
		k := sort.Search(len(b), func(i int) bool { return b[i].hash >= hiStart })
		nb[2*bi] = cloneCap(b[:k])
		nb[2*bi+1] = cloneCap(b[k:])
	}
	s.buckets = nb
	s.shift = shift
}

func cloneCap(b []entry) []entry {
	if len(b) == 0 {
		return nil
	}
	c := make([]entry, len(b), len(b)+len(b)/8+1)
	copy(c, b)
	return c
}

// maybeCompact copies the live records into a fresh arena when the garbage
// outgrows them.
func (s *store) maybeCompact() {
	if s.dead < 64<<10 || s.dead < s.live {
		return
	}
	var na arena
	for _, b := range s.buckets {
		for i := range b {
			b[i].ref = na.add(s.arena.get(b[i].ref))
		}
	}
	s.arena = na
	s.dead = 0
}

// record wraps the bytes of a stored record.
func (s *store) record(b []byte) Record { return Record{b: b, names: s.nameIDs} }

// scan calls fn for the items of r in the index order.
func (s *store) scan(r ScanRange, fn func(Record) bool) {
	total := max(r.TotalSegments, 1)
	var c cursor
	switch {
	case r.Start != nil:
		c.bucket, c.i = s.upperBound(s.posOf(r.Start.Item.PK, r.Start.Item.SK))
	case total > 1:
		c.bucket, c.i = s.hashLowerBound(segmentStart(r.Segment, total))
	}
	for {
		e, ok := s.next(&c)
		if !ok || (total > 1 && segmentOf(e.hash, total) != r.Segment) {
			return
		}
		if !fn(s.record(s.arena.get(e.ref))) {
			return
		}
	}
}

// query calls fn for the items of q's partition whose sort key meets q.Sort,
// in sort-key order or reversed.
func (s *store) query(q QueryRange, fn func(Record) bool) {
	bi, lo, hi := s.sortRange(q.PK, q.Sort)
	b := s.buckets[bi]
	if q.Start != nil {
		sp := pos{hash: hashKey(q.PK), pk: q.PK, sk: q.Start.Item.SK}
		if q.Forward {
			lo = max(lo, sort.Search(len(b), func(i int) bool { return s.cmp(b[i], sp) > 0 }))
		} else {
			hi = min(hi, sort.Search(len(b), func(i int) bool { return s.cmp(b[i], sp) >= 0 }))
		}
	}
	for n := 0; n < hi-lo; n++ {
		i := lo + n
		if !q.Forward {
			i = hi - 1 - n
		}
		if !fn(s.record(s.arena.get(b[i].ref))) {
			return
		}
	}
}

// sortRange is the range [lo, hi) of bucket bi holding the partition pk's
// items whose sort key meets c.
func (s *store) sortRange(pk []byte, c SortCond) (bi, lo, hi int) {
	h := hashKey(pk)
	at := func(sk []byte, inf int, strict bool) int {
		p := pos{hash: h, pk: pk, sk: sk, skInf: inf}
		var i int
		if strict {
			_, i = s.upperBound(p)
		} else {
			_, i = s.lowerBound(p)
		}
		return i
	}
	bi = s.bucketOf(h)
	if s.rangeTag == 0 {
		return bi, at(nil, 0, false), at(nil, 0, true)
	}
	lo, hi = at(nil, -1, false), at(nil, 1, false)
	switch c.Op {
	case "=":
		lo, hi = at(c.Args[0], 0, false), at(c.Args[0], 0, true)
	case "<":
		hi = at(c.Args[0], 0, false)
	case "<=":
		hi = at(c.Args[0], 0, true)
	case ">":
		lo = at(c.Args[0], 0, true)
	case ">=":
		lo = at(c.Args[0], 0, false)
	case "BETWEEN":
		lo, hi = at(c.Args[0], 0, false), at(c.Args[1], 0, true)
	case "begins_with":
		lo = at(c.Args[0], 0, false)
		if next := prefixSuccessor(c.Args[0]); next != nil {
			hi = at(next, 0, false)
		}
	}
	if hi < lo {
		hi = lo
	}
	return bi, lo, hi
}

// prefixSuccessor is the smallest byte string greater than every string
// with this prefix, or nil if there is none.
func prefixSuccessor(p []byte) []byte {
	q := append([]byte{}, p...)
	for i := len(q) - 1; i >= 0; i-- {
		if q[i] < 0xff {
			q[i]++
			return q[:i+1]
		}
	}
	return nil
}

// cursor is a place in the index order: bucket and index within it.
type cursor struct {
	bucket, i int
}

// next returns the entry at c and advances, or false at the end.
func (s *store) next(c *cursor) (entry, bool) {
	for c.bucket < len(s.buckets) {
		b := s.buckets[c.bucket]
		if c.i < len(b) {
			e := b[c.i]
			c.i++
			return e, true
		}
		c.bucket++
		c.i = 0
	}
	return entry{}, false
}

// segmentOf is the parallel-scan segment of a hash: the hash space is cut
// into total equal ranges.
func segmentOf(h uint64, total int) int {
	hi, _ := bits.Mul64(h, uint64(total))
	return int(hi)
}

// segmentStart is the smallest hash of segment seg.
func segmentStart(seg, total int) uint64 {
	if seg == 0 {
		return 0
	}
	q, r := bits.Div64(uint64(seg), 0, uint64(total))
	if r != 0 {
		q++
	}
	return q
}
