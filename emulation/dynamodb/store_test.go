package dynamodb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in, want string
		err      string
	}{
		{in: "0", want: "0"},
		{in: "-0.000", want: "0"},
		{in: "03.50", want: "3.5"},
		{in: "+12", want: "12"},
		{in: "1E+3", want: "1000"},
		{in: "1.5e-3", want: "0.0015"},
		{in: ".5", want: "0.5"},
		{in: "5.", want: "5"},
		{in: "-100.0100", want: "-100.01"},
		{in: "1112484727", want: "1112484727"},
		{in: "1e125", want: "1" + strings.Repeat("0", 125)},
		{in: "1e126", err: "Number overflow"},
		{in: "1e-130", want: "0." + strings.Repeat("0", 129) + "1"},
		{in: "1e-131", err: "Number underflow"},
		{in: strings.Repeat("9", 38), want: strings.Repeat("9", 38)},
		{in: strings.Repeat("9", 39), err: "38 significant digits"},
		{in: "", err: "cannot be converted to a numeric value"},
		{in: "abc", err: "cannot be converted to a numeric value: abc"},
		{in: "1e", err: "numeric value"},
		{in: "1.2.3", err: "numeric value"},
		{in: " 1", err: "numeric value"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			n, err := parseNumber(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Message, tc.err) {
					t.Fatalf("parseNumber(%q) = %v, %v; want error %q", tc.in, n, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseNumber(%q): %v", tc.in, err)
			}
			if got := n.String(); got != tc.want {
				t.Errorf("parseNumber(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got, want := canonicalNumberSize([]byte(n.String())), n.size(); got != want {
				t.Errorf("size of %q from canonical text %d, parsed %d", tc.in, got, want)
			}
		})
	}
}

func TestNumberSize(t *testing.T) {
	// As dynalite computes them, after AWS: 1 byte plus one per two
	// significant digits, aligned on the decimal point.
	for in, want := range map[string]int{"0": 1, "1": 2, "12": 2, "123": 3, "1234": 3, "0.1": 2, "10": 2, "-1": 3, "3.5": 3, "1112484727": 6} {
		n, err := parseNumber(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.size(); got != want {
			t.Errorf("size(%s) = %d, want %d", in, got, want)
		}
	}
}

func TestCompareNumbers(t *testing.T) {
	ordered := []string{"-1000", "-100.5", "-100", "-2", "-1.5", "-1", "-0.5", "-0.05", "0", "0.05", "0.5", "1", "1.5", "2", "10", "100", "100.5", "1000"}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := compareNumbers(a, b); got != want {
				t.Errorf("compareNumbers(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestSegments(t *testing.T) {
	for _, total := range []int{1, 2, 3, 4, 7, 1000} {
		for seg := range total {
			start := segmentStart(seg, total)
			if got := segmentOf(start, total); got != seg {
				t.Errorf("total %d: segmentOf(start of %d) = %d", total, seg, got)
			}
			if seg > 0 {
				if got := segmentOf(start-1, total); got != seg-1 {
					t.Errorf("total %d: hash before segment %d is in %d", total, seg, got)
				}
			}
		}
		if got := segmentOf(^uint64(0), total); got != total-1 {
			t.Errorf("total %d: largest hash in segment %d", total, got)
		}
	}
}

func sv(v string) *AttributeValue { return &AttributeValue{S: &v} }
func nv(v string) *AttributeValue { return &AttributeValue{N: &v} }

// checkOrder verifies that the index walks in (hash, key) order, that every
// entry is in the bucket its hash selects, and that the counts add up.
func checkOrder(t *testing.T, st *store) {
	t.Helper()
	var c cursor
	var prev *entry
	n := 0
	for {
		e, ok := st.next(&c)
		if !ok {
			break
		}
		if st.bucketOf(e.hash) != c.bucket {
			t.Fatalf("entry with hash %x in bucket %d, want %d", e.hash, c.bucket, st.bucketOf(e.hash))
		}
		if prev != nil {
			pk, sk := st.recordKey(st.arena.get(e.ref))
			if st.cmp(*prev, pos{hash: e.hash, pk: pk, sk: sk}) >= 0 {
				t.Fatalf("entries out of order at %d", n)
			}
		}
		p := e
		prev = &p
		n++
	}
	if n != st.count {
		t.Fatalf("walked %d entries, count %d", n, st.count)
	}
}

func TestStoreHashOnly(t *testing.T) {
	st := newStore("Id", tagS, "", 0)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	want := map[string]string{}
	for i := range n {
		id := fmt.Sprintf("%dX%d", rng.IntN(5000), i)
		v := fmt.Sprint(rng.IntN(1000))
		it := Item{"Id": sv(id), "v": sv(v)}
		_, replaced := st.put(st.encode(it), []byte(id), nil)
		if replaced {
			t.Fatalf("%s replaced on first put", id)
		}
		want[id] = v
	}
	if len(st.buckets) < n/bucketTarget {
		t.Errorf("%d buckets for %d items: the directory did not grow", len(st.buckets), n)
	}
	checkOrder(t, st)
	// Overwrite every item twice: the garbage is compacted away.
	for range 2 {
		for id := range want {
			v := fmt.Sprint(rng.IntN(1000))
			old, replaced := st.put(st.encode(Item{"Id": sv(id), "v": sv(v), "w": nv("1.5")}), []byte(id), nil)
			if !replaced || old == nil {
				t.Fatalf("overwrite of %s did not replace", id)
			}
			want[id] = v
		}
	}
	if st.dead > st.live {
		t.Errorf("dead %d > live %d after overwrites: no compaction", st.dead, st.live)
	}
	checkOrder(t, st)
	removed := 0
	for id, v := range want {
		rec, ok := st.find([]byte(id), nil)
		if !ok {
			t.Fatalf("%s not found", id)
		}
		it := st.record(rec).Item()
		if *it["v"].S != v || *it["w"].N != "1.5" || *it["Id"].S != id {
			t.Fatalf("%s decoded as %v", id, it)
		}
		if removed < len(want)/2 {
			if _, ok := st.remove([]byte(id), nil); !ok {
				t.Fatalf("remove %s failed", id)
			}
			if _, ok := st.find([]byte(id), nil); ok {
				t.Fatalf("%s found after remove", id)
			}
			delete(want, id)
			removed++
		}
	}
	if st.count != len(want) {
		t.Errorf("count %d, want %d", st.count, len(want))
	}
	checkOrder(t, st)
	var size int64
	for id, v := range want {
		size += int64(itemSize(Item{"Id": sv(id), "v": sv(v), "w": nv("1.5")}))
	}
	if st.size != size {
		t.Errorf("table size %d, want %d", st.size, size)
	}
}

func TestStoreRangeOrder(t *testing.T) {
	st := newStore("u", tagS, "ts", tagN)
	nums := []string{"100", "-1.5", "2", "0", "10", "-10", "0.25"}
	for _, u := range []string{"a", "b", "c"} {
		for _, x := range nums {
			num, _ := parseNumber(x)
			st.put(st.encode(Item{"u": sv(u), "ts": nv(x)}), []byte(u), []byte(num.String()))
		}
	}
	checkOrder(t, st)
	bi, lo, hi := st.sortRange([]byte("b"), SortCond{})
	var got []string
	for _, e := range st.buckets[bi][lo:hi] {
		_, sk := st.recordKey(st.arena.get(e.ref))
		got = append(got, string(sk))
	}
	if strings.Join(got, " ") != "-10 -1.5 0 0.25 2 10 100" {
		t.Errorf("partition b in order %v", got)
	}
	for _, tc := range []struct {
		op   string
		args []string
		want string
	}{
		{"<", []string{"0.25"}, "-10 -1.5 0"},
		{"<=", []string{"0.25"}, "-10 -1.5 0 0.25"},
		{">", []string{"2"}, "10 100"},
		{">=", []string{"2"}, "2 10 100"},
		{"=", []string{"-1.5"}, "-1.5"},
		{"=", []string{"3"}, ""},
		{"BETWEEN", []string{"-1.5", "2"}, "-1.5 0 0.25 2"},
	} {
		kc := SortCond{Op: tc.op}
		for i, a := range tc.args {
			kc.Args[i] = scalarBytes(nv(a))
		}
		bi, lo, hi := st.sortRange([]byte("b"), kc)
		var got []string
		for _, e := range st.buckets[bi][lo:hi] {
			pk, sk := st.recordKey(st.arena.get(e.ref))
			if string(pk) != "b" {
				t.Fatalf("%s: item of partition %s", tc.op, pk)
			}
			got = append(got, string(sk))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s %v: got %v, want %s", tc.op, tc.args, got, tc.want)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	st := newStore("k", tagB, "", 0)
	tr, fa := true, false
	it := Item{
		"k":  {B: []byte{0, 0xff}},
		"s":  sv("é\"\\\x01"),
		"n":  nv("-0.0100"),
		"t":  {BOOL: &tr},
		"f":  {BOOL: &fa},
		"z":  {NULL: &tr},
		"ss": {SS: []string{"x", "y"}},
		"ns": {NS: []string{"1", "1e2"}},
		"bs": {BS: []blob{{1}, {}}},
		"l":  {L: []*AttributeValue{sv("a"), {L: []*AttributeValue{}}, {M: Item{}}}},
		"m":  {M: Item{"a": nv("7"), "b": {M: Item{"c": sv("d")}}}},
	}
	if err := validateItemValues(it); err != nil {
		t.Fatal(err)
	}
	rec := st.encode(it)
	if got, want := st.recordSize(rec), itemSize(it); got != want {
		t.Errorf("record size %d, item size %d", got, want)
	}
	back := st.record(rec).Item()
	if got, want := string(appendItemJSON(nil, back)), `{"bs":{"BS":["AQ==",""]},"f":{"BOOL":false},"k":{"B":"AP8="},"l":{"L":[{"S":"a"},{"L":[]},{"M":{}}]},"m":{"M":{"a":{"N":"7"},"b":{"M":{"c":{"S":"d"}}}}},"n":{"N":"-0.01"},"ns":{"NS":["1","100"]},"s":{"S":"é\"\\\u0001"},"ss":{"SS":["x","y"]},"t":{"BOOL":true},"z":{"NULL":true}}`; got != want {
		t.Errorf("round trip\n got %s\nwant %s", got, want)
	}
	// The direct rendering has the same attributes (key first, then by name).
	direct := st.record(rec).AppendJSON(nil)
	if !bytes.HasPrefix(direct, []byte(`{"k":{"B":"AP8="},"bs":`)) {
		t.Errorf("direct rendering %s", direct)
	}
	if key := st.record(rec).appendAttrsJSON(nil, func(n string) bool { return n == "k" }); string(key) != `{"k":{"B":"AP8="}}` {
		t.Errorf("key rendering %s", key)
	}
}

// BenchmarkStorePut puts rating items into a store that already holds a
// million, whose index no longer fits the processor's caches, as in a
// full load's later part.
func BenchmarkStorePut(b *testing.B) {
	s := newStore("Id", tagS, "", 0)
	put := func(i int) {
		it := benchRating(i)
		s.put(s.encode(it), []byte(*it["Id"].S), nil)
	}
	const preload = 1_000_000
	for i := range preload {
		put(i)
	}
	i := preload
	for b.Loop() {
		put(i)
		i++
	}
}
