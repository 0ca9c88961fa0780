package dynamodb_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// BenchmarkScan reads a table of 50,000 MovieLens rating items through the
// SDK as the pipeline does and reports items/s: a full Scan paged at 1 MB
// ("full"), and a parallel Scan of 4 segments with Select=COUNT ("count"),
// the migrate stage's validation.
func BenchmarkScan(b *testing.B) {
	const total = 50000
	srv := emulation.NewTestServer(b)
	c := dynamodb.NewFromConfig(srv.Config())
	table := createTable(b, c, keyDef{"Id", types.ScalarAttributeTypeS}, nil)
	writeAll(b, c, table, ratings(0, total), 4)
	b.Run("full", func(b *testing.B) {
		var items int
		for b.Loop() {
			for _, p := range scanAll(b, c, dynamodb.ScanInput{TableName: aws.String(table)}) {
				items += len(p.Items)
			}
		}
		if items != total*b.N {
			b.Fatalf("scanned %d items, want %d", items, total*b.N)
		}
		b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
	})
	b.Run("count", func(b *testing.B) {
		const segments = 4
		var items atomic.Int64
		for b.Loop() {
			var wg sync.WaitGroup
			for seg := range segments {
				wg.Go(func() {
					for _, p := range scanAll(b, c, dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount,
						Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(segments), ConsistentRead: aws.Bool(true)}) {
						items.Add(int64(p.Count))
					}
				})
			}
			wg.Wait()
		}
		if got := items.Load(); got != int64(total*b.N) {
			b.Fatalf("counted %d items, want %d", got, total*b.N)
		}
		b.ReportMetric(float64(items.Load())/b.Elapsed().Seconds(), "items/s")
	})
}
