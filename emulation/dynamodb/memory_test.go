package dynamodb

import (
	"context"
	"flag"
	"runtime"
	"strconv"
	"testing"
)

var benchItems = flag.Int("items", 2_000_000, "number of rating items BenchmarkMemory20MRatingItems stores (20000000 for the full MovieLens 20M)")

// benchRating builds the i-th MovieLens rating as the DMS load writes it:
// five short strings.
func benchRating(i int) Item {
	// About 145 ratings per user, as in MovieLens; (user, movie) is unique.
	user := i/145 + 1
	movie := (i%145)*877 + user%877 + 1
	u, m := strconv.Itoa(user), strconv.Itoa(movie)
	id := u + "X" + m
	r := strconv.Itoa(i%5) + "." + strconv.Itoa(i%2*5)
	ts := strconv.Itoa(789652009 + i*37%638000000)
	return Item{"Id": sv(id), "movieId": sv(m), "userId": sv(u), "rating": sv(r), "timestamp_c": sv(ts)}
}

// BenchmarkMemory20MRatingItems stores -items MovieLens rating items in one
// table through the PutItem operation (less HTTP and JSON) and reports the
// heap they hold, per item and extrapolated to the 20 million ratings of
// MovieLens 20M, which must fit in 4 GiB (about 200 bytes per item).
//
//	go test -run '^$' -bench Memory20M -benchtime 1x ./emulation/dynamodb -items 20000000
func BenchmarkMemory20MRatingItems(b *testing.B) {
	n := *benchItems
	ctx := context.Background()
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := New()
		name := "ratings_t"
		attr, hash, typ := "Id", "HASH", "S"
		pay := billingPayPerRequest
		if _, err := s.createTable(ctx, &createTableInput{
			TableName:            &name,
			KeySchema:            []KeySchemaElement{{AttributeName: &attr, KeyType: &hash}},
			AttributeDefinitions: []AttributeDefinition{{AttributeName: &attr, AttributeType: &typ}},
			BillingMode:          &pay,
		}); err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if _, err := s.putItem(ctx, &putItemInput{TableName: &name, Item: benchRating(i)}); err != nil {
				b.Fatalf("put item %d: %v", i, err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		t := s.backend.(*Memory).tables[name]
		if t.st.count != n {
			b.Fatalf("table holds %d items, want %d", t.st.count, n)
		}
		perItem := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
		b.ReportMetric(perItem, "bytes/item")
		b.ReportMetric(perItem*20e6/(1<<30), "GiB@20M")
		b.ReportMetric(float64(t.st.arena.bytes())/float64(n), "arena-bytes/item")
		idx := 0
		for _, bk := range t.st.buckets {
			idx += cap(bk) * 16
		}
		b.ReportMetric(float64(idx+len(t.st.buckets)*24)/float64(n), "index-bytes/item")
		b.ReportMetric(float64(t.st.size)/float64(n), "dynamodb-size/item")
		runtime.KeepAlive(s)
	}
}
