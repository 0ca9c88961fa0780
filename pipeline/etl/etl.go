package etl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// SaveMode says what Run does with objects already under an output's prefix,
// as Spark's DataFrameWriter modes do.
type SaveMode int

const (
	// Overwrite replaces what is under each output prefix (Spark's
	// "overwrite"), so the job can run again. This is the default: the
	// workshop's job used Spark's default, error-if-exists, and so failed on
	// its second run.
	Overwrite SaveMode = iota
	// ErrorIfExists fails before reading anything when an output prefix
	// already holds objects.
	ErrorIfExists
)

// DefaultParallelism is how many DynamoDB scan segments and S3 downloads the
// job runs at once when Options.Parallelism is zero.
const DefaultParallelism = 4

// RejectsPrefix is where the rows the job's null filters drop are kept, one
// CSV object (output, source, origin, reason, record) per run, only when
// there are any. The leading '_' hides it from Spark- and Hadoop-style
// readers of ml/trainingdata/.
const RejectsPrefix = pipeline.TrainingPrefix + "_rejects/"

// Options configure a job run.
type Options struct {
	// Names are the bucket, tables, stream prefix and catalog database; empty
	// fields take the workshop's defaults.
	Names pipeline.Names
	// CatalogPath is the DuckDB file the catalog stage wrote. Required.
	CatalogPath string
	// WorkDir is where the job's temporary folder is made (the downloaded
	// stream objects, DuckDB's spill files, the output CSVs before upload);
	// empty means os.TempDir(). The folder is removed at the end unless
	// KeepWorkDir is set. Its path must not contain '*', '?' or '['
	// (DuckDB reads the staged files by path and would expand them).
	WorkDir     string
	KeepWorkDir bool
	// Parallelism is the number of DynamoDB scan segments and of S3 objects
	// downloaded at once; zero means DefaultParallelism.
	Parallelism int
	// Mode is what to do with existing objects under an output prefix.
	Mode SaveMode
	// MemoryLimit caps DuckDB's memory, in DuckDB's notation ("4GB");
	// beyond it DuckDB spills to the work folder. Empty means
	// DefaultMemoryLimit: DuckDB's own default (80% of the machine) is too
	// much beside in-process emulators.
	MemoryLimit string
	// Scripts are the transform; nil means BuiltinScripts, the workshop's
	// job. ReadScripts reads one from a folder; the package documentation
	// says what the job provides them and what they must do.
	Scripts []Script
	// Logger receives progress; nil discards.
	Logger *slog.Logger
}

// DefaultMemoryLimit is Options.MemoryLimit's default.
const DefaultMemoryLimit = "4GB"

func (o Options) withDefaults() (Options, error) {
	o.Names = o.Names.WithDefaults()
	if o.CatalogPath == "" {
		return o, errors.New("Options.CatalogPath is required")
	}
	if o.Parallelism == 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.Parallelism < 0 {
		return o, fmt.Errorf("Options.Parallelism %d is negative", o.Parallelism)
	}
	if o.Mode != Overwrite && o.Mode != ErrorIfExists {
		return o, fmt.Errorf("unknown Options.Mode %d", o.Mode)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MemoryLimit == "" {
		o.MemoryLimit = DefaultMemoryLimit
	}
	return o, nil
}

// inputs are the catalog tables the job reads.
type inputs struct {
	dynamo map[string]datacatalog.Table // by label: ratings, movies, links
	stream []datacatalog.Table          // the JSON tables under the stream's prefix
}

// Run is the workshop's Glue job. It reads its sources from the catalog
// database in Options.CatalogPath (written by the catalog stage): the
// DynamoDB tables Names.RatingsTable, MoviesTable and LinksTable, read by a
// parallel Scan into DuckDB through its Appender, and every JSON table under
// s3://Bucket/FirehosePrefix, whose objects are downloaded to the work
// folder. It runs the transform (Options.Scripts, by default the built-in
// sql/*.sql) and writes, under
// s3://Bucket/ml/trainingdata/,
//
//	rating_new/  userid,movieid,rating,timestamp_c  ratings_t union the stream, by userid, movieid
//	movies_new/  movieid,title,genres               by movieid
//	links_new/   movieid,imdbid,tmdbid              by movieid
//
// each as one CSV object with a header row, RFC 4180 quoting, named like
// Spark's part-00000-<uuid>-c000.csv, followed by an empty _SUCCESS object.
// Rows whose id does not cast to an integer are dropped as in the workshop;
// they are counted as rejected and written to RejectsPrefix.
//
// A source table missing from the catalog, or lacking a column the script
// selects while it has records, is an error; no stream table under the
// prefix means no stream records (with a warning).
//
// Stream records are kept once per event id (the first arrival): Kinesis and
// Firehose deliver at least once, and the producer may resend.
//
// The report's Read, Written and Rejected count rows. Tables holds them per
// source table (keyed by its catalog name; several stream tables share one
// entry, their names joined by '+') and per output ("rating_new", ...), in
// both cases with Read = Written + Rejected + Duplicates (the stream's
// deliveries of an event id beyond its first). Retried counts the SDK calls
// tried again after a throttle, a 5xx or a lost response.
func Run(ctx context.Context, cfg aws.Config, opts Options) (rep pipeline.Report, err error) {
	start := time.Now()
	rep = pipeline.Report{Stage: "etl", Tables: map[string]pipeline.TableCounts{}}
	opts, err = opts.withDefaults()
	if err != nil {
		return rep, err
	}
	log := opts.Logger.With("stage", "etl")
	names := opts.Names
	cfg, retries := pipeline.CountRetries(cfg)
	defer func() {
		rep.Retried = retries.Load()
		rep.Duration = time.Since(start)
	}()
	clients := pipeline.NewClients(cfg)

	in, err := readCatalog(ctx, opts.CatalogPath, names)
	if err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	if len(in.stream) == 0 {
		log.Warn("no stream table in the catalog: no stream records", "location", "s3://"+names.Bucket+"/"+names.FirehosePrefix)
	}
	if opts.Mode == ErrorIfExists {
		for _, o := range outputs {
			prefix := pipeline.TrainingPrefix + o.name + "/"
			keys, err := pipeline.ListKeys(ctx, clients.S3, names.Bucket, prefix)
			if err != nil {
				return rep, fmt.Errorf("%w", err)
			}
			if len(keys) > 0 {
				return rep, fmt.Errorf("s3://%s/%s already exists (mode ErrorIfExists)", names.Bucket, prefix)
			}
		}
	}

	dir, err := os.MkdirTemp(opts.WorkDir, "etl-")
	if err != nil {
		return rep, fmt.Errorf("make work folder: %w", err)
	}
	if strings.ContainsAny(dir, "*?[") {
		return rep, errors.Join(fmt.Errorf("work folder %s has a glob character", dir), os.RemoveAll(dir))
	}
	if opts.KeepWorkDir {
		log.Info("work folder kept", "dir", dir)
	} else {
		defer func() {
			if rerr := os.RemoveAll(dir); rerr != nil {
				log.Warn("remove work folder", "dir", dir, "err", rerr)
			}
		}()
	}

	j, err := newJob(ctx, dir, opts.MemoryLimit, log)
	if err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	if opts.Scripts != nil {
		j.scripts = opts.Scripts
	}
	defer func() {
		if cerr := j.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close DuckDB: %w", cerr))
		}
	}()

	// Load the sources.
	for _, label := range []string{labelRatings, labelMovies, labelLinks} {
		t := in.dynamo[label]
		table := datacatalog.DynamoDBTableName(t.Location)
		if err := j.addSource(ctx, label, t.Name, t.Location); err != nil {
			return rep, fmt.Errorf("%w", err)
		}
		cols := stagingColumns(t, required[label])
		if err := j.createStaging(ctx, label, cols); err != nil {
			return rep, fmt.Errorf("%w", err)
		}
		t0 := time.Now()
		n, err := loadDynamoDB(ctx, j, clients.DynamoDB, table, label, cols, opts.Parallelism)
		if err != nil {
			return rep, fmt.Errorf("load %s: %w", table, err)
		}
		log.Info("loaded", "table", table, "rows", n, "duration", time.Since(t0))
	}
	streamName := labelStream
	if len(in.stream) > 0 {
		var tnames []string
		for _, t := range in.stream {
			tnames = append(tnames, t.Name)
		}
		streamName = strings.Join(tnames, "+")
	}
	streamLocation := "s3://" + names.Bucket + "/" + names.FirehosePrefix
	if err := j.addSource(ctx, labelStream, streamName, streamLocation); err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	t0 := time.Now()
	files, err := downloadStream(ctx, clients.S3, in.stream, dir, opts.Parallelism)
	if err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	if err := j.loadStream(ctx, files); err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	log.Info("loaded", "table", streamName, "objects", len(files), "duration", time.Since(t0))

	// Transform and write.
	t0 = time.Now()
	c, err := j.transform(ctx, dir)
	if err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	log.Info("transformed", "duration", time.Since(t0))
	for _, o := range outputs {
		key, err := publish(ctx, clients.S3, names.Bucket, pipeline.TrainingPrefix+o.name+"/", localFile(dir, o.name+".csv"))
		if err != nil {
			return rep, fmt.Errorf("%w", err)
		}
		log.Info("written", "table", o.name, "rows", c.written[o.name], "key", key)
	}
	var rejected int64
	for _, n := range c.rejected {
		rejected += n
	}
	rejectsKey, err := publishRejects(ctx, clients.S3, names.Bucket, rejected > 0, localFile(dir, rejectsFile))
	if err != nil {
		return rep, fmt.Errorf("%w", err)
	}
	if rejected > 0 {
		log.Warn("rows rejected", "rows", rejected, "key", rejectsKey)
	}

	sourceNames := map[string]string{
		labelRatings: in.dynamo[labelRatings].Name,
		labelMovies:  in.dynamo[labelMovies].Name,
		labelLinks:   in.dynamo[labelLinks].Name,
		labelStream:  streamName,
	}
	dups := map[string]int64{labelStream: c.duplicates}
	for label, name := range sourceNames {
		r, x, d := c.read[label], c.rejected[label], dups[label]
		rep.Tables[name] = pipeline.TableCounts{Read: r, Written: r - x - d, Rejected: x, Duplicates: d}
		rep.Read += r
		rep.Rejected += x
	}
	for _, o := range outputs {
		var r, x, d int64
		for _, label := range o.inputs {
			r += c.read[label]
			x += c.rejected[label]
			d += dups[label]
		}
		rep.Tables[o.name] = pipeline.TableCounts{Read: r, Written: c.written[o.name], Rejected: x, Duplicates: d}
		rep.Written += c.written[o.name]
	}
	if c.duplicates > 0 {
		log.Info("duplicate stream records dropped", "rows", c.duplicates)
	}
	log.Info("done", "rows", rep.Read, "written", rep.Written, "rejected", rep.Rejected, "duration", time.Since(start))
	return rep, nil
}

// readCatalog finds the job's sources in the catalog and checks they have
// the columns the script selects.
func readCatalog(ctx context.Context, path string, names pipeline.Names) (in inputs, err error) {
	if _, err := os.Stat(path); err != nil {
		return in, fmt.Errorf("catalog %s: %w: run the catalog stage first", path, err)
	}
	store, err := datacatalog.Open(ctx, path)
	if err != nil {
		return in, err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close catalog %s: %w", path, cerr))
		}
	}()
	db := names.CatalogDatabase
	in.dynamo = map[string]datacatalog.Table{}
	for _, src := range []struct{ label, name string }{
		{labelRatings, names.RatingsTable},
		{labelMovies, names.MoviesTable},
		{labelLinks, names.LinksTable},
	} {
		label, name := src.label, src.name
		t, err := store.Table(ctx, db, datacatalog.TableName(name))
		if errors.Is(err, datacatalog.ErrNotFound) {
			return in, fmt.Errorf("%w: run the catalog stage first", err)
		}
		if err != nil {
			return in, err
		}
		if t.Classification != datacatalog.ClassificationDynamoDB {
			return in, fmt.Errorf("catalog table %s is classified %q: the job reads it from DynamoDB", t.Name, t.Classification)
		}
		if err := checkColumns(t, required[label]); err != nil {
			return in, err
		}
		in.dynamo[label] = t
	}
	all, err := store.Tables(ctx, db)
	if err != nil {
		return in, err
	}
	under := "s3://" + names.Bucket + "/" + names.FirehosePrefix
	for _, t := range all {
		if t.Classification == datacatalog.ClassificationJSON && strings.HasPrefix(t.Location, under) {
			if err := checkColumns(t, required[labelStream]); err != nil {
				return in, err
			}
			in.stream = append(in.stream, t)
		}
	}
	return in, nil
}

// checkColumns fails when a table with records lacks a column the script
// selects, as Spark's select would.
func checkColumns(t datacatalog.Table, cols []string) error {
	if t.RecordCount == 0 {
		return nil
	}
	for _, c := range cols {
		if _, ok := t.Column(c); !ok {
			have := make([]string, len(t.Columns))
			for i, col := range t.Columns {
				have[i] = col.Name
			}
			return fmt.Errorf("catalog table %s has no column %s (it has %s)", t.Name, c, strings.Join(have, ", "))
		}
	}
	return nil
}

// stagingColumns are the catalog's data columns plus any required one the
// catalog lacks (an empty table has none).
func stagingColumns(t datacatalog.Table, req []string) []string {
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	for _, c := range req {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	return cols
}

// loadDynamoDB scans table into the staging table of label.
func loadDynamoDB(ctx context.Context, j *job, api pipeline.ScanAPI, table, label string, cols []string, segments int) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan []map[string]types.AttributeValue, segments)
	scanned := make(chan error, 1)
	go func() {
		defer close(scanned)
		_, err := pipeline.ScanItems(ctx, api, table, segments, func(ctx context.Context, _ int, items []map[string]types.AttributeValue) error {
			select {
			case pages <- items:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		close(pages)
		scanned <- err
	}()
	n, err := j.appendItems(ctx, label, cols, pages)
	if err != nil {
		cancel()
		<-scanned
		return n, err
	}
	if err := <-scanned; err != nil {
		return n, err
	}
	return n, nil
}
