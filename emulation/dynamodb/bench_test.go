package dynamodb_test

import (
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation"
)

// BenchmarkBatchWriteItem writes MovieLens rating items through the SDK, 25
// per BatchWriteItem call as the DMS full load does, and reports items/s:
// one writer ("serial") and four writers per CPU ("parallel").
func BenchmarkBatchWriteItem(b *testing.B) {
	setup := func(b *testing.B) (write func(first int), count *atomic.Int64) {
		srv := emulation.NewTestServer(b)
		c := dynamodb.NewFromConfig(srv.Config())
		table := createTable(b, c, keyDef{"Id", types.ScalarAttributeTypeS}, nil)
		count = new(atomic.Int64)
		write = func(first int) {
			pending := map[string][]types.WriteRequest{table: puts(ratings(first, first+25)...)}
			for len(pending) > 0 {
				out, err := c.BatchWriteItem(b.Context(), &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					b.Errorf("batch write: %v", err)
					return
				}
				pending = out.UnprocessedItems
			}
		}
		return write, count
	}
	b.Run("serial", func(b *testing.B) {
		write, count := setup(b)
		for b.Loop() {
			write(int(count.Add(25)) - 25)
		}
		b.ReportMetric(float64(count.Load())/b.Elapsed().Seconds(), "items/s")
	})
	b.Run("parallel", func(b *testing.B) {
		write, count := setup(b)
		b.SetParallelism(4) // 4 writers per CPU
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				write(int(count.Add(25)) - 25)
			}
		})
		b.ReportMetric(float64(count.Load())/b.Elapsed().Seconds(), "items/s")
	})
}
