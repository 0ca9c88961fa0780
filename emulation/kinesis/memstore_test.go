package kinesis

import (
	"context"
	"crypto/md5"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestRecordLog(t *testing.T) {
	var l recordLog
	start := time.Unix(1_700_000_000, 0)
	data := func(i int) []byte { return []byte(fmt.Sprintf(`{"userid":"%d","movieid":"%d"}`, i%97, i)) }
	for i := range 3000 {
		l.append(uint64(10+2*i), start.Add(time.Duration(i)*time.Second), fmt.Sprint(i%97), data(i))
	}
	if l.len() != 3000 || l.pos(2999) != 10+2*2999 {
		t.Fatalf("len %d, last %d", l.len(), l.pos(2999))
	}
	// Records of sealed (compressed) chunks and of the open one read back.
	for _, i := range []int{0, 1023, 1024, 2047, 2048, 2999, 5} {
		key, d := l.get(i)
		if key != fmt.Sprint(i%97) || string(d) != string(data(i)) || !l.arrival(i).Equal(start.Add(time.Duration(i)*time.Second)) {
			t.Errorf("record %d: key %q data %q arrival %v", i, key, d, l.arrival(i))
		}
	}
	if l.chunks[0].packed == nil || l.chunks[0].arena != nil || l.chunks[2].packed != nil {
		t.Error("full chunks are not sealed, or the open one is")
	}
	if i := l.search(11); i != 1 || l.pos(i) != 12 {
		t.Errorf("search(11) = %d", i)
	}
	if i := l.searchTime(start.Add(1500 * time.Second)); i != 1500 {
		t.Errorf("searchTime = %d, want 1500", i)
	}
	// Keep the records of the last 1000 seconds: 1001 of them.
	l.trim(start.Add(2999*time.Second), 1000*time.Second)
	if l.len() != 1001 || l.pos(0) != 10+2*1999 || len(l.chunks) != 2 {
		t.Fatalf("after trim: len %d, first %d, %d chunks", l.len(), l.pos(0), len(l.chunks))
	}
	if key, d := l.get(0); key != fmt.Sprint(1999%97) || string(d) != string(data(1999)) {
		t.Errorf("first record after trim: %q %q", key, d)
	}
	if i := l.search(0); i != 0 {
		t.Errorf("search below the first = %d", i)
	}
	l.append(99999, start.Add(3000*time.Second), "k", nil)
	if l.pos(l.len()-1) != 99999 {
		t.Error("append after trim")
	}
	l.trim(start.Add(time.Hour*24), time.Second)
	if l.len() != 0 || len(l.chunks) != 0 {
		t.Errorf("after everything expired: len %d, %d chunks", l.len(), len(l.chunks))
	}
	l.append(1, start, "k", []byte("x"))
	if l.len() != 1 || l.pos(0) != 1 {
		t.Error("append to an emptied log")
	}
}

// BenchmarkRecordLogBytes reports the memory a stored record of the
// pipeline's kind costs (a 110-byte JSON rating and its partition key).
func BenchmarkRecordLogBytes(b *testing.B) {
	const n = 200_000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var l recordLog
		t0 := time.Unix(1_800_000_000, 0)
		for i := range n {
			d := fmt.Sprintf(`{"userid":"%d","movieid":"%d","ratingid":"%d.5","timestamp":"%d","eventid":"3f2a9c1d8e7b6a50-%d"}`+"\n", i%7000, i%9000, i%5, 1500000000+i, i)
			l.append(uint64(i), t0, fmt.Sprint(i%7000), []byte(d))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/record")
		runtime.KeepAlive(&l)
	}
}

// TestRetentionExpiry checks that records older than the stream's retention
// period are no longer read, and that a longer period keeps them.
func TestRetentionExpiry(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	m := NewMemStore(MemConfig{Now: func() time.Time { return now }})
	if err := m.CreateStream(ctx, StreamSpec{Name: "s", Shards: 1, Mode: "PROVISIONED"}); err != nil {
		t.Fatal(err)
	}
	put := func(data string) {
		t.Helper()
		e := []PutEntry{{PartitionKey: "k", HashKey: md5.Sum([]byte("k")), Data: []byte(data)}}
		if err := m.Put(ctx, "s", e, make([]PutResult, 1)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		res, err := m.Read(ctx, "s", 0, 0, 0, 100, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Records {
			out = append(out, string(r.Data))
		}
		return fmt.Sprint(out)
	}
	put("old")
	now = now.Add(23 * time.Hour)
	put("newer")
	if got := read(); got != "[old newer]" {
		t.Fatalf("within 24 hours: %s", got)
	}
	now = now.Add(2 * time.Hour) // "old" is 25 hours old
	if got := read(); got != "[newer]" {
		t.Errorf("after 25 hours: %s, want the old record gone", got)
	}
	if err := m.SetRetention(ctx, "s", 48, true); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Hour) // "newer" is 22 hours old
	if got := read(); got != "[newer]" {
		t.Errorf("with 48 hours' retention: %s", got)
	}
}
