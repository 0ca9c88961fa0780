package stream_test

import (
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/pipeline/stream"
)

// BenchmarkStream runs the stream stage fault-free on the workshop's 20,000
// new ratings, with Firehose delivering at once: producing, then waiting
// until every record has landed (and, since event ids, reconciling them).
func BenchmarkStream(b *testing.B) {
	const n = 20000
	body, _ := ratingsCSV(n)
	for b.Loop() {
		b.StopTimer()
		srv := emulation.NewTestServer(b)
		setup(b, srv, body)
		b.StartTimer()
		rep, err := stream.Run(b.Context(), srv.Config(), stream.Options{BufferInterval: time.Nanosecond, Shards: 2})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Written != n {
			b.Fatalf("produced %d records, want %d", rep.Written, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
