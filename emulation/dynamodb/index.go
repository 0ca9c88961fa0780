package dynamodb

import (
	"bytes"
	"slices"
	"sort"
)

// memIndex is a secondary index held in memory: the projected copy of each
// item that has the index's key attributes, grouped by index partition key
// and ordered within a partition by (index sort key, item's primary key),
// so that equal index keys still have a definite order to resume after.
// Partitions are kept in the table's order, (hash of the key, key), so that
// a parallel scan's segment is a contiguous run of partitions.
//
// Secondary indexes are not on the pipeline's paths; this structure favours
// simplicity over the compactness of store.
type memIndex struct {
	schema            IndexSchema
	hashTag, rangeTag byte
	// the table's key types, to order equal index keys by primary key
	tableHashTag, tableRangeTag byte

	parts map[string]*ipart
	order []*ipart // by (hash, pk)
	count int64
	size  int64
}

type ipart struct {
	hash    uint64
	pk      []byte
	entries []ientry
}

type ientry struct {
	sk   []byte // index sort key; nil for a hash-only index
	item Key    // the item's primary key
	rec  []byte // the projected item
}

func newMemIndex(ix IndexSchema, s Schema) *memIndex {
	return &memIndex{
		schema: ix, hashTag: keyTag(ix.Hash.Type), rangeTag: keyTag(ix.Range.Type),
		tableHashTag: keyTag(s.Hash.Type), tableRangeTag: keyTag(s.Range.Type),
		parts: map[string]*ipart{},
	}
}

// cmpEntry orders an entry against an index sort key and item key.
func (ix *memIndex) cmpEntry(e *ientry, sk []byte, item Key) int {
	if ix.rangeTag != 0 {
		if c := compareScalar(ix.rangeTag, e.sk, sk); c != 0 {
			return c
		}
	}
	if c := compareScalar(ix.tableHashTag, e.item.PK, item.PK); c != 0 {
		return c
	}
	if ix.tableRangeTag != 0 {
		return compareScalar(ix.tableRangeTag, e.item.SK, item.SK)
	}
	return 0
}

func (ix *memIndex) cmpPart(p *ipart, h uint64, pk []byte) int {
	switch {
	case p.hash < h:
		return -1
	case p.hash > h:
		return 1
	}
	return bytes.Compare(p.pk, pk)
}

// keyOf returns the index key of a record, or false when the item is not
// in the index (a key attribute is missing or of another type).
func (ix *memIndex) keyOf(r Record) (Key, bool) {
	t, pk, ok := r.scalar(ix.schema.Hash.Name)
	if !ok || t != ix.hashTag {
		return Key{}, false
	}
	k := Key{PK: pk}
	if ix.rangeTag != 0 {
		t, sk, ok := r.scalar(ix.schema.Range.Name)
		if !ok || t != ix.rangeTag {
			return Key{}, false
		}
		k.SK = sk
	}
	return k, true
}

// add indexes the item whose stored record is r, with primary key item.
func (ix *memIndex) add(st *store, s *Schema, item Key, r Record) {
	k, ok := ix.keyOf(r)
	if !ok {
		return
	}
	rec := ix.project(st, s, r)
	h := hashKey(k.PK)
	p := ix.parts[string(k.PK)]
	if p == nil {
		p = &ipart{hash: h, pk: bytes.Clone(k.PK)}
		ix.parts[string(p.pk)] = p
		i := sort.Search(len(ix.order), func(i int) bool { return ix.cmpPart(ix.order[i], h, p.pk) >= 0 })
		ix.order = slices.Insert(ix.order, i, p)
	}
	e := ientry{sk: bytes.Clone(k.SK), item: Key{PK: bytes.Clone(item.PK), SK: bytes.Clone(item.SK)}, rec: rec}
	i := sort.Search(len(p.entries), func(i int) bool { return ix.cmpEntry(&p.entries[i], e.sk, e.item) >= 0 })
	p.entries = slices.Insert(p.entries, i, e)
	ix.count++
	ix.size += int64(st.record(rec).Size())
}

// remove drops the entry of the item whose stored record was r.
func (ix *memIndex) remove(st *store, item Key, r Record) {
	k, ok := ix.keyOf(r)
	if !ok {
		return
	}
	p := ix.parts[string(k.PK)]
	if p == nil {
		return
	}
	i := sort.Search(len(p.entries), func(i int) bool { return ix.cmpEntry(&p.entries[i], k.SK, item) >= 0 })
	if i == len(p.entries) || ix.cmpEntry(&p.entries[i], k.SK, item) != 0 {
		return
	}
	ix.size -= int64(st.record(p.entries[i].rec).Size())
	ix.count--
	p.entries = slices.Delete(p.entries, i, i+1)
	if len(p.entries) == 0 {
		delete(ix.parts, string(k.PK))
		j := sort.Search(len(ix.order), func(j int) bool { return ix.cmpPart(ix.order[j], p.hash, p.pk) >= 0 })
		if j < len(ix.order) && ix.order[j] == p {
			ix.order = slices.Delete(ix.order, j, j+1)
		}
	}
}

// project encodes the index's copy of a stored item: the table's and the
// index's keys and the projected attributes.
func (ix *memIndex) project(st *store, s *Schema, r Record) []byte {
	if ix.schema.Projection == "ALL" {
		return bytes.Clone(r.b)
	}
	keep := func(name string) bool {
		return name == s.Hash.Name || name == s.Range.Name && s.Range.Name != "" ||
			name == ix.schema.Hash.Name || name == ix.schema.Range.Name && ix.schema.Range.Name != "" ||
			ix.schema.projects(name)
	}
	it := Item{}
	rd := recordReader(r.b)
	n := rd.uvarint()
	for i := uint64(0); i < n && rd.err == nil; i++ {
		name := r.name(rd.uvarint())
		if keep(name) {
			it[name] = rd.decodeValue()
		} else {
			rd.skipValue()
		}
	}
	return bytes.Clone(st.encode(it))
}

// scan calls fn for the entries of r in the index order.
func (ix *memIndex) scan(st *store, r ScanRange, fn func(Record) bool) {
	total := max(r.TotalSegments, 1)
	pi, ei := 0, 0
	switch {
	case r.Start != nil:
		h := hashKey(r.Start.Index.PK)
		pi = sort.Search(len(ix.order), func(i int) bool { return ix.cmpPart(ix.order[i], h, r.Start.Index.PK) >= 0 })
		if pi < len(ix.order) && ix.cmpPart(ix.order[pi], h, r.Start.Index.PK) == 0 {
			p := ix.order[pi]
			ei = sort.Search(len(p.entries), func(i int) bool { return ix.cmpEntry(&p.entries[i], r.Start.Index.SK, r.Start.Item) > 0 })
		}
	case total > 1:
		start := segmentStart(r.Segment, total)
		pi = sort.Search(len(ix.order), func(i int) bool { return ix.order[i].hash >= start })
	}
	for ; pi < len(ix.order); pi, ei = pi+1, 0 {
		p := ix.order[pi]
		if total > 1 && segmentOf(p.hash, total) != r.Segment {
			return
		}
		for ; ei < len(p.entries); ei++ {
			if !fn(st.record(p.entries[ei].rec)) {
				return
			}
		}
	}
}

// query calls fn for the entries of q's partition whose index sort key
// meets q.Sort.
func (ix *memIndex) query(st *store, q QueryRange, fn func(Record) bool) {
	p := ix.parts[string(q.PK)]
	if p == nil {
		return
	}
	lo, hi := 0, len(p.entries)
	skAt := func(sk []byte, after bool) int {
		return sort.Search(len(p.entries), func(i int) bool {
			c := compareScalar(ix.rangeTag, p.entries[i].sk, sk)
			if after {
				return c > 0
			}
			return c >= 0
		})
	}
	if ix.rangeTag != 0 {
		c := q.Sort
		switch c.Op {
		case "=":
			lo, hi = skAt(c.Args[0], false), skAt(c.Args[0], true)
		case "<":
			hi = skAt(c.Args[0], false)
		case "<=":
			hi = skAt(c.Args[0], true)
		case ">":
			lo = skAt(c.Args[0], true)
		case ">=":
			lo = skAt(c.Args[0], false)
		case "BETWEEN":
			lo, hi = skAt(c.Args[0], false), skAt(c.Args[1], true)
		case "begins_with":
			lo = skAt(c.Args[0], false)
			if next := prefixSuccessor(c.Args[0]); next != nil {
				hi = skAt(next, false)
			}
		}
	}
	if q.Start != nil {
		at := func(after bool) int {
			return sort.Search(len(p.entries), func(i int) bool {
				c := ix.cmpEntry(&p.entries[i], q.Start.Index.SK, q.Start.Item)
				if after {
					return c > 0
				}
				return c >= 0
			})
		}
		if q.Forward {
			lo = max(lo, at(true))
		} else {
			hi = min(hi, at(false))
		}
	}
	for n := 0; n < hi-lo; n++ {
		i := lo + n
		if !q.Forward {
			i = hi - 1 - n
		}
		if !fn(st.record(p.entries[i].rec)) {
			return
		}
	}
}
