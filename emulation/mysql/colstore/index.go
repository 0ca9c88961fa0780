package colstore

import "math/bits"

// hashIndex maps rows to their positions by a key read from the store: an
// open-addressing table of positions with linear probing, and one tag byte
// per slot (0 when empty, else 0x80 and seven bits of the key's hash) so
// that most probes do not read the rows. Five bytes a slot, at most 80%
// of the slots used.
type hashIndex struct {
	slots []uint32 // position + 1
	tags  []uint8
	used  int
	hash  func(p int) uint64
	eq    func(p, q int) bool
}

func newHashIndex(hash func(int) uint64, eq func(int, int) bool) *hashIndex {
	x := &hashIndex{hash: hash, eq: eq}
	x.reset(0)
	return x
}

// roomFor is the slot count that holds n entries.
func roomFor(n int) int {
	need := max(16, n+n/4+1)
	return 1 << bits.Len(uint(need-1))
}

// reset empties the index, sized for n entries.
func (x *hashIndex) reset(n int) {
	r := roomFor(n)
	x.slots, x.tags, x.used = make([]uint32, r), make([]uint8, r), 0
}

func tagOf(h uint64) uint8 { return uint8(h>>57) | 0x80 }

// find returns a position other than p whose key equals p's and that skip
// (if not nil) does not refuse, or -1.
func (x *hashIndex) find(p int, skip func(int) bool) int {
	h := x.hash(p)
	mask := uint64(len(x.slots) - 1)
	tag := tagOf(h)
	for i := h & mask; ; i = (i + 1) & mask {
		t := x.tags[i]
		if t == 0 {
			return -1
		}
		if t == tag {
			q := int(x.slots[i]) - 1
			if q != p && x.eq(q, p) && (skip == nil || !skip(q)) {
				return q
			}
		}
	}
}

// add inserts position p unless a position with an equal key is there,
// and returns that position, or -1 when it inserted p.
func (x *hashIndex) add(p int) int {
	if (x.used+1)*5 > len(x.slots)*4 {
		if x.used == p {
			// The index holds every position below p (no row was
			// deleted): rehash them in order, reading the rows in
			// order, rather than in the order of the slots.
			x.slots, x.tags = make([]uint32, 2*len(x.slots)), make([]uint8, 2*len(x.slots))
			for q := range p {
				x.place(q, x.hash(q))
			}
		} else {
			x.grow()
		}
	}
	h := x.hash(p)
	mask := uint64(len(x.slots) - 1)
	tag := tagOf(h)
	for i := h & mask; ; i = (i + 1) & mask {
		t := x.tags[i]
		if t == 0 {
			x.slots[i], x.tags[i] = uint32(p+1), tag
			x.used++
			return -1
		}
		if t == tag {
			if q := int(x.slots[i]) - 1; q != p && x.eq(q, p) {
				return q
			}
		}
	}
}

// insert adds position p.
func (x *hashIndex) insert(p int) {
	if (x.used+1)*5 > len(x.slots)*4 {
		x.grow()
	}
	x.place(p, x.hash(p))
	x.used++
}

func (x *hashIndex) place(p int, h uint64) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.tags[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i], x.tags[i] = uint32(p+1), tagOf(h)
}

func (x *hashIndex) grow() {
	slots := x.slots
	x.slots, x.tags = make([]uint32, 2*len(slots)), make([]uint8, 2*len(slots))
	for _, s := range slots {
		if s != 0 {
			p := int(s) - 1
			x.place(p, x.hash(p))
		}
	}
}

// remove deletes position p and reports whether it was there.
func (x *hashIndex) remove(p int) bool {
	h := x.hash(p)
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != uint32(p+1) {
		if x.tags[i] == 0 {
			return false
		}
		i = (i + 1) & mask
	}
	// Shift back the entries after i that probing would no longer reach.
	for j := (i + 1) & mask; x.tags[j] != 0; j = (j + 1) & mask {
		home := x.hash(int(x.slots[j])-1) & mask
		// Move j to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			x.slots[i], x.tags[i] = x.slots[j], x.tags[j]
			i = j
		}
	}
	x.slots[i], x.tags[i] = 0, 0
	x.used--
	return true
}

// bitset is a set of positions.
type bitset struct {
	words []uint64
	count int
}

func (b *bitset) set(p int) {
	w := p >> 6
	if w >= len(b.words) {
		b.words = append(b.words, make([]uint64, w+1-len(b.words))...)
	}
	if b.words[w]&(1<<(p&63)) == 0 {
		b.words[w] |= 1 << (p & 63)
		b.count++
	}
}

func (b *bitset) has(p int) bool {
	w := p >> 6
	return w < len(b.words) && b.words[w]&(1<<(p&63)) != 0
}

// first returns the smallest position in the set, or -1.
func (b *bitset) first() int {
	for w, x := range b.words {
		if x != 0 {
			return w<<6 + bits.TrailingZeros64(x)
		}
	}
	return -1
}
