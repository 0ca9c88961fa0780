package catalog_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/catalog"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }

func gz(tb testing.TB, s string) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// putObjects creates bucket (if needed) and uploads objects by key.
func putObjects(tb testing.TB, c *pipeline.Clients, bucket string, objects map[string][]byte) {
	tb.Helper()
	ctx := tb.Context()
	if _, err := c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			tb.Fatalf("create bucket %s: %v", bucket, err)
		}
	}
	for k, b := range objects {
		if _, err := c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
			tb.Fatalf("put %s: %v", k, err)
		}
	}
}

// putItems creates a table keyed by the string attribute hash and writes
// items with BatchWriteItem, retrying unprocessed items.
func putItems(tb testing.TB, c *dynamodb.Client, table, hash string, items []map[string]types.AttributeValue) {
	tb.Helper()
	ctx := tb.Context()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(hash), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		tb.Fatalf("create table %s: %v", table, err)
	}
	if err := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 30*time.Second); err != nil {
		tb.Fatalf("wait for table %s: %v", table, err)
	}
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, it := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		pending := map[string][]types.WriteRequest{table: reqs}
		for try := 0; len(pending) > 0; try++ {
			if try == 20 {
				tb.Fatalf("batch write %s: items still unprocessed", table)
			}
			out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				tb.Fatalf("batch write %s: %v", table, err)
			}
			pending = out.UnprocessedItems
		}
	}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

const (
	rec1 = `{"userid":"1","movieid":"31","ratingid":"2.5","timestamp":"1260759144"}` + "\n"
	rec2 = `{"userid":"1","movieid":"1029","ratingid":"3.0","timestamp":"1260759179"}` + "\n"
	rec3 = `{"userid":"2","movieid":"10","ratingid":"4.0","timestamp":"835355493"}` + "\n"
)

// seedWorkshop seeds the emulator with the workshop's sources: stream
// objects under firehose/ and the three DynamoDB tables.
func seedWorkshop(tb testing.TB, c *pipeline.Clients, ratings int) {
	tb.Helper()
	putObjects(tb, c, pipeline.DefaultBucket, map[string][]byte{
		"firehose/2026/11/25/19/gc_firehose-1-2026-11-25-19-03-11-aaaa":    []byte(rec1 + rec2 + "{malformed\n"),
		"firehose/2026/11/25/20/gc_firehose-1-2026-11-25-20-03-11-bbbb.gz": gz(tb, rec3+"\n"+rec1),
		"firehose/_SUCCESS":        nil, // hidden: not read
		"data/ratings/ratings.csv": []byte("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n"),
	})
	var items []map[string]types.AttributeValue
	for i := range ratings {
		items = append(items, map[string]types.AttributeValue{
			"Id": s(fmt.Sprintf("%dx%d", i, i+1)), "userId": s(fmt.Sprint(i)), "movieId": s(fmt.Sprint(i + 1)),
			"rating": s("3.0"), "timestamp_c": s("1112484727"),
		})
	}
	putItems(tb, c.DynamoDB, pipeline.DefaultRatingsTable, "Id", items)
	putItems(tb, c.DynamoDB, pipeline.DefaultMoviesTable, "movieId", []map[string]types.AttributeValue{
		{"movieId": s("1"), "title": s("Toy Story (1995)"), "genres": s("Adventure|Animation")},
		{"movieId": s("2"), "title": s("Jumanji (1995)"), "genres": s("Adventure"), "year": n("1995")},
	})
	putItems(tb, c.DynamoDB, pipeline.DefaultLinksTable, "movieId", []map[string]types.AttributeValue{
		{"movieId": s("1"), "imdbId": s("0114709"), "tmdbId": s("862")},
		{"movieId": s("2"), "imdbId": s("0113497")},
	})
}

func cols(cs []datacatalog.Column) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + ":" + c.Type
	}
	return strings.Join(parts, ",")
}

func TestRunEmulator(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	cfg := srv.Config()
	clients := pipeline.NewClients(cfg)
	seedWorkshop(t, clients, 300)
	path := filepath.Join(t.TempDir(), "catalog.duckdb")
	now := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)

	rep, err := catalog.Run(t.Context(), cfg, catalog.Options{CatalogPath: path, Now: func() time.Time { return now }, Parallelism: 3})
	if err != nil {
		t.Fatal(err)
	}
	// 4 stream records + 300 + 2 + 2 items; one malformed line; 4 tables.
	if rep.Stage != "catalog" || rep.Read != 308 || rep.Rejected != 1 || rep.Written != 4 || rep.Retried != 0 || rep.Duration <= 0 {
		t.Errorf("report = %+v", rep)
	}
	if got := rep.Tables["firehose"]; got.Read != 4 || got.Rejected != 1 {
		t.Errorf("report for firehose = %+v", got)
	}

	store, err := datacatalog.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := store.Tables(t.Context(), pipeline.DefaultCatalogDatabase)
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		location, classification, compression, columns, partitions string
		records, objects                                           int64
	}
	wants := map[string]want{
		"firehose": {"s3://ml-data-lake/firehose/", "json", "gzip",
			"userid:string,movieid:string,ratingid:string,timestamp:string",
			"partition_0:string,partition_1:string,partition_2:string,partition_3:string", 4, 2},
		"ratings_t": {"arn:aws:dynamodb:us-east-1:", "dynamodb", "none",
			"id:string,movieid:string,rating:string,timestamp_c:string,userid:string", "", 300, 0},
		"movies_t": {"arn:aws:dynamodb:us-east-1:", "dynamodb", "none",
			"genres:string,movieid:string,title:string,year:bigint", "", 2, 0},
		"links_t": {"arn:aws:dynamodb:us-east-1:", "dynamodb", "none",
			"imdbid:string,movieid:string,tmdbid:string", "", 2, 0},
	}
	if len(tables) != len(wants) {
		t.Errorf("%d tables, want %d: %+v", len(tables), len(wants), tables)
	}
	for _, tab := range tables {
		w, ok := wants[tab.Name]
		if !ok {
			t.Errorf("unexpected table %s", tab.Name)
			continue
		}
		if !strings.HasPrefix(tab.Location, w.location) || tab.Classification != w.classification ||
			tab.Compression != w.compression || cols(tab.Columns) != w.columns || cols(tab.PartitionKeys) != w.partitions ||
			tab.RecordCount != w.records || tab.ObjectCount != w.objects || !tab.CrawledAt.Equal(now) {
			t.Errorf("table %s = %+v\nwant %+v", tab.Name, tab, w)
		}
		if w.classification == "dynamodb" && datacatalog.DynamoDBTableName(tab.Location) != tab.Name {
			t.Errorf("table %s location %s does not name the DynamoDB table", tab.Name, tab.Location)
		}
	}

	t.Run("prefix without a slash names the table after the folder", func(t *testing.T) {
		putObjects(t, clients, "other", map[string][]byte{
			"firehose2026/11/25/19/gc_firehose-1-x": []byte(rec1),
			"firehose2026/11/25/20/gc_firehose-1-y": []byte(rec2),
		})
		path := filepath.Join(t.TempDir(), "catalog.duckdb")
		names := pipeline.Names{Bucket: "other", FirehosePrefix: "firehose"}
		if _, err := catalog.Run(t.Context(), cfg, catalog.Options{Names: names, CatalogPath: path}); err != nil {
			t.Fatal(err)
		}
		store, err := datacatalog.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		tab, err := store.Table(t.Context(), pipeline.DefaultCatalogDatabase, "firehose2026")
		if err != nil {
			t.Fatal(err)
		}
		if tab.Location != "s3://other/firehose2026/" || len(tab.PartitionKeys) != 3 || tab.RecordCount != 2 || tab.Compression != "none" {
			t.Errorf("firehose2026 = %+v", tab)
		}
	})

	t.Run("a crawl removes the stream tables that are gone", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "catalog.duckdb")
		names := pipeline.Names{Bucket: "gone"}
		putObjects(t, clients, "gone", map[string][]byte{"firehose/2026/11/25/19/x": []byte(rec1)})
		opts := catalog.Options{Names: names, CatalogPath: path}
		if _, err := catalog.Run(t.Context(), cfg, opts); err != nil {
			t.Fatal(err)
		}
		if _, err := clients.S3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String("gone"), Key: aws.String("firehose/2026/11/25/19/x")}); err != nil {
			t.Fatal(err)
		}
		rep, err := catalog.Run(t.Context(), cfg, opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Written != 3 {
			t.Errorf("second crawl wrote %d tables, want 3", rep.Written)
		}
		store, err := datacatalog.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		tables, err := store.Tables(t.Context(), pipeline.DefaultCatalogDatabase)
		if err != nil {
			t.Fatal(err)
		}
		for _, tab := range tables {
			if tab.Name == "firehose" {
				t.Errorf("table firehose still in the catalog: %+v", tab)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "catalog.duckdb")
		_, err := catalog.Run(t.Context(), cfg, catalog.Options{CatalogPath: path, DynamoDBTables: []string{"nope_t"}})
		if err == nil || !strings.Contains(err.Error(), "nope_t: the table does not exist") {
			t.Errorf("missing table: err = %v", err)
		}
		if _, err := catalog.Run(t.Context(), cfg, catalog.Options{}); err == nil || !strings.Contains(err.Error(), "CatalogPath") {
			t.Errorf("no catalog path: err = %v", err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("a failed crawl created the catalog file")
		}
	})
}

func TestScanEmulator(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	clients := pipeline.NewClients(srv.Config())
	var items []map[string]types.AttributeValue
	for i := range 1000 {
		// About 2 KiB each: 2 MB in all, more than one 1 MB scan page.
		items = append(items, map[string]types.AttributeValue{"Id": s(fmt.Sprint(i)), "pad": s(strings.Repeat("x", 2048))})
	}
	putItems(t, clients.DynamoDB, "big_t", "Id", items)
	for _, segments := range []int{1, 4} {
		t.Run(fmt.Sprintf("segments=%d", segments), func(t *testing.T) {
			seen := make([]int, 1000)
			pages := make([]int, segments)
			n, err := pipeline.ScanItems(t.Context(), clients.DynamoDB, "big_t", segments, func(_ context.Context, seg int, page []map[string]types.AttributeValue) error {
				pages[seg]++ // one goroutine per segment
				for _, it := range page {
					var i int
					fmt.Sscan(it["Id"].(*types.AttributeValueMemberS).Value, &i)
					seen[i]++ // distinct items per segment: no race
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != 1000 {
				t.Errorf("scanned %d items, want 1000", n)
			}
			for i, c := range seen {
				if c != 1 {
					t.Errorf("item %d seen %d times", i, c)
				}
			}
			total := 0
			for _, p := range pages {
				total += p
			}
			if total < 2 {
				t.Errorf("%d pages for ~2 MB of items: pagination not exercised", total)
			}
		})
	}
}

// TestSampleDynamoDB: with SampleDynamoDB the crawler infers from one page
// of items and counts by DescribeTable's ItemCount, as Glue's crawler with
// scanAll=false does; the catalog says the same as a full crawl.
func TestSampleDynamoDB(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	clients := pipeline.NewClients(srv.Config())
	var items []map[string]types.AttributeValue
	for i := range 1000 {
		items = append(items, map[string]types.AttributeValue{"Id": s(fmt.Sprintf("%04d", i)), "pad": s(strings.Repeat("x", 2048))})
	}
	putItems(t, clients.DynamoDB, "ratings_t", "Id", items)
	if _, err := clients.S3.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(pipeline.DefaultBucket)}); err != nil {
		t.Fatal(err)
	}
	putItems(t, clients.DynamoDB, "movies_t", "movieId", []map[string]types.AttributeValue{{"movieId": s("1")}})
	putItems(t, clients.DynamoDB, "links_t", "movieId", []map[string]types.AttributeValue{{"movieId": s("1")}})
	path := filepath.Join(t.TempDir(), "catalog.duckdb")
	for _, sample := range []bool{false, true} {
		rep, err := catalog.Run(t.Context(), srv.Config(), catalog.Options{CatalogPath: path, SampleDynamoDB: sample})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Tables["ratings_t"].Read; got != 1000 {
			t.Errorf("sample=%v: ratings_t counted %d records, want 1000", sample, got)
		}
	}
	store, err := datacatalog.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tab, err := store.Table(t.Context(), pipeline.DefaultCatalogDatabase, "ratings_t")
	if err != nil {
		t.Fatal(err)
	}
	if cols(tab.Columns) != "id:string,pad:string" || tab.RecordCount != 1000 {
		t.Errorf("sampled table: columns %s, %d records", cols(tab.Columns), tab.RecordCount)
	}
}
