package kinesis

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestSequenceNumberLayout(t *testing.T) {
	cases := []struct {
		create  int64
		shard   int
		seqIx   uint64
		seqSecs int64
		hex     string
	}{
		{0x12345678, 3, 5, 0x9abcdef0, "2" + "012345678" + "3" + "0000000000000005" + "00" + "09abcdef0" + "00000003" + "2"},
		{1_700_000_000, 17, maxSeqIx, 1_700_000_100, "2" + "06553f100" + "1" + "7fffffffffffffff" + "00" + "06553f164" + "00000011" + "2"},
		{0, 0, 0, 0, "2" + "000000000" + "0" + "0000000000000000" + "00" + "000000000" + "00000000" + "2"},
	}
	for _, tc := range cases {
		s := formatSeq(tc.create, tc.shard, tc.seqIx, tc.seqSecs)
		n, ok := new(big.Int).SetString(s, 10)
		if !ok || n.Text(16) != tc.hex {
			t.Errorf("formatSeq(%d, %d, %d, %d) = %s = %s in hex, want %s", tc.create, tc.shard, tc.seqIx, tc.seqSecs, s, n.Text(16), tc.hex)
			continue
		}
		info, ok := parseSeq(s)
		want := seqInfo{version: 2, shardCreateSecs: tc.create, shardIx: int64(tc.shard), seqIx: tc.seqIx, seqSecs: tc.seqSecs}
		if !ok || info != want {
			t.Errorf("parseSeq(%s) = %+v, %v; want %+v", s, info, ok, want)
		}
	}
}

func TestDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		u := u192{hi: r.Uint64() >> r.IntN(64), mid: r.Uint64(), lo: r.Uint64()}
		if r.IntN(4) == 0 {
			u.hi, u.mid = 0, u.mid>>r.IntN(64)
		}
		want := new(big.Int).SetUint64(u.hi)
		want.Lsh(want, 64).Or(want, new(big.Int).SetUint64(u.mid))
		want.Lsh(want, 64).Or(want, new(big.Int).SetUint64(u.lo))
		if got := u.decimal(); got != want.String() {
			t.Fatalf("decimal(%x %x %x) = %s, want %s", u.hi, u.mid, u.lo, got, want)
		}
	}
	if got := (u192{}).decimal(); got != "0" {
		t.Errorf("decimal(0) = %s", got)
	}
}

// TestParseSeq covers the sequence numbers Kinesis refuses, as recorded in
// kinesalite's tests, and the older layouts it still reads.
func TestParseSeq(t *testing.T) {
	hex := func(h string) string {
		n, _ := new(big.Int).SetString(h, 16)
		return n.String()
	}
	cases := []struct {
		name    string
		seq     string
		ok      bool
		version int
		shard   int64
	}{
		{"small number: the first layout", "5", true, 0, 5},
		{"zero", "0", true, 0, 0},
		{"creation date too far ahead", hex("13bb2cc3d80000000000000000000000"), false, 0, 0},
		{"counter with the top bit set", hex("20000000000800000000000000000000000000000000002"), false, 0, 0},
		{"negative shard index", hex("20000000000000000000000000000000000000800000002"), true, 2, -1 << 31},
		{"version 1", hex("20000000000000000000000000000000000000000000001"), true, 1, 0},
		{"version 3", hex("20000000000000000000000000000000000000000000003"), false, 0, 0},
		{"version 4", hex("20000000000000000000000000000000000000000000004"), false, 0, 0},
		{"exactly 2^185", hex("20000000000000000000000000000000000000000000000"), false, 0, 0},
		{"leading 1", hex("1ffffffffff7fffffffffffffff000000000007fffffff2"), false, 0, 0},
		{"leading 3", hex("30000000000000000000000000000000000000000000001"), false, 0, 0},
		{"not a number", "12a", false, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, ok := parseSeq(tc.seq)
			if ok != tc.ok || (ok && (info.version != tc.version || info.shardIx != tc.shard)) {
				t.Errorf("parseSeq(%s) = %+v, %v; want ok %v version %d shard %d", tc.seq, info, ok, tc.ok, tc.version, tc.shard)
			}
		})
	}
}

func TestShardIndex(t *testing.T) {
	cases := map[string]int{
		"shardId-000000000001": 1, "shardId-1": 1, "1": 1, "anything-7": 7, "a-00002147483647": 1<<31 - 1,
		"-00002147483647": 1<<31 - 1, "2147483648": -1, "shardId-002147483648": -1, "ABKLFD8": -1, "2.14E4": -1, "abc-": -1,
	}
	for id, want := range cases {
		if got := shardIndex(id); got != want {
			t.Errorf("shardIndex(%q) = %d, want %d", id, got, want)
		}
	}
}
