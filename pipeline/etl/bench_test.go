package etl

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BenchmarkRatings measures the DuckDB part of the job for rating_new: the
// Appender load of ratings_t items and the transforms, sort and CSV writing,
// reporting rows per second.
func BenchmarkRatings(b *testing.B) {
	for _, rows := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			items := make([]map[string]types.AttributeValue, rows)
			for i := range items {
				u, m := (i*7919)%5000, i%9000
				items[i] = item("Id", fmt.Sprintf("%dx%d", u, m), "userId", fmt.Sprint(u), "movieId", fmt.Sprint(m),
					"rating", "3.5", "timestamp_c", fmt.Sprintf(`"%d"`, 1112484727+i))
			}
			b.ResetTimer()
			for b.Loop() {
				res := runInput(b, input{ratings: items})
				if res.counts.written["rating_new"] != int64(rows) {
					b.Fatalf("wrote %d rows, want %d", res.counts.written["rating_new"], rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
