package datacatalog_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

func openStore(tb testing.TB, path string) *datacatalog.Store {
	tb.Helper()
	s, err := datacatalog.Open(tb.Context(), path)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub", "catalog.duckdb")
	crawled := time.Date(2026, 11, 25, 19, 3, 11, 0, time.UTC)
	firehose := datacatalog.Table{
		Database: "ml-data-lake", Name: "firehose", Location: "s3://ml-data-lake/firehose/",
		Classification: datacatalog.ClassificationJSON, Compression: "gzip",
		Columns: []datacatalog.Column{{Name: "userid", Type: "string"}, {Name: "movieid", Type: "string"},
			{Name: "ratingid", Type: "string"}, {Name: "timestamp", Type: "string"}},
		PartitionKeys: []datacatalog.Column{{Name: "partition_0", Type: "string"}, {Name: "partition_1", Type: "string"}},
		RecordCount:   5, ObjectCount: 2, SizeBytes: 321, CrawledAt: crawled,
	}
	ratings := datacatalog.Table{
		Database: "ml-data-lake", Name: "ratings_t", Location: "arn:aws:dynamodb:us-east-1:000000000000:table/ratings_t",
		Classification: datacatalog.ClassificationDynamoDB, Compression: "none",
		Columns:     []datacatalog.Column{{Name: "id", Type: "string"}, {Name: "rating", Type: "string"}},
		RecordCount: 10, CrawledAt: crawled,
	}
	other := ratings
	other.Database = "other"

	s := openStore(t, path)
	if err := s.Put(ctx, ratings, firehose, other); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tables(ctx, "ml-data-lake")
	if err != nil {
		t.Fatal(err)
	}
	if want := []datacatalog.Table{firehose, ratings}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tables =\n%+v\nwant\n%+v", got, want)
	}

	// Put replaces a table of the same name.
	ratings.Columns = ratings.Columns[:1]
	ratings.RecordCount = 11
	if err := s.Put(ctx, ratings); err != nil {
		t.Fatal(err)
	}
	// The file persists across Close and Open.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, path)
	t.Cleanup(func() { s.Close() })
	tab, err := s.Table(ctx, "ml-data-lake", "ratings_t")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tab, ratings) {
		t.Errorf("Table after replace = %+v, want %+v", tab, ratings)
	}
	if c, ok := tab.Column("id"); !ok || c.Type != "string" {
		t.Errorf("Column(id) = %v, %v", c, ok)
	}
	if _, ok := tab.Column("rating"); ok {
		t.Error("Column(rating) found after the replace dropped it")
	}

	if err := s.Delete(ctx, "ml-data-lake", "firehose", "nonexistent"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Table(ctx, "ml-data-lake", "firehose"); !errors.Is(err, datacatalog.ErrNotFound) {
		t.Errorf("Table after Delete: err = %v, want ErrNotFound", err)
	}
	if tab, err := s.Table(ctx, "other", "ratings_t"); err != nil || tab.RecordCount != 10 {
		t.Errorf("the other database's table: %+v, %v", tab, err)
	}
	if got, err := s.Tables(ctx, "empty"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Tables(empty) = %v, %v; want an empty slice", got, err)
	}
	if err := s.Put(ctx, datacatalog.Table{Name: "x"}); err == nil {
		t.Error("Put of a table without a database succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	if _, err := datacatalog.Open(t.Context(), ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	// A file that is not a DuckDB database.
	path := filepath.Join(t.TempDir(), "not.duckdb")
	if err := os.WriteFile(path, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := datacatalog.Open(t.Context(), path); err == nil {
		s.Close()
		t.Error("Open of a text file succeeded")
	}
}

func TestDatabases(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "catalog.duckdb"))
	t.Cleanup(func() { s.Close() })
	dbs, err := s.Databases(t.Context())
	if err != nil || len(dbs) != 0 {
		t.Fatalf("empty catalog: %v, %v", dbs, err)
	}
	now := time.Now()
	if err := s.Put(t.Context(), datacatalog.Table{Database: "b", Name: "x", CrawledAt: now}, datacatalog.Table{Database: "a", Name: "y", CrawledAt: now},
		datacatalog.Table{Database: "b", Name: "z", CrawledAt: now}); err != nil {
		t.Fatal(err)
	}
	if dbs, err = s.Databases(t.Context()); err != nil || !reflect.DeepEqual(dbs, []string{"a", "b"}) {
		t.Errorf("Databases = %v, %v; want [a b]", dbs, err)
	}
}
