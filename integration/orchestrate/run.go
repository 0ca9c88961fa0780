package orchestrate

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/fixtures/movielens"
	"github.com/mldatalake/mldatalake/fixtures/sqlsource"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/catalog"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
	"github.com/mldatalake/mldatalake/pipeline/etl"
	"github.com/mldatalake/mldatalake/pipeline/migrate"
	"github.com/mldatalake/mldatalake/pipeline/stage"
	"github.com/mldatalake/mldatalake/pipeline/stream"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// Runner runs the pipeline's steps against one environment with one set of
// settings. Each step also saves its report under OUT_DIR/stages, so steps
// run one by one (the single-stage targets) reconcile like a full run.
type Runner struct {
	Settings Settings
	Env      *env.Env
	Log      *slog.Logger
	// Out receives progress for people; nil discards.
	Out      io.Writer
	progress *Progress
}

// NewRunner returns a Runner for an environment already open.
func NewRunner(s Settings, e *env.Env, log *slog.Logger, out io.Writer) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if out == nil {
		out = io.Discard
	}
	return &Runner{Settings: s, Env: e, Log: log, Out: out, progress: NewProgress(out)}
}

// TargetLine says in one line which target a run uses and what it reached.
func TargetLine(s Settings, e *env.Env) string {
	how := ""
	if s.Target == env.DefaultTarget && e.Target == env.DefaultTarget {
		how = " (the default; PIPELINE_TARGET=localstack, endpoint or aws for others)"
	} else if s.Target == env.Auto {
		how = " (chosen by PIPELINE_TARGET=auto)"
	}
	return "target " + string(e.Target) + how + ": " + strings.Join(e.Notes, "; ")
}

// OpenEnv brings up the environment the settings name.
func OpenEnv(ctx context.Context, s Settings, log *slog.Logger) (*env.Env, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []env.Option{env.WithLogger(log), env.WithFaults(s.Faults)}
	if s.MySQLDSN != "" {
		opts = append(opts, env.WithMySQLDSN(s.MySQLDSN))
	}
	if s.Profile != "" {
		opts = append(opts, env.WithProfile(s.Profile))
	}
	return env.Open(ctx, s.Target, opts...)
}

func (r *Runner) stagesDir() string { return filepath.Join(r.Settings.OutDir, "stages") }

func (r *Runner) save(rep pipeline.Report) error {
	if err := os.MkdirAll(r.stagesDir(), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.stagesDir(), rep.Stage+".json"), b, 0o644)
}

func (r *Runner) load(stage string) (pipeline.Report, bool) {
	var rep pipeline.Report
	b, err := os.ReadFile(filepath.Join(r.stagesDir(), stage+".json"))
	if err != nil || json.Unmarshal(b, &rep) != nil {
		return rep, false
	}
	return rep, true
}

// dataset returns the prepared dataset under OUT_DIR, preparing it when absent.
func (r *Runner) dataset(ctx context.Context) (string, error) {
	dir := r.Settings.preparedDir()
	if _, err := os.Stat(filepath.Join(dir, "ratings-partial-load.csv")); err == nil {
		return dir, nil
	}
	ds, err := r.PrepareDataset(ctx)
	if err != nil {
		return "", err
	}
	return ds.Prepared.Dir, nil
}

// Seed prepares the dataset and loads it into the MySQL source.
func (r *Runner) Seed(ctx context.Context) (pipeline.Report, error) {
	start := time.Now()
	rep := pipeline.Report{Stage: "seed", Tables: map[string]pipeline.TableCounts{}}
	ds, err := r.PrepareDataset(ctx)
	if err != nil {
		return rep, err
	}
	for name, c := range ds.Prepared.Files {
		rep.Read += int64(c.Read)
		rep.Rejected += int64(c.Rejected)
		rep.Tables[name] = pipeline.TableCounts{Read: int64(c.Read), Written: int64(c.Written), Rejected: int64(c.Rejected)}
	}
	// Prepare already rejected what it could see; rows the load itself
	// refuses (a key the server holds twice) go to rejects/load.csv.
	loadRejects, err := movielens.CreateRejects(filepath.Join(r.Settings.OutDir, "rejects", "load.csv"))
	if err != nil {
		return rep, err
	}
	lr, err := sqlsource.Load(ctx, r.Env.MySQLDSN, ds.Prepared.Dir,
		sqlsource.WithSchema(r.Settings.Names.SourceSchema), sqlsource.WithThreshold(r.Settings.MaxRejects),
		sqlsource.WithRejects(loadRejects), sqlsource.WithLogger(r.Log),
		sqlsource.WithProgress(func(table string, rows int) {
			r.progress.Update("seed", table+" rows", int64(rows), int64(ds.Prepared.Files[table+".csv"].Written))
		}))
	r.progress.Done()
	if cerr := loadRejects.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return rep, fmt.Errorf("seed: load %s into MySQL: %w", ds.Prepared.Dir, err)
	}
	for _, t := range lr.Tables {
		rep.Written += int64(lr.Rows(t.Table))
	}
	rep.Rejected += int64(lr.Rejected)
	rep.Duration = time.Since(start)
	r.Log.Info("seeded", "stage", "seed", "dataset", ds.Name, "rows", rep.Written, "rejected", rep.Rejected)
	return rep, r.save(rep)
}

// Migrate runs the DMS-style full load.
func (r *Runner) Migrate(ctx context.Context) (pipeline.Report, error) {
	s := r.Settings
	// The seed's counts, when it ran, give the bars their totals.
	seed, _ := r.load("seed")
	totals := map[string]int64{}
	for table, file := range map[string]string{s.Names.RatingsTable: "ratings.csv", s.Names.MoviesTable: "movies.csv",
		s.Names.LinksTable: "links.csv", s.Names.TagsTable: "tags.csv"} {
		totals[table] = seed.Tables[file].Written
	}
	opts := migrate.Options{Names: s.Names, Logger: r.Log, PrepMode: migrate.DropAndCreate, Guard: s.TableGuard(r.Env.Target),
		Progress: func(p migrate.Progress) { r.progress.Update("migrate", p.Table+" rows", p.Read, totals[p.Table]) }}
	if err := s.CheckDestroy(r.Env.Target, "migrate's DROP_AND_CREATE"); err != nil {
		opts.PrepMode = migrate.DoNothing
		r.Log.Warn("loading into existing tables (DO_NOTHING)", "stage", "migrate", "reason", err.Error())
	}
	opts.MappingPath = s.Mapping // empty: the workshop's
	rep, err := migrate.Run(ctx, r.Env.AWS, r.Env.MySQLDSN, opts)
	r.progress.Done()
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// Stage uploads the prepared dataset's files to the bucket.
func (r *Runner) Stage(ctx context.Context) (pipeline.Report, error) {
	dir, err := r.dataset(ctx)
	if err != nil {
		return pipeline.Report{Stage: "stage"}, err
	}
	rep, err := stage.Run(ctx, r.Env.AWS, dir, stage.Options{Names: r.Settings.Names, Logger: r.Log})
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// Stream produces the new ratings and waits for their delivery. Objects an
// earlier run left under the Firehose prefix are deleted first where
// destroying is allowed, so the ETL reads this run's records only.
func (r *Runner) Stream(ctx context.Context) (pipeline.Report, error) {
	s := r.Settings
	if err := s.CheckDestroy(r.Env.Target, "clearing the Firehose prefix"); err == nil {
		if err := deletePrefix(ctx, r.Env.AWS, s.Names.Bucket, s.Names.FirehosePrefix); err != nil {
			return pipeline.Report{Stage: "stream"}, err
		}
	} else {
		r.Log.Warn("keeping objects under the Firehose prefix", "stage", "stream", "reason", err.Error())
	}
	rejectsPath := filepath.Join(s.OutDir, "rejects", "stream.csv")
	if err := os.MkdirAll(filepath.Dir(rejectsPath), 0o755); err != nil {
		return pipeline.Report{Stage: "stream"}, err
	}
	f, err := os.Create(rejectsPath)
	if err != nil {
		return pipeline.Report{Stage: "stream"}, err
	}
	defer f.Close()
	opts := stream.Options{Names: s.Names, Shards: s.Shards, RoleARN: s.FirehoseRoleARN, BufferInterval: s.BufferInterval,
		Rejects: csv.NewWriter(f), Logger: r.Log,
		Progress: func(produced, delivered int64) {
			if delivered == 0 {
				r.progress.Update("stream", "records produced", produced, 0)
			} else {
				r.progress.Update("stream", "records delivered", delivered, produced)
			}
		}}
	if s.BufferInterval == 0 {
		opts.BufferInterval = time.Nanosecond // Firehose's 0 s: deliver at once
	}
	rep, err := stream.Run(ctx, r.Env.AWS, opts)
	r.progress.Done()
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

func (s Settings) catalogPath() string { return filepath.Join(s.OutDir, "catalog.duckdb") }

// Catalog crawls the stream's prefix and the DynamoDB tables.
func (r *Runner) Catalog(ctx context.Context) (pipeline.Report, error) {
	if err := os.MkdirAll(r.Settings.OutDir, 0o755); err != nil {
		return pipeline.Report{Stage: "catalog"}, err
	}
	rep, err := catalog.Run(ctx, r.Env.AWS, catalog.Options{Names: r.Settings.Names, CatalogPath: r.Settings.catalogPath(), Logger: r.Log})
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// ETL runs the Glue job. Existing outputs are replaced where destroying is
// allowed; otherwise the job fails when they exist, as Spark's default does.
func (r *Runner) ETL(ctx context.Context) (pipeline.Report, error) {
	mode := etl.Overwrite
	if err := r.Settings.CheckDestroy(r.Env.Target, "replacing the training data"); err != nil {
		mode = etl.ErrorIfExists
	}
	rep, err := etl.Run(ctx, r.Env.AWS, etl.Options{Names: r.Settings.Names, CatalogPath: r.Settings.catalogPath(), Mode: mode,
		MemoryLimit: r.Settings.ETLMemoryLimit, Logger: r.Log})
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// Verify asserts the outputs, reconciling with the saved stage reports and
// comparing contents with what the Glue job computes from the prepared dataset.
func (r *Runner) Verify(ctx context.Context) (*verify.Result, error) {
	s := r.Settings
	opts := verify.Options{Names: s.Names}
	if dir := s.preparedDir(); dirExists(dir) {
		exp, err := verify.Expect(dir, verify.DefaultKeepRows)
		if err != nil {
			return nil, err
		}
		opts.Expected = exp
	}
	counts, err := r.counts(ctx)
	if err != nil {
		return nil, err
	}
	opts.Counts = counts
	return verify.Run(ctx, r.Env.AWS, opts)
}

// counts gathers the reconciliation counts from the saved stage reports and
// an independent count of the DynamoDB items.
func (r *Runner) counts(ctx context.Context) (*verify.Counts, error) {
	mig, ok1 := r.load("migrate")
	str, ok2 := r.load("stream")
	et, ok3 := r.load("etl")
	if !ok1 || !ok2 || !ok3 {
		r.Log.Warn("skipping count reconciliation: run migrate, stream and etl first", "stage", "verify")
		return nil, nil
	}
	n := r.Settings.Names
	k := &verify.Counts{SourceRows: map[string]int64{}, TargetItems: map[string]int64{}, Exceptions: map[string]int64{}, Dropped: map[string]int64{}}
	for source, table := range map[string]string{"ratings": n.RatingsTable, "movies": n.MoviesTable, "links": n.LinksTable} {
		t := mig.Tables[table]
		k.SourceRows[source] = t.Read
		k.Exceptions[source] = t.Rejected
		items, err := verify.CountItems(ctx, r.Env.AWS, table)
		if err != nil {
			return nil, err
		}
		k.TargetItems[table] = items
	}
	k.Produced = str.Written
	k.Delivered = str.Tables["delivered"].Written
	rn := et.Tables[pipeline.RatingNew]
	k.StreamInput = rn.Read - rn.Duplicates - et.Tables[datacatalog.TableName(n.RatingsTable)].Read
	for _, out := range []string{pipeline.RatingNew, pipeline.MoviesNew, pipeline.LinksNew} {
		k.Dropped[out] = et.Tables[out].Rejected
	}
	return k, nil
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// E2E runs everything: seed, every stage, verify, export. The report is
// complete even when a step fails.
func (r *Runner) E2E(ctx context.Context) (*Report, error) {
	rep := &Report{Target: string(r.Env.Target), Notes: r.Env.Notes, Started: time.Now()}
	if ds := r.Settings.MovieLensDir; ds != "" {
		rep.Dataset = ds
	} else {
		rep.Dataset = fmt.Sprintf("generated %s (seed %d)", r.Settings.Scale, r.Settings.Seed)
	}
	defer func() { rep.Duration = time.Since(rep.Started) }()
	if err := os.RemoveAll(r.stagesDir()); err != nil {
		return rep, err
	}
	fail := func(err error) (*Report, error) {
		rep.Error = err.Error()
		return rep, err
	}
	steps := []struct {
		name string
		fn   func(context.Context) (pipeline.Report, error)
	}{
		{"seed", r.Seed}, {"migrate", r.Migrate}, {"stage", r.Stage}, {"stream", r.Stream},
		{"catalog", r.Catalog}, {"etl", r.ETL},
	}
	for _, st := range steps {
		fmt.Fprintf(r.Out, "== %s\n", st.name)
		sr, err := st.fn(ctx)
		sr.Stage = st.name
		rep.Stages = append(rep.Stages, sr)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", st.name, err))
		}
	}
	fmt.Fprintf(r.Out, "== verify\n")
	res, err := r.Verify(ctx)
	if err != nil {
		return fail(fmt.Errorf("verify: %w", err))
	}
	rep.Verify = res
	files, err := r.Export(ctx, res)
	rep.Outputs = files
	if err != nil {
		return fail(fmt.Errorf("export: %w", err))
	}
	if err := res.Err(); err != nil {
		return fail(fmt.Errorf("verify: %d assertions failed", len(res.Failed())))
	}
	rep.Succeeded = true
	return rep, nil
}

// errNoOutputs is returned by Export before the ETL has run.
var errNoOutputs = errors.New("no outputs to export: run etl first")
