package orchestrate

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// StageNames are the pipeline's steps in order.
var StageNames = []string{"seed", "migrate", "stage", "stream", "catalog", "etl", "verify", "train"}

// needs says which stages must have run (in this run) before each one.
var needs = map[string][]string{
	"migrate": {"seed"},
	"stage":   {"seed"},
	"stream":  {"stage"},
	"catalog": {"migrate", "stream"},
	"etl":     {"catalog"},
	"verify":  {"migrate", "stream", "etl"},
	"train":   {"etl"}, // and verify passed (see Train)
}

// Runner runs the pipeline's steps against one environment with one set of
// settings. seed starts a run: it gives it an id and writes the run manifest
// OUT_DIR/run.json; every later step checks the manifest against its
// settings and the reports of the steps it needs (OUT_DIR/stages/*.json, of
// the same run), so that steps run one at a time (the single-stage targets)
// reconcile like a full run and never mix two runs.
type Runner struct {
	Settings Settings
	Env      *env.Env
	// Log is the orchestrator's logger; the stages get StageLog.
	Log      *slog.Logger
	StageLog *slog.Logger
	// Out receives the run's lines for people; nil discards.
	Out      io.Writer
	progress *Progress
	run      Manifest // the run's manifest, once seed or a check read it
}

// NewRunner returns a Runner for an environment already open. The stages
// log at the settings' level (PIPELINE_LOG): warnings and errors only by
// default, everything at debug.
func NewRunner(s Settings, e *env.Env, log *slog.Logger, out io.Writer) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if out == nil {
		out = io.Discard
	}
	stageLog := log
	if s.LogLevel > slog.LevelDebug {
		stageLog = slog.New(minLevel{log.Handler(), slog.LevelWarn})
	}
	return &Runner{Settings: s, Env: e, Log: log, StageLog: stageLog, Out: out, progress: NewProgress(out)}
}

// minLevel passes on records of at least min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}

func (h minLevel) WithGroup(g string) slog.Handler { return minLevel{h.Handler.WithGroup(g), h.min} }

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

// OpenEnv brings up the environment the settings name. What the AWS SDK
// logs goes to log at debug level, not to stderr.
func OpenEnv(ctx context.Context, s Settings, log *slog.Logger) (*env.Env, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []env.Option{env.WithLogger(log), env.WithFaults(s.Faults), env.WithMySQLDSN(s.MySQLDSN), env.WithProfile(s.Profile)}
	var s3Dir string
	if s.s3OnDisk() && (s.Target == env.Embedded || s.Target == env.Auto) {
		// Large runs keep S3's objects (the dataset, the stream's objects,
		// the outputs) in files, not in the heap.
		var err error
		if s3Dir, err = os.MkdirTemp(s.OutDir, ".s3-"); err != nil {
			return nil, fmt.Errorf("make the emulator's S3 folder: %w", err)
		}
		opts = append(opts, env.WithS3Dir(s3Dir))
	}
	e, err := env.Open(ctx, s.Target, opts...)
	if s3Dir != "" {
		if e == nil || err != nil {
			os.RemoveAll(s3Dir)
		} else {
			e.Notes = append(e.Notes, "S3 objects in "+s3Dir+" until the run ends")
			e.OnClose(func() error { return os.RemoveAll(s3Dir) })
		}
	}
	if err != nil && s.Target == env.Endpoint {
		err = fmt.Errorf("%w (PIPELINE_TARGET=endpoint from %s)", err, s.Source("PIPELINE_TARGET"))
	}
	if e != nil {
		sdkLogs(e, log)
	}
	return e, err
}

func (s Settings) stagesDir() string   { return filepath.Join(s.OutDir, "stages") }
func (s Settings) catalogPath() string { return filepath.Join(s.OutDir, "catalog.duckdb") }

// savedStage is a stage's report as kept under OUT_DIR/stages.
type savedStage struct {
	RunID  string          `json:"run_id"`
	Report pipeline.Report `json:"report"`
}

func (r *Runner) save(rep pipeline.Report) error {
	b, err := json.MarshalIndent(savedStage{RunID: r.run.RunID, Report: rep}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(r.Settings.stagesDir(), rep.Stage+".json"), b)
}

// load reads a stage's saved report strictly: missing, or of another run,
// is an error that says to run that stage first.
func (r *Runner) load(stage string) (pipeline.Report, error) {
	path := filepath.Join(r.Settings.stagesDir(), stage+".json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pipeline.Report{}, fmt.Errorf("run %s first: it has not succeeded in run %s (%s does not exist)", stage, r.run.RunID, path)
	}
	if err != nil {
		return pipeline.Report{}, fmt.Errorf("read the %s report: %w", stage, err)
	}
	var s savedStage
	if err := json.Unmarshal(b, &s); err != nil {
		return pipeline.Report{}, fmt.Errorf("the %s report %s: %w", stage, path, err)
	}
	if s.RunID != r.run.RunID {
		return pipeline.Report{}, fmt.Errorf("run %s first: %s is from run %s, not this run %s", stage, path, s.RunID, r.run.RunID)
	}
	return s.Report, nil
}

// begin checks that stage may run: the run manifest matches the settings
// and the stages it needs have run in this run.
func (r *Runner) begin(stage string) error {
	want := r.Settings.manifest(string(r.Env.Target))
	m, err := checkManifest(r.Settings.manifestPath(), want)
	if err != nil {
		return err
	}
	r.run = m
	for _, need := range needs[stage] {
		if _, err := r.load(need); err != nil {
			return err
		}
	}
	return nil
}

// RunID is the id of the run the Runner works on, once seed started it or a
// stage checked it.
func (r *Runner) RunID() string { return r.run.RunID }

// Seed starts a run: a new run id and manifest, the previous run's training
// data moved aside and its stage reports removed; then it prepares the
// dataset and loads it into the MySQL source.
func (r *Runner) Seed(ctx context.Context) (rep pipeline.Report, err error) {
	start := time.Now()
	rep = pipeline.Report{Stage: "seed", Tables: map[string]pipeline.TableCounts{}}
	defer func() { rep.Duration = time.Since(start) }()
	if err := r.startRun(start); err != nil {
		return rep, err
	}
	ds, err := r.PrepareDataset(ctx)
	if ds != nil && ds.Prepared != nil {
		for name, c := range ds.Prepared.Files {
			rep.Read += int64(c.Read)
			rep.Rejected += int64(c.Rejected)
			rep.Tables[name] = pipeline.TableCounts{Read: int64(c.Read), Written: int64(c.Written), Rejected: int64(c.Rejected)}
		}
	}
	if err != nil {
		return rep, err
	}
	// Prepare already rejected what it could see; rows the load itself
	// refuses (a key the server holds twice) go to rejects/load.csv.
	loadRejects, err := movielens.CreateRejects(filepath.Join(r.Settings.OutDir, "rejects", "load.csv"))
	if err != nil {
		return rep, err
	}
	sp := r.progress.Start("seed", "rows")
	lr, err := sqlsource.Load(ctx, r.Env.MySQLDSN, ds.Prepared.Dir,
		sqlsource.WithSchema(r.Settings.Names.SourceSchema), sqlsource.WithThreshold(r.Settings.MaxRejects),
		sqlsource.WithRejects(loadRejects), sqlsource.WithLogger(r.StageLog),
		sqlsource.WithProgress(func(table string, rows int) {
			sp.Update(table, int64(rows), int64(ds.Prepared.Files[table+".csv"].Written))
		}))
	sp.Finish()
	if cerr := loadRejects.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if lr != nil {
		for _, t := range lr.Tables {
			rep.Written += int64(lr.Rows(t.Table))
		}
		rep.Rejected += int64(lr.Rejected)
	}
	if err != nil {
		return rep, fmt.Errorf("load %s into MySQL: %w", ds.Prepared.Dir, err)
	}
	rep.Duration = time.Since(start)
	return rep, r.save(rep)
}

// startRun gives the run a new id and manifest. What an earlier run left
// that could pass for this run's (stage reports, published training data)
// is removed or moved aside first.
func (r *Runner) startRun(now time.Time) error {
	s := r.Settings
	if err := os.RemoveAll(s.stagesDir()); err != nil {
		return fmt.Errorf("remove the earlier run's stage reports: %w", err)
	}
	if err := unpublish(s.OutDir); err != nil {
		return err
	}
	m := s.manifest(string(r.Env.Target))
	m.RunID, m.Started = newRunID(now), now.UTC()
	if err := writeManifest(s.manifestPath(), m); err != nil {
		return fmt.Errorf("write the run manifest: %w", err)
	}
	r.run = m
	return nil
}

// Migrate runs the DMS-style full load.
func (r *Runner) Migrate(ctx context.Context) (pipeline.Report, error) {
	if err := r.begin("migrate"); err != nil {
		return pipeline.Report{Stage: "migrate"}, err
	}
	s := r.Settings
	seed, err := r.load("seed")
	if err != nil {
		return pipeline.Report{Stage: "migrate"}, err
	}
	// The seed's counts give the bars their totals.
	totals := map[string]int64{}
	for table, file := range map[string]string{s.Names.RatingsTable: "ratings.csv", s.Names.MoviesTable: "movies.csv",
		s.Names.LinksTable: "links.csv", s.Names.TagsTable: "tags.csv"} {
		totals[table] = seed.Tables[file].Written
	}
	sp := r.progress.Start("migrate", "rows")
	opts := migrate.Options{Names: s.Names, Logger: r.StageLog, PrepMode: migrate.DropAndCreate, Guard: s.TableGuard(r.Env.Target),
		MappingPath: s.Mapping, // empty: the workshop's
		Progress:    func(p migrate.Progress) { sp.Update(p.Table, p.Read, totals[p.Table]) }}
	if err := s.CheckDestroy(r.Env.Target, "migrate's DROP_AND_CREATE"); err != nil {
		opts.PrepMode = migrate.DoNothing
		r.Log.Warn("loading into existing tables (DO_NOTHING)", "stage", "migrate", "reason", err.Error())
	}
	rep, err := migrate.Run(ctx, r.Env.AWS, r.Env.MySQLDSN, opts)
	sp.Finish()
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// Stage uploads the prepared dataset's files to the bucket.
func (r *Runner) Stage(ctx context.Context) (pipeline.Report, error) {
	if err := r.begin("stage"); err != nil {
		return pipeline.Report{Stage: "stage"}, err
	}
	rep, err := stage.Run(ctx, r.Env.AWS, r.Settings.preparedDir(), stage.Options{Names: r.Settings.Names, Logger: r.StageLog})
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// Stream produces the new ratings and waits for their delivery. Objects an
// earlier run left under the Firehose prefix are deleted first where
// destroying is allowed, so the ETL reads this run's records only.
func (r *Runner) Stream(ctx context.Context) (pipeline.Report, error) {
	if err := r.begin("stream"); err != nil {
		return pipeline.Report{Stage: "stream"}, err
	}
	s := r.Settings
	if err := s.CheckDestroy(r.Env.Target, "clearing the Firehose prefix"); err == nil {
		if _, err := pipeline.DeletePrefix(ctx, pipeline.NewClients(r.Env.AWS).S3, s.Names.Bucket, s.Names.FirehosePrefix); err != nil {
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
	sp := r.progress.Start("stream", "records")
	opts := stream.Options{Names: s.Names, Shards: s.Shards, RoleARN: s.FirehoseRoleARN, BufferInterval: s.BufferInterval,
		Rejects: csv.NewWriter(f), Logger: r.StageLog,
		Progress: func(produced, delivered int64) {
			sp.Update("produced", produced, 0)
			if delivered > 0 {
				sp.Update("delivered", delivered, produced)
			}
		}}
	if s.BufferInterval == 0 {
		opts.BufferInterval = time.Nanosecond // Firehose's 0 s: deliver at once
	}
	rep, err := stream.Run(ctx, r.Env.AWS, opts)
	sp.Finish()
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// Catalog crawls the stream's prefix and the DynamoDB tables.
func (r *Runner) Catalog(ctx context.Context) (pipeline.Report, error) {
	if err := r.begin("catalog"); err != nil {
		return pipeline.Report{Stage: "catalog"}, err
	}
	rep, err := catalog.Run(ctx, r.Env.AWS, catalog.Options{Names: r.Settings.Names, CatalogPath: r.Settings.catalogPath(),
		SampleDynamoDB: !r.Settings.CrawlerScanAll, Logger: r.StageLog})
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// ETL runs the Glue job. Existing outputs are replaced where destroying is
// allowed; otherwise the job fails when they exist, as Spark's default does.
func (r *Runner) ETL(ctx context.Context) (pipeline.Report, error) {
	if err := r.begin("etl"); err != nil {
		return pipeline.Report{Stage: "etl"}, err
	}
	mode := etl.Overwrite
	if err := r.Settings.CheckDestroy(r.Env.Target, "replacing the training data"); err != nil {
		mode = etl.ErrorIfExists
	}
	scripts, err := r.Settings.scripts()
	if err != nil {
		return pipeline.Report{Stage: "etl"}, err
	}
	rep, err := etl.Run(ctx, r.Env.AWS, etl.Options{Names: r.Settings.Names, CatalogPath: r.Settings.catalogPath(), Mode: mode,
		MemoryLimit: r.Settings.ETLMemoryLimit, Scripts: scripts, Logger: r.StageLog})
	if err != nil {
		return rep, err
	}
	return rep, r.save(rep)
}

// Verify asserts the outputs, reconciling with this run's stage reports,
// comparing contents with what the Glue job computes from the prepared
// dataset when the built-in transform ran, and running the checks of
// PIPELINE_ETL_SQL's checks/ folder.
func (r *Runner) Verify(ctx context.Context) (*verify.Result, error) {
	if err := r.begin("verify"); err != nil {
		return nil, err
	}
	s := r.Settings
	opts, err := s.verifyOptions()
	if err != nil {
		return nil, err
	}
	counts, err := r.counts(ctx)
	if err != nil {
		return nil, err
	}
	opts.Counts = counts
	return verify.Run(ctx, r.Env.AWS, opts)
}

// counts gathers the reconciliation counts from this run's stage reports
// and an independent count of the DynamoDB items.
func (r *Runner) counts(ctx context.Context) (*verify.Counts, error) {
	reps := map[string]pipeline.Report{}
	for _, st := range []string{"migrate", "stream", "etl"} {
		rep, err := r.load(st)
		if err != nil {
			return nil, err
		}
		reps[st] = rep
	}
	mig, str, et := reps["migrate"], reps["stream"], reps["etl"]
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

// newReport starts the report of the run the Runner works on.
func (r *Runner) newReport(started time.Time) *Report {
	return &Report{RunID: r.run.RunID, Target: string(r.Env.Target), Dataset: r.Settings.DatasetName(),
		Notes: r.Env.Notes, Started: started, Status: StatusRunning}
}

// finish sets the report's end: status, error, time, and writes it.
func (r *Runner) finish(ctx context.Context, rep *Report, err error) error {
	rep.Duration = time.Since(rep.Started)
	rep.Seconds = seconds(rep.Duration)
	switch {
	case err == nil:
		rep.Status, rep.Succeeded = StatusSucceeded, true
	case ctx.Err() != nil:
		rep.Status, rep.Error = StatusInterrupted, err.Error()
	default:
		rep.Status, rep.Error = StatusFailed, err.Error()
	}
	if werr := rep.WriteFiles(r.Settings.OutDir); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// steps maps each stage to its Runner method.
func (r *Runner) steps() map[string]func(context.Context) (pipeline.Report, error) {
	return map[string]func(context.Context) (pipeline.Report, error){
		"seed": r.Seed, "migrate": r.Migrate, "stage": r.Stage, "stream": r.Stream, "catalog": r.Catalog, "etl": r.ETL,
		"train": r.Train,
	}
}

// E2E runs everything: seed, every stage, verify, publishes the outputs
// when verify passed, then train. report.json, junit.xml and report.html
// are written after every step, so a run that stops says how far it got;
// the report is complete even when a step fails. With PIPELINE_KEEP_STATE
// the run's state is copied to OUT_DIR/state at the end, passed or failed.
func (r *Runner) E2E(ctx context.Context) (*Report, error) {
	started := time.Now()
	rep := r.newReport(started)
	err := r.e2e(ctx, rep)
	if r.Settings.KeepState && r.run.RunID != "" {
		if kerr := r.keepState(ctx); kerr != nil {
			err = errors.Join(err, fmt.Errorf("keep state: %w", kerr))
		}
	}
	return rep, r.finish(ctx, rep, err)
}

func (r *Runner) e2e(ctx context.Context, rep *Report) error {
	steps := r.steps()
	for _, name := range StageNames {
		fmt.Fprintf(r.Out, "== %s\n", name)
		if name == "verify" {
			resetPeakRSS()
			err := r.verifyAndPublish(ctx, rep)
			rep.VerifyPeakRSSMiB = mib(peakRSS())
			rep.PeakRSSMiB = max(rep.PeakRSSMiB, rep.VerifyPeakRSSMiB)
			if err != nil {
				return err
			}
			if werr := rep.WriteFiles(r.Settings.OutDir); werr != nil {
				return werr
			}
			continue
		}
		resetPeakRSS()
		stop := profileStage(r.Settings.ProfileDir, name, r.Log)
		sr, err := steps[name](ctx)
		stop()
		sr.Stage = name
		if name == "seed" {
			rep.RunID = r.run.RunID
		}
		rep.setStage(sr, err)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if werr := rep.WriteFiles(r.Settings.OutDir); werr != nil {
			return werr
		}
		if name == "migrate" {
			// Nothing reads the source after migrate (verify takes its
			// counts from the seed's and migrate's reports); an embedded
			// source gives its memory back to the stages still to come.
			if released, err := r.Env.ReleaseSource(ctx, r.Settings.Names.SourceSchema); err != nil {
				r.Log.Warn("keeping the embedded source", "err", err)
			} else if released {
				r.Log.Debug("embedded MySQL source released after migrate", "schema", r.Settings.Names.SourceSchema)
			}
		}
	}
	return nil
}

// verifyAndPublish runs verify into rep and, when every assertion passed,
// publishes the outputs to OUT_DIR/trainingdata.
func (r *Runner) verifyAndPublish(ctx context.Context, rep *Report) error {
	start := time.Now()
	res, err := r.Verify(ctx)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	rep.Verify, rep.VerifySeconds = res, seconds(time.Since(start))
	if err := res.Err(); err != nil {
		var names []string
		for _, a := range res.Failed() {
			names = append(names, a.Name)
		}
		return fmt.Errorf("verify: %d assertions failed (%s)", len(names), strings.Join(names, ", "))
	}
	files, err := r.publish(ctx, res)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	rep.Outputs = files
	r.profile(ctx, rep)
	return nil
}

// Step runs one stage (or verify, which also publishes) as a single-stage
// target does, and records it in OUT_DIR/report.json and junit.xml with the
// run's other stages.
func (r *Runner) Step(ctx context.Context, name string) (*Report, error) {
	var (
		sr  pipeline.Report
		err error
	)
	run := r.steps()[name]
	if name != "verify" && run == nil {
		return nil, fmt.Errorf("no stage %q: the stages are %s", name, strings.Join(StageNames, ", "))
	}
	if name != "verify" {
		resetPeakRSS()
		stop := profileStage(r.Settings.ProfileDir, name, r.Log)
		sr, err = run(ctx)
		stop()
		sr.Stage = name
	} else if err = r.begin("verify"); err != nil {
		err = fmt.Errorf("verify: %w", err)
	}
	if r.run.RunID == "" {
		// No run to record the stage in: seed has not run here.
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rep, rerr := readReport(r.Settings.OutDir)
	if rerr != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), rerr)
	}
	if rep == nil || rep.RunID != r.run.RunID {
		rep = r.newReport(r.run.Started)
	}
	rep.Notes, rep.Error, rep.Succeeded = r.Env.Notes, "", false
	if name == "verify" {
		if err == nil {
			rep.Verify, rep.Outputs = nil, nil
			err = r.verifyAndPublish(ctx, rep)
		}
	} else {
		rep.setStage(sr, err)
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
		}
	}
	// A stage alone does not finish the run: it is running until verify.
	if err == nil && name != "verify" {
		rep.Status = StatusRunning
		rep.Duration = time.Since(rep.Started)
		rep.Seconds = seconds(rep.Duration)
		return rep, rep.WriteFiles(r.Settings.OutDir)
	}
	return rep, r.finish(ctx, rep, err)
}
