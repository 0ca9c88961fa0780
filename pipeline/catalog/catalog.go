package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// DefaultParallelism is how many DynamoDB scan segments and S3 objects a
// crawl reads at once when Options.Parallelism is zero.
const DefaultParallelism = 4

// Options configure a crawl.
type Options struct {
	// Names are the bucket, stream prefix, DynamoDB tables and catalog
	// database; empty fields take the workshop's defaults.
	Names pipeline.Names
	// CatalogPath is the DuckDB file the catalog is kept in. Required.
	CatalogPath string
	// DynamoDBTables are the tables to crawl; nil means Names.RatingsTable,
	// Names.MoviesTable and Names.LinksTable, the workshop's crawler.
	DynamoDBTables []string
	// Parallelism is the number of scan segments per DynamoDB table and of S3
	// objects read at once; zero means DefaultParallelism.
	Parallelism int
	// SampleDynamoDB, like Glue's crawler with scanAll=false, infers a
	// DynamoDB table's schema from its first page of items (up to 1 MB)
	// instead of every item, and takes the record count from DescribeTable's
	// ItemCount. The default (false) scans all, as Glue's crawler does.
	SampleDynamoDB bool
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// Now is the clock for CrawledAt; nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() (Options, error) {
	o.Names = o.Names.WithDefaults()
	if o.CatalogPath == "" {
		return o, errors.New("Options.CatalogPath is required")
	}
	if o.DynamoDBTables == nil {
		o.DynamoDBTables = []string{o.Names.RatingsTable, o.Names.MoviesTable, o.Names.LinksTable}
	}
	if o.Parallelism == 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.Parallelism < 0 {
		return o, fmt.Errorf("Options.Parallelism %d is negative", o.Parallelism)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// Run is the Glue crawler: it infers the tables of the stream's S3 prefix
// (s3://Bucket/FirehosePrefix, JSON lines, gzipped or not) and of the
// DynamoDB tables, and writes them to the catalog database
// Names.CatalogDatabase in the DuckDB file Options.CatalogPath.
//
// An S3 prefix "firehose/" gives the table "firehose"; a prefix without a
// trailing slash such as "firehose" gives one table per folder it begins
// ("firehose2026"), as Glue named the workshop's "firehose2018". Firehose's
// YYYY/MM/DD/HH folders below the table become partition keys partition_0...
// An S3 prefix with no objects gives no table (and a warning); catalog tables
// under the prefix that no longer have objects are removed. A DynamoDB table
// that does not exist is an error.
//
// The report counts records and items read, catalog tables written and
// malformed JSON records (rejected: not a JSON object on one line), per
// table under Tables, and the SDK calls retried.
func Run(ctx context.Context, cfg aws.Config, opts Options) (rep pipeline.Report, err error) {
	start := time.Now()
	rep = pipeline.Report{Stage: "catalog", Tables: map[string]pipeline.TableCounts{}}
	opts, err = opts.withDefaults()
	if err != nil {
		return rep, err
	}
	log := opts.Logger.With("stage", "catalog")
	cfg, retries := pipeline.CountRetries(cfg)
	defer func() {
		rep.Retried = retries.Load()
		rep.Duration = time.Since(start)
	}()
	clients := pipeline.NewClients(cfg)
	names := opts.Names

	var tables []datacatalog.Table
	crawls, err := crawlS3(ctx, clients.S3, names.Bucket, names.FirehosePrefix, opts.Parallelism, log)
	if err != nil {
		return rep, fmt.Errorf("crawl s3://%s/%s: %w", names.Bucket, names.FirehosePrefix, err)
	}
	if len(crawls) == 0 {
		log.Warn("no objects under the stream prefix", "location", "s3://"+names.Bucket+"/"+names.FirehosePrefix)
	}
	for _, c := range crawls {
		tables = append(tables, c.table)
		rep.Rejected += c.rejected
		rep.Tables[c.table.Name] = pipeline.TableCounts{Read: c.table.RecordCount, Rejected: c.rejected}
	}
	for _, name := range opts.DynamoDBTables {
		t, err := crawlDynamoDB(ctx, clients.DynamoDB, name, opts.Parallelism, opts.SampleDynamoDB)
		if err != nil {
			return rep, fmt.Errorf("%w", err)
		}
		log.Info("crawled", "table", t.Name, "rows", t.RecordCount, "columns", len(t.Columns))
		tables = append(tables, t)
		rep.Tables[t.Name] = pipeline.TableCounts{Read: t.RecordCount}
	}
	seen := map[string]string{}
	for _, t := range tables {
		if loc, dup := seen[t.Name]; dup {
			return rep, fmt.Errorf("%s and %s both make the table %q", loc, t.Location, t.Name)
		}
		seen[t.Name] = t.Location
	}
	now := opts.Now().UTC()
	for i := range tables {
		tables[i].Database = names.CatalogDatabase
		tables[i].CrawledAt = now
		rep.Read += tables[i].RecordCount
	}

	store, err := datacatalog.Open(ctx, opts.CatalogPath)
	if err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	err = write(ctx, store, names, tables)
	if cerr := store.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close catalog %s: %w", opts.CatalogPath, cerr))
	}
	if err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	for _, t := range tables {
		c := rep.Tables[t.Name]
		c.Written = 1
		rep.Tables[t.Name] = c
	}
	rep.Written = int64(len(tables))
	log.Info("catalog written", "database", names.CatalogDatabase, "tables", len(tables), "rows", rep.Read, "rejected", rep.Rejected, "duration", time.Since(start))
	return rep, nil
}

// write replaces the crawled tables and removes the JSON tables under the
// crawled prefix that the crawl no longer found.
func write(ctx context.Context, store *datacatalog.Store, names pipeline.Names, tables []datacatalog.Table) error {
	old, err := store.Tables(ctx, names.CatalogDatabase)
	if err != nil {
		return err
	}
	found := map[string]bool{}
	for _, t := range tables {
		found[t.Name] = true
	}
	under := "s3://" + names.Bucket + "/" + names.FirehosePrefix
	var stale []string
	for _, t := range old {
		if t.Classification == datacatalog.ClassificationJSON && strings.HasPrefix(t.Location, under) && !found[t.Name] {
			stale = append(stale, t.Name)
		}
	}
	if err := store.Delete(ctx, names.CatalogDatabase, stale...); err != nil {
		return err
	}
	return store.Put(ctx, tables...)
}
