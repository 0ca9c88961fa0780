package colstore

import (
	"math/rand/v2"
	"testing"
)

// TestHashIndexAgainstMap inserts and removes positions with colliding
// keys (a few hash values, so probe chains wrap and shift) and checks every
// lookup against a map.
func TestHashIndexAgainstMap(t *testing.T) {
	t.Parallel()
	for _, hashes := range []uint64{1, 7, 1 << 20} {
		rng := rand.New(rand.NewPCG(1, hashes))
		keys := make([]int, 0, 20_000) // position -> key
		x := newHashIndex(
			func(p int) uint64 { return uint64(keys[p]) % hashes * 0x9e3779b97f4a7c15 },
			func(p, q int) bool { return keys[p] == keys[q] },
		)
		live := map[int]int{} // key -> position
		for range 20_000 {
			k := rng.IntN(3_000)
			p := len(keys)
			keys = append(keys, k)
			q := x.find(p, nil)
			want, ok := live[k]
			if (q >= 0) != ok || (ok && q != want) {
				t.Fatalf("hashes %d: find key %d = %d, want %d (present %v)", hashes, k, q, want, ok)
			}
			switch {
			case !ok:
				x.insert(p)
				live[k] = p
			case rng.IntN(2) == 0:
				if !x.remove(want) {
					t.Fatalf("hashes %d: remove %d: not found", hashes, want)
				}
				delete(live, k)
			}
		}
		if x.used != len(live) {
			t.Errorf("hashes %d: %d entries, want %d", hashes, x.used, len(live))
		}
		for k, p := range live {
			keys = append(keys, k)
			if q := x.find(len(keys)-1, nil); q != p {
				t.Errorf("hashes %d: key %d at %d, want %d", hashes, k, q, p)
			}
		}
		keys = append(keys, 1)
		if x.remove(len(keys) - 1) {
			t.Errorf("hashes %d: removed a position never inserted", hashes)
		}
	}
}

func TestHashIndexSkip(t *testing.T) {
	t.Parallel()
	keys := []int{5, 5, 5, 6}
	x := newHashIndex(func(p int) uint64 { return uint64(keys[p]) }, func(p, q int) bool { return keys[p] == keys[q] })
	for p := range keys {
		x.insert(p)
	}
	keys = append(keys, 5) // the probe, position 4
	gone := &bitset{}
	var found []int
	for {
		q := x.find(4, gone.has)
		if q < 0 {
			break
		}
		found = append(found, q)
		gone.set(q)
	}
	if len(found) != 3 || gone.count != 3 || gone.first() != 0 {
		t.Errorf("found %v (gone %d, first %d), want the three positions of key 5", found, gone.count, gone.first())
	}
}

func TestRoomFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, want int }{{0, 16}, {12, 16}, {13, 32}, {800_000, 1 << 20}, {16_000_000, 1 << 25}} {
		if got := roomFor(tc.n); got != tc.want || tc.n*5 > got*4 {
			t.Errorf("roomFor(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

// TestHashIndexAdd adds positions through several growths, with repeated
// keys refused, and finds every key afterwards.
func TestHashIndexAdd(t *testing.T) {
	t.Parallel()
	var keys []int
	x := newHashIndex(func(p int) uint64 { return mix(uint64(keys[p])) }, func(p, q int) bool { return keys[p] == keys[q] })
	first := map[int]int{}
	for i := range 50_000 {
		k := i * 7 % 40_000 // keys 0-39,999; the last 10,000 repeat
		p := len(keys)
		keys = append(keys, k)
		q := x.add(p)
		want, dup := first[k]
		switch {
		case dup && q != want:
			t.Fatalf("add key %d: %d, want the first position %d", k, q, want)
		case dup:
			keys = keys[:p] // a refused row is not stored
		case q != -1:
			t.Fatalf("add key %d: %d, want -1", k, q)
		default:
			first[k] = p
		}
	}
	if x.used != len(first) {
		t.Fatalf("%d entries, want %d", x.used, len(first))
	}
	for k, p := range first {
		keys = append(keys, k)
		if q := x.find(len(keys)-1, nil); q != p {
			t.Fatalf("key %d at %d, want %d", k, q, p)
		}
		keys = keys[:len(keys)-1]
	}
}
