package kinesis

import (
	"context"
	"crypto/md5"
	"fmt"
	"testing"
	"time"
)

func TestRecordLog(t *testing.T) {
	var l recordLog
	start := time.Unix(1_700_000_000, 0)
	for i := range 3000 {
		l.append(record{pos: uint64(10 + 2*i), arrival: start.Add(time.Duration(i) * time.Second)})
	}
	if l.len() != 3000 || l.at(2999).pos != 10+2*2999 {
		t.Fatalf("len %d, last %d", l.len(), l.at(2999).pos)
	}
	if i := l.search(11); i != 1 || l.at(i).pos != 12 {
		t.Errorf("search(11) = %d", i)
	}
	if i := l.searchTime(start.Add(1500 * time.Second)); i != 1500 {
		t.Errorf("searchTime = %d, want 1500", i)
	}
	// Keep the records of the last 1000 seconds: 1001 of them.
	l.trim(start.Add(2999*time.Second), 1000*time.Second)
	if l.len() != 1001 || l.at(0).pos != 10+2*1999 || len(l.chunks) != 2 {
		t.Fatalf("after trim: len %d, first %d, %d chunks", l.len(), l.at(0).pos, len(l.chunks))
	}
	if i := l.search(0); i != 0 {
		t.Errorf("search below the first = %d", i)
	}
	l.append(record{pos: 99999, arrival: start.Add(3000 * time.Second)})
	if l.at(l.len()-1).pos != 99999 {
		t.Error("append after trim")
	}
	l.trim(start.Add(time.Hour*24), time.Second)
	if l.len() != 0 || len(l.chunks) != 0 {
		t.Errorf("after everything expired: len %d, %d chunks", l.len(), len(l.chunks))
	}
	l.append(record{pos: 1})
	if l.len() != 1 || l.at(0).pos != 1 {
		t.Error("append to an emptied log")
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
