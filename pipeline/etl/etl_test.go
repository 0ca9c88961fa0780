package etl_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/catalog"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
	"github.com/mldatalake/mldatalake/pipeline/etl"
)

// seed loads the fixture into the emulator: the bucket's objects and the
// three DynamoDB tables.
func seed(tb testing.TB, c *pipeline.Clients, fx etl.Fixture) {
	tb.Helper()
	ctx := tb.Context()
	bucket := aws.String(pipeline.DefaultBucket)
	// Under fault injection a lost response makes the SDK's retry find the
	// bucket or table already made: that is success.
	var owned *s3types.BucketAlreadyOwnedByYou
	if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil && !errors.As(err, &owned) {
		tb.Fatal(err)
	}
	for _, k := range fx.Keys {
		if _, err := c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: bytes.NewReader(fx.Objects[k])}); err != nil {
			tb.Fatalf("put %s: %v", k, err)
		}
	}
	for table, hash := range map[string]string{"ratings_t": "Id", "movies_t": "movieId", "links_t": "movieId"} {
		_, err := c.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(table),
			BillingMode:          types.BillingModePayPerRequest,
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(hash), AttributeType: types.ScalarAttributeTypeS}},
		})
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			tb.Fatalf("create table %s: %v", table, err)
		}
		if err := dynamodb.NewTableExistsWaiter(c.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
		}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 30*time.Second); err != nil {
			tb.Fatalf("wait for %s: %v", table, err)
		}
		items := fx.Items[table]
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
				out, err := c.DynamoDB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					tb.Fatalf("batch write %s: %v", table, err)
				}
				pending = out.UnprocessedItems
			}
		}
	}
}

// listPrefix returns the keys and sizes under prefix.
func listPrefix(tb testing.TB, c *s3.Client, prefix string) map[string]int64 {
	tb.Helper()
	out, err := c.ListObjectsV2(tb.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(pipeline.DefaultBucket), Prefix: aws.String(prefix)})
	if err != nil {
		tb.Fatal(err)
	}
	keys := map[string]int64{}
	for _, o := range out.Contents {
		keys[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
	}
	return keys
}

func get(tb testing.TB, c *s3.Client, key string) []byte {
	tb.Helper()
	out, err := c.GetObject(tb.Context(), &s3.GetObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(key)})
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var partName = regexp.MustCompile(`^part-00000-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-c000\.csv$`)

// checkOutput checks that prefix holds exactly one part file, named as
// Spark names it, and an empty _SUCCESS, and returns the part's key.
func checkOutput(tb testing.TB, c *s3.Client, prefix string) string {
	tb.Helper()
	keys := listPrefix(tb, c, prefix)
	if len(keys) != 2 {
		tb.Errorf("%s holds %v, want one part and _SUCCESS", prefix, keys)
	}
	if size, ok := keys[prefix+etl.SuccessMarker]; !ok || size != 0 {
		tb.Errorf("%s: _SUCCESS missing or not empty (%d bytes)", prefix, size)
	}
	var part string
	for k := range keys {
		if name := strings.TrimPrefix(k, prefix); partName.MatchString(name) {
			part = k
		}
	}
	if part == "" {
		tb.Fatalf("%s: no part-00000-<uuid>-c000.csv in %v", prefix, keys)
	}
	return part
}

// TestRunEmulator runs the catalog and etl stages on the tiny fixture in the
// embedded emulator and compares the objects written with the same golden
// files as TestGoldenTiny.
func TestRunEmulator(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	cfg := srv.Config()
	clients := pipeline.NewClients(cfg)
	fx := etl.LoadFixture(t, filepath.Join("testdata", "tiny"))
	seed(t, clients, fx)
	// A previous run's output, to be replaced.
	for _, k := range []string{"ml/trainingdata/rating_new/part-00000-old-c000.csv", "ml/trainingdata/rating_new/_SUCCESS", "ml/trainingdata/_rejects/part-00000-old-c000.csv"} {
		if _, err := clients.S3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(k), Body: strings.NewReader("old\n")}); err != nil {
			t.Fatal(err)
		}
	}

	catalogPath := filepath.Join(t.TempDir(), "catalog.duckdb")
	if _, err := catalog.Run(t.Context(), cfg, catalog.Options{CatalogPath: catalogPath}); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	opts := etl.Options{CatalogPath: catalogPath, WorkDir: t.TempDir(), Parallelism: 2}
	rep, err := etl.Run(t.Context(), cfg, opts)
	if err != nil {
		t.Fatalf("etl: %v", err)
	}

	parts := map[string]string{}
	for _, name := range etl.Outputs {
		part := checkOutput(t, clients.S3, pipeline.TrainingPrefix+name+"/")
		parts[name] = part
		etl.Golden(t, name+".csv", get(t, clients.S3, part))
	}
	etl.Golden(t, "rejects.csv", get(t, clients.S3, checkOutput(t, clients.S3, etl.RejectsPrefix)))

	// Rows: ratings_t 10 items, stream 7 records, movies_t 7, links_t 5;
	// dropped: 2 + 2 for rating_new, 1 for movies_new, 1 for links_new.
	if rep.Stage != "etl" || rep.Read != 29 || rep.Written != 23 || rep.Rejected != 6 || rep.Retried != 0 || rep.Duration <= 0 {
		t.Errorf("report = %+v", rep)
	}
	for name, want := range map[string]pipeline.TableCounts{
		"ratings_t":  {Read: 10, Written: 8, Rejected: 2},
		"firehose":   {Read: 7, Written: 5, Rejected: 2},
		"movies_t":   {Read: 7, Written: 6, Rejected: 1},
		"links_t":    {Read: 5, Written: 4, Rejected: 1},
		"rating_new": {Read: 17, Written: 13, Rejected: 4},
		"movies_new": {Read: 7, Written: 6, Rejected: 1},
		"links_new":  {Read: 5, Written: 4, Rejected: 1},
	} {
		if got := rep.Tables[name]; got != want {
			t.Errorf("report for %s = %+v, want %+v", name, got, want)
		}
	}

	t.Run("a second run replaces the outputs", func(t *testing.T) {
		if _, err := etl.Run(t.Context(), cfg, opts); err != nil {
			t.Fatal(err)
		}
		for _, name := range etl.Outputs {
			part := checkOutput(t, clients.S3, pipeline.TrainingPrefix+name+"/")
			if part == parts[name] {
				t.Errorf("%s: the second run kept the part %s", name, part)
			}
			etl.Golden(t, name+".csv", get(t, clients.S3, part))
		}
	})

	t.Run("ErrorIfExists refuses existing outputs", func(t *testing.T) {
		o := opts
		o.Mode = etl.ErrorIfExists
		_, err := etl.Run(t.Context(), cfg, o)
		if err == nil || !strings.Contains(err.Error(), "ml/trainingdata/rating_new/ already exists") {
			t.Errorf("err = %v, want rating_new named as existing", err)
		}
	})

	t.Run("sources missing from the catalog", func(t *testing.T) {
		o := opts
		o.CatalogPath = filepath.Join(t.TempDir(), "none.duckdb")
		_, err := etl.Run(t.Context(), cfg, o)
		if err == nil || !strings.Contains(err.Error(), "none.duckdb") || !strings.Contains(err.Error(), "run the catalog stage first") {
			t.Errorf("no catalog file: err = %v", err)
		}
		if _, err := os.Stat(o.CatalogPath); err == nil {
			t.Error("the failed run created the catalog file")
		}
		// A catalog without the DynamoDB tables.
		store, err := datacatalog.Open(t.Context(), o.CatalogPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = etl.Run(t.Context(), cfg, o)
		if err == nil || !strings.Contains(err.Error(), "ratings_t") || !strings.Contains(err.Error(), "run the catalog stage first") {
			t.Errorf("empty catalog: err = %v", err)
		}
	})

	t.Run("bad options", func(t *testing.T) {
		for _, o := range []etl.Options{{}, {CatalogPath: catalogPath, Parallelism: -1}, {CatalogPath: catalogPath, Mode: 7}} {
			if _, err := etl.Run(t.Context(), cfg, o); err == nil {
				t.Errorf("Run(%+v) succeeded", o)
			}
		}
	})
}

// TestRunEmulatorFaults runs catalog and etl with throttles, 5xx errors and
// lost responses injected: the outputs are still exactly the golden files.
func TestRunEmulatorFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the SDK's backoff makes this take seconds")
	}
	faults := fault.Config{Seed: 7, Rates: map[fault.Kind]float64{
		fault.Throttle: 0.1, fault.Error5xx: 0.05, fault.LostResponse: 0.05, fault.Partial: 0.2,
	}}
	srv := emulation.NewTestServer(t, emulation.WithFaults(faults))
	cfg := srv.Config()
	clients := pipeline.NewClients(cfg)
	seed(t, clients, etl.LoadFixture(t, filepath.Join("testdata", "tiny")))

	catalogPath := filepath.Join(t.TempDir(), "catalog.duckdb")
	if _, err := catalog.Run(t.Context(), cfg, catalog.Options{CatalogPath: catalogPath}); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	for run := range 2 {
		rep, err := etl.Run(t.Context(), cfg, etl.Options{CatalogPath: catalogPath, WorkDir: t.TempDir()})
		if err != nil {
			t.Fatalf("etl run %d: %v", run, err)
		}
		if rep.Written != 23 || rep.Rejected != 6 || rep.Retried == 0 {
			t.Errorf("run %d: report = %+v, want 23 written, 6 rejected, some retried", run, rep)
		}
		for _, name := range etl.Outputs {
			etl.Golden(t, name+".csv", get(t, clients.S3, checkOutput(t, clients.S3, pipeline.TrainingPrefix+name+"/")))
		}
	}
	counts := srv.Faults.Counts()
	if counts[fault.Throttle]+counts[fault.Error5xx]+counts[fault.LostResponse] == 0 {
		t.Errorf("no faults were injected: %v", counts)
	}
	t.Logf("faults injected: %v", counts)
}

// TestRunKeepsOneRowPerEvent: a record delivered twice (the same event id in
// two objects) is one row of rating_new, the first arrival's, and the
// report counts the duplicate; records without an event id are all kept.
func TestRunKeepsOneRowPerEvent(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	cfg := srv.Config()
	clients := pipeline.NewClients(cfg)
	fx := etl.LoadFixture(t, filepath.Join("testdata", "tiny"))
	seed(t, clients, fx)
	for key, body := range map[string]string{
		"firehose/2026/11/25/21/gc_firehose-1-2026-11-25-21-00-00-a": `{"userid":"9","movieid":"90","ratingid":"2.5","timestamp":"1","eventid":"e-2"}` + "\n" +
			`{"userid":"9","movieid":"91","ratingid":"3.5","timestamp":"2","eventid":"e-3"}` + "\n",
		// The same events again, later (a resend or a lost response), the
		// first with other values that must not win.
		"firehose/2026/11/25/22/gc_firehose-1-2026-11-25-22-00-00-b": `{"userid":"9","movieid":"90","ratingid":"0.5","timestamp":"1","eventid":"e-2"}` + "\n" +
			`{"userid":"9","movieid":"91","ratingid":"3.5","timestamp":"2","eventid":"e-3"}` + "\n",
	} {
		if _, err := clients.S3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	catalogPath := filepath.Join(t.TempDir(), "catalog.duckdb")
	if _, err := catalog.Run(t.Context(), cfg, catalog.Options{CatalogPath: catalogPath}); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	rep, err := etl.Run(t.Context(), cfg, etl.Options{CatalogPath: catalogPath, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out := string(get(t, clients.S3, checkOutput(t, clients.S3, pipeline.TrainingPrefix+pipeline.RatingNew+"/")))
	for _, want := range []string{"9,90,2.5,1\n", "9,91,3.5,2\n"} {
		if strings.Count(out, want) != 1 {
			t.Errorf("rating_new holds %q %d times, want once:\n%s", want, strings.Count(out, want), out)
		}
	}
	if strings.Contains(out, "9,90,0.5,1") {
		t.Errorf("the later delivery of e-2 won:\n%s", out)
	}
	// The fixture's 7 stream records have no event id and are all kept.
	for name, want := range map[string]pipeline.TableCounts{
		"firehose":   {Read: 11, Written: 7, Rejected: 2, Duplicates: 2},
		"rating_new": {Read: 21, Written: 15, Rejected: 4, Duplicates: 2},
	} {
		if got := rep.Tables[name]; got != want {
			t.Errorf("report for %s = %+v, want %+v", name, got, want)
		}
	}
}
