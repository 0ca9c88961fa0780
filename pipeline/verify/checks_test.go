package verify_test

import (
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
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// catalogFixture makes movies_t in DynamoDB and two stream objects under
// firehose/, and a catalog naming both.
func catalogFixture(t *testing.T, srv *emulation.Server) string {
	t.Helper()
	ctx := t.Context()
	c := pipeline.NewClients(srv.Config())
	if _, err := c.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("movies_t"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("movieId"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("movieId"), AttributeType: types.ScalarAttributeTypeS}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{{"10", "Amélie (2001)"}, {"20", `"Heat, ""The"" (1995)"`}} {
		if _, err := c.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("movies_t"), Item: map[string]types.AttributeValue{
			"movieId": &types.AttributeValueMemberS{Value: m[0]}, "title": &types.AttributeValueMemberS{Value: m[1]},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	for key, body := range map[string]string{
		"firehose/2026/11/25/19/a": `{"userid":"1","movieid":"10","ratingid":"0.5","timestamp":"1500000000","eventid":"e1"}` + "\n",
		"firehose/2026/11/25/20/b": `{"userId":"1","movieid":"10","ratingid":"0.5","timestamp":"1500000000","eventid":"e1"}` + "\nnot json\n",
	} {
		if _, err := c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "catalog.duckdb")
	store, err := datacatalog.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	str := func(names ...string) []datacatalog.Column {
		var cols []datacatalog.Column
		for _, n := range names {
			cols = append(cols, datacatalog.Column{Name: n, Type: "string"})
		}
		return cols
	}
	if err := store.Put(ctx,
		datacatalog.Table{Database: pipeline.DefaultCatalogDatabase, Name: "movies_t", Location: "arn:aws:dynamodb:us-east-1:000000000000:table/movies_t",
			Classification: datacatalog.ClassificationDynamoDB, Columns: str("movieid", "title"), RecordCount: 2, CrawledAt: time.Now()},
		datacatalog.Table{Database: pipeline.DefaultCatalogDatabase, Name: "firehose", Location: "s3://ml-data-lake/firehose/",
			Classification: datacatalog.ClassificationJSON, Columns: str("userid", "movieid", "ratingid", "timestamp", "eventid"),
			PartitionKeys: str("partition_0", "partition_1", "partition_2", "partition_3"), RecordCount: 2, CrawledAt: time.Now()},
	); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestChecks: checks of one's own see the outputs and the catalog's
// tables, all as text; one that returns rows fails with its name, its row
// count and its first rows; one that does not run fails saying so.
func TestChecks(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	putOutputs(t, srv, goodOutputs)
	catalog := catalogFixture(t, srv)
	checks := []verify.Check{
		{Name: "ratings_in_range.sql", SQL: "SELECT * FROM rating_new WHERE rating::DOUBLE NOT BETWEEN 0.5 AND 5"},
		{Name: "every_rated_movie_known.sql", SQL: `
			SELECT r.movieid FROM rating_new AS r LEFT JOIN movies_t AS m USING (movieid) WHERE m.movieid IS NULL`},
		{Name: "stream_in_output.sql", SQL: `
			-- every streamed record is in rating_new, read from the Firehose's own table
			SELECT f.* FROM firehose AS f
			WHERE NOT EXISTS (SELECT 1 FROM rating_new AS r WHERE r.userid = f.userid AND r.movieid = f.movieid AND r.rating = f.ratingid)`},
		{Name: "stream_partitions.sql", SQL: "SELECT * FROM firehose WHERE partition_0 <> '2026' OR partition_3 NOT IN ('19', '20') OR userid IS NULL"},
		{Name: "all_loaded.sql", SQL: `
			SELECT 'firehose' AS t, count(*) AS n FROM firehose HAVING count(*) <> 2
			UNION ALL SELECT 'movies_t', count(*) FROM movies_t HAVING count(*) <> 2`},
		{Name: "titles_upper.sql", SQL: "SELECT movieid, title FROM movies_new WHERE title <> upper(title) ORDER BY movieid"},
		{Name: "broken.sql", SQL: "SELECT * FROM no_such_table"},
	}
	res, err := verify.Run(t.Context(), srv.Config(), verify.Options{Checks: checks, CatalogPath: catalog})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]verify.Assertion{}
	for _, a := range res.Assertions {
		got[a.Name] = a
	}
	for _, name := range []string{"ratings_in_range.sql", "every_rated_movie_known.sql", "stream_in_output.sql", "stream_partitions.sql", "all_loaded.sql"} {
		if a, ok := got["checks/"+name]; !ok || !a.Passed {
			t.Errorf("checks/%s: %+v, want passed", name, a)
		}
	}
	a := got["checks/titles_upper.sql"]
	want := "titles_upper.sql returned 2 rows, want none; the first 2:\n" +
		"    movieid  title\n" +
		"    10       Amélie (2001)\n" +
		"    20       Heat, The (1995)"
	if a.Passed || a.Message != want {
		t.Errorf("checks/titles_upper.sql: passed %v, message:\n%s\nwant:\n%s", a.Passed, a.Message, want)
	}
	if a := got["checks/broken.sql"]; a.Passed || !strings.Contains(a.Message, "broken.sql does not run") || !strings.Contains(a.Message, "no_such_table") {
		t.Errorf("checks/broken.sql: %+v", a)
	}
}

func TestReadChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if checks, err := verify.ReadChecks(filepath.Join(dir, "none")); err != nil || checks != nil {
		t.Errorf("missing folder: %v, %v; want no checks", checks, err)
	}
	for name, body := range map[string]string{"b.sql": "SELECT 2", "a.sql": "SELECT 1", "notes.txt": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checks, err := verify.ReadChecks(dir)
	if err != nil || len(checks) != 2 || checks[0].Name != "a.sql" || checks[1].SQL != "SELECT 2" {
		t.Errorf("ReadChecks = %+v, %v", checks, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c.sql"), []byte(" \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.ReadChecks(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "c.sql")+" is empty") {
		t.Errorf("empty check: %v", err)
	}
}
