//go:build unix

package dynamodb

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// marshal renders a response as the server does (awsproto.WriteJSON).
func marshal(v any) ([]byte, error) {
	if a, ok := v.(awsproto.Appender); ok {
		return a.AppendJSON(nil), nil
	}
	return json.Marshal(v)
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkInProcess measures the service without HTTP and the SDK, so
// that the figures move only with the emulator's own work: BatchWriteItem
// bodies of 25 rating items ("write"), a COUNT scan of 4 segments
// ("count") and a full paged scan ("full") of 50,000 items, each response
// marshalled as the server would. Besides items/s it reports the process's
// CPU time per item, steadier than wall time on a shared machine.
func BenchmarkInProcess(b *testing.B) {
	ctx := context.Background()
	s := New()
	name, attr, hash, typ, pay := "ratings_t", "Id", "HASH", "S", billingPayPerRequest
	if _, err := s.createTable(ctx, &createTableInput{TableName: &name,
		KeySchema:            []KeySchemaElement{{AttributeName: &attr, KeyType: &hash}},
		AttributeDefinitions: []AttributeDefinition{{AttributeName: &attr, AttributeType: &typ}},
		BillingMode:          &pay}); err != nil {
		b.Fatal(err)
	}
	body := func(first int) []byte {
		reqs := make([]map[string]any, 25)
		for i := range reqs {
			reqs[i] = map[string]any{"PutRequest": map[string]any{"Item": benchRating(first + i)}}
		}
		out, _ := json.Marshal(map[string]any{"RequestItems": map[string]any{name: reqs}})
		return out
	}
	const total = 50000
	for i := 0; i < total; i += 25 {
		if _, err := s.batchWriteItem(ctx, body(i)); err != nil {
			b.Fatal(err)
		}
	}
	bodies := make([][]byte, 400)
	for i := range bodies {
		bodies[i] = body(total + 25*i)
	}
	b.Run("write", func(b *testing.B) {
		n := 0
		c0 := cpuTime()
		for b.Loop() {
			out, err := s.batchWriteItem(ctx, bodies[n%len(bodies)])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := marshal(out); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(25*n)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(cpuTime()-c0)/float64(25*n), "cpu-ns/item")
	})
	scan := func(b *testing.B, count bool, seg, segs int) int {
		items := 0
		var start Item
		for {
			in := &readInput{TableName: &name, ExclusiveStartKey: start}
			if count {
				sel := "COUNT"
				in.Select = &sel
			}
			if segs > 1 {
				sg, ts := int64(seg), int64(segs)
				in.Segment, in.TotalSegments = &sg, &ts
			}
			out, err := s.scan(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := marshal(out); err != nil {
				b.Fatal(err)
			}
			items += out.Count
			if len(out.LastEvaluatedKey) == 0 {
				return items
			}
			start = nil
			if err := json.Unmarshal(out.LastEvaluatedKey, &start); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("count", func(b *testing.B) {
		items := 0
		c0 := cpuTime()
		for b.Loop() {
			for seg := range 4 {
				items += scan(b, true, seg, 4)
			}
		}
		b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(cpuTime()-c0)/float64(items), "cpu-ns/item")
	})
	b.Run("full", func(b *testing.B) {
		items := 0
		c0 := cpuTime()
		for b.Loop() {
			items += scan(b, false, 0, 1)
		}
		b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(cpuTime()-c0)/float64(items), "cpu-ns/item")
	})
}
