package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/go-sql-driver/mysql"
	"golang.org/x/sync/errgroup"

	"github.com/mldatalake/mldatalake/pipeline"
)

// Defaults of Options.
const (
	DefaultWorkers  = 8
	DefaultDeadline = 30 * time.Minute
	DefaultTaskName = "mldatalake-full-load"
	// maxParallelTables is how many tables are read at once, as DMS's
	// MaxFullLoadSubTasks (whose default is 8).
	maxParallelTables = 8
	// exceptionsGrace is how long a failed load still tries to record the
	// exceptions it buffered.
	exceptionsGrace = 5 * time.Second
)

// Options configure Run.
type Options struct {
	// MappingPath is a DMS table-mapping file; Mapping is one already
	// parsed. At most one may be set; neither means WorkshopMapping.
	MappingPath string
	Mapping     *Mapping
	// PrepMode is TargetTablePrepMode; empty means DropAndCreate.
	PrepMode PrepMode
	// Workers is how many BatchWriteItem calls are in flight at once;
	// 0 means DefaultWorkers.
	Workers int
	// Deadline bounds the whole run, retries included; 0 means
	// DefaultDeadline, a negative value no deadline beyond ctx's.
	Deadline time.Duration
	// Names renames the workshop's names in the mapping: locators whose
	// schema-name is exactly "movielens" read Names.SourceSchema, and the
	// target tables ratings_t, movies_t, links_t and tags_t become
	// Names.RatingsTable and so on. Empty fields keep the workshop's names.
	Names pipeline.Names
	// TaskName goes into the exceptions table's TASK_NAME; empty means
	// DefaultTaskName.
	TaskName string
	// Logger gets the load's progress; nil discards.
	Logger *slog.Logger
	// Progress, if set, is called after every batch with the counts so far
	// of the batch's table. Calls are serialized.
	Progress func(Progress)
	// Guard, when set, is asked before any table is dropped, created or
	// truncated (every PrepMode but DoNothing) with the names of every
	// table the load will touch, the exceptions table first; an error
	// stops the load before it changes anything.
	Guard func(tables []string) error
	// ClientOptions adjust the DynamoDB client built from the aws.Config
	// (after the pipeline's retry settings), for instance RetryMaxAttempts.
	ClientOptions []func(*dynamodb.Options)
}

// Progress is one table's counts so far.
type Progress struct {
	// Table is the DynamoDB table.
	Table string
	pipeline.TableCounts
}

// ValidationError is a table whose source rows are not its target items plus
// this run's exceptions.
type ValidationError struct {
	// Table is the DynamoDB table, Source the MySQL table (schema.table).
	Table, Source string
	SourceRows    int64
	// ExceptionsTable is where this run's exceptions were counted.
	ExceptionsTable string
	TargetItems     int64
	Exceptions      int64
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("validate %s: source %s has %d rows but %s has %d items and %s has %d rows of this run (%d ≠ %d + %d)",
		e.Table, e.Source, e.SourceRows, e.Table, e.TargetItems, e.ExceptionsTable, e.Exceptions,
		e.SourceRows, e.TargetItems, e.Exceptions)
}

// tableRun is one table's load in progress.
type tableRun struct {
	plan                             *TablePlan
	read, written, retried, rejected atomic.Int64
	deduplicated                     atomic.Int64
}

func (t *tableRun) counts() pipeline.TableCounts {
	return pipeline.TableCounts{Read: t.read.Load(), Written: t.written.Load(), Retried: t.retried.Load(), Rejected: t.rejected.Load()}
}

type batchJob struct {
	t    *tableRun
	reqs []types.WriteRequest
	// attempt counts the times in a row these requests came back
	// unprocessed without progress (see worker).
	attempt int
}

// Run performs the full load from the MySQL source at dsn to DynamoDB at
// cfg: it reads the table mapping, prepares the target tables and the
// exceptions table, loads every selected table, and validates the counts.
//
// The report counts per DynamoDB table the rows read, the items written, the
// requests retried and the rows rejected to Names.ExceptionsTable. A validation
// mismatch returns the filled report with an error that wraps one
// *ValidationError per table.
func Run(ctx context.Context, cfg aws.Config, dsn string, opts Options) (report pipeline.Report, err error) {
	start := time.Now()
	report = pipeline.Report{Stage: "migrate", Tables: map[string]pipeline.TableCounts{}}
	defer func() { report.Duration = time.Since(start) }()

	o, m, err := opts.resolve()
	if err != nil {
		return report, err
	}
	log := o.Logger
	if o.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Deadline,
			fmt.Errorf("migrate deadline of %s passed", o.Deadline))
		defer cancel()
	}

	db, err := openSource(dsn)
	if err != nil {
		return report, fmt.Errorf("%w", err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return report, fmt.Errorf("connect to source: %w", err)
	}
	tables, err := discover(ctx, db, m)
	if err != nil {
		return report, fmt.Errorf("%w", err)
	}
	plans, err := m.Plan(tables)
	if err != nil {
		return report, fmt.Errorf("%w", err)
	}
	if len(plans) == 0 {
		return report, fmt.Errorf("the table mapping selects no table of the source (%d tables found in it)", len(tables))
	}
	excTable := o.Names.WithDefaults().ExceptionsTable
	targets := []string{excTable}
	for _, p := range plans {
		if p.Target == excTable {
			return report, fmt.Errorf("target table name %q is reserved for the load's exceptions", p.Target)
		}
		targets = append(targets, p.Target)
	}
	if o.Guard != nil && o.PrepMode != DoNothing {
		if err := o.Guard(targets); err != nil {
			return report, fmt.Errorf("%w", err)
		}
	}

	l := newLoader(cfg, o)

	// Prepare: the exceptions table first (kept across runs), then every
	// target table in parallel.
	if err := l.prepare(ctx, excTable, exceptionKeys.pk, exceptionKeys.sk, DoNothing); err != nil {
		return report, fmt.Errorf("prepare %s: %w", excTable, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range plans {
		g.Go(func() error {
			if err := l.prepare(gctx, p.Target, p.PartitionKey, p.SortKey, o.PrepMode); err != nil {
				return fmt.Errorf("prepare %s: %w", p.Target, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return report, fmt.Errorf("%w", err)
	}

	exc := newExceptionSink(l, excTable, o.TaskName)
	runs := make([]*tableRun, len(plans))
	for i, p := range plans {
		runs[i] = &tableRun{plan: p}
	}
	loadErr := l.load(ctx, db, runs, exc, o)
	// Record the exceptions; when the load failed or ran out of time, try
	// for a few seconds more.
	flushCtx := ctx
	if loadErr != nil {
		var cancel context.CancelFunc
		flushCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), exceptionsGrace)
		defer cancel()
	}
	if err := exc.flush(flushCtx); err != nil {
		loadErr = errors.Join(loadErr, err)
	}
	for _, t := range runs {
		c := t.counts()
		report.Tables[t.plan.Target] = c
		report.Read += c.Read
		report.Written += c.Written
		report.Retried += c.Retried
		report.Rejected += c.Rejected
		log.Info("table loaded", "stage", "migrate", "table", t.plan.Target, "rows", c.Read,
			"written", c.Written, "retried", c.Retried, "rejected", c.Rejected, "deduplicated", t.deduplicated.Load())
	}
	if loadErr != nil {
		return report, fmt.Errorf("%w", loadErr)
	}
	if err := l.validate(ctx, db, runs, exc); err != nil {
		return report, fmt.Errorf("%w", err)
	}
	return report, nil
}

// newLoader builds the DynamoDB client and the loader for resolved options.
func newLoader(cfg aws.Config, o Options) *loader {
	ddb := pipeline.NewClients(cfg).DynamoDB
	if len(o.ClientOptions) > 0 {
		ddb = dynamodb.New(ddb.Options(), o.ClientOptions...)
	}
	return &loader{
		ddb: ddb, log: o.Logger, segments: min(max(o.Workers, 1), 8),
		baseDelay: 25 * time.Millisecond, maxDelay: 5 * time.Second,
	}
}

// openSource opens the MySQL source. Values must arrive as the server's
// text, so DATETIME and friends are not parsed whatever the DSN says.
func openSource(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("source DSN: %w", err)
	}
	cfg.ParseTime = false
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("source DSN: %w", err)
	}
	return sql.OpenDB(conn), nil
}

// resolve applies the defaults and reads the mapping.
func (opts Options) resolve() (Options, *Mapping, error) {
	o := opts
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers < 0 {
		return o, nil, fmt.Errorf("Workers is %d", o.Workers)
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.Deadline == 0 {
		o.Deadline = DefaultDeadline
	}
	if o.TaskName == "" {
		o.TaskName = DefaultTaskName
	}
	mode, err := ParsePrepMode(string(o.PrepMode))
	if err != nil {
		return o, nil, fmt.Errorf("%w", err)
	}
	o.PrepMode = mode
	var m *Mapping
	switch {
	case o.Mapping != nil && o.MappingPath != "":
		return o, nil, errors.New("set Options.Mapping or Options.MappingPath, not both")
	case o.Mapping != nil:
		m = o.Mapping
	case o.MappingPath != "":
		if m, err = LoadMapping(o.MappingPath); err != nil {
			return o, nil, fmt.Errorf("%w", err)
		}
	default:
		if m, err = WorkshopMapping(); err != nil {
			return o, nil, err
		}
	}
	n := o.Names.WithDefaults()
	renames := map[string]string{}
	for from, to := range map[string]string{
		pipeline.DefaultRatingsTable: n.RatingsTable,
		pipeline.DefaultMoviesTable:  n.MoviesTable,
		pipeline.DefaultLinksTable:   n.LinksTable,
		pipeline.DefaultTagsTable:    n.TagsTable,
	} {
		if from != to {
			renames[from] = to
		}
	}
	return o, m.rename(pipeline.DefaultSourceSchema, n.SourceSchema, renames), nil
}

// load streams every table into its target: readers (up to
// maxParallelTables tables at once) turn rows into batches of up to 25
// distinct keys, and o.Workers writers send them.
func (l *loader) load(ctx context.Context, db *sql.DB, runs []*tableRun, exc *exceptionSink, o Options) error {
	jobs := make(chan batchJob, o.Workers)
	g, ctx := errgroup.WithContext(ctx)

	var progressMu sync.Mutex
	report := func(t *tableRun) {
		if o.Progress == nil {
			return
		}
		progressMu.Lock()
		defer progressMu.Unlock()
		o.Progress(Progress{Table: t.plan.Target, TableCounts: t.counts()})
	}

	g.Go(func() error {
		defer close(jobs)
		var readers errgroup.Group
		readers.SetLimit(maxParallelTables)
		for _, t := range runs {
			readers.Go(func() error { return l.read(ctx, db, t, jobs, exc) })
		}
		return readers.Wait()
	})
	g.Go(func() error { return l.write(ctx, jobs, o.Workers, exc, report) })
	return g.Wait()
}

// write sends the batches of jobs with workers BatchWriteItem calls in
// flight, sets the items DynamoDB refuses aside in exc, and calls report
// after every batch.
func (l *loader) write(ctx context.Context, jobs <-chan batchJob, workers int, exc *exceptionSink, report func(*tableRun)) error {
	g, ctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error { return l.worker(ctx, jobs, exc, report) })
	}
	return g.Wait()
}

// read streams one table's rows into batches. A row that cannot become an
// item goes to the exceptions table; a row whose key is already in the batch
// replaces the earlier one (DynamoDB refuses a batch with a key twice, and
// DMS overwrites).
func (l *loader) read(ctx context.Context, db *sql.DB, t *tableRun, jobs chan<- batchJob, exc *exceptionSink) error {
	p := t.plan
	l.log.Info("load table", "stage", "migrate", "table", p.Target, "source", p.Source.Schema+"."+p.Source.Name)
	var (
		reqs []types.WriteRequest
		keys = make(map[string]int, maxBatch)
	)
	send := func() error {
		if len(reqs) == 0 {
			return nil
		}
		select {
		case jobs <- batchJob{t: t, reqs: reqs}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		reqs = nil
		clear(keys)
		return nil
	}
	var alloc itemAlloc
	err := streamRows(ctx, db, p, l.log, func(row []rowValue) error {
		t.read.Add(1)
		item, err := p.item(row, &alloc)
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return err
			}
			t.rejected.Add(1)
			return exc.add(ctx, p, rowStatement(p, nullStrings(row)), re.Reason)
		}
		req := types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
		k := p.keyOf(item)
		if i, dup := keys[k]; dup {
			reqs[i] = req
			t.deduplicated.Add(1)
			return nil
		}
		keys[k] = len(reqs)
		reqs = append(reqs, req)
		if len(reqs) == maxBatch {
			return send()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return send()
}

// keyOf renders an item's key unambiguously, for de-duplication.
func (p *TablePlan) keyOf(item map[string]types.AttributeValue) string {
	pk := scalarText(item[p.PartitionKey.Name])
	if p.SortKey.Name == "" {
		return pk
	}
	return strconv.Itoa(len(pk)) + ":" + pk + scalarText(item[p.SortKey.Name])
}

// requestKey is keyOf the item or key of a write request.
func (p *TablePlan) requestKey(r types.WriteRequest) string {
	if r.PutRequest != nil {
		return p.keyOf(r.PutRequest.Item)
	}
	return p.keyOf(r.DeleteRequest.Key)
}

// validate checks, per table, that the source rows are the target items
// plus this run's exceptions.
func (l *loader) validate(ctx context.Context, db *sql.DB, runs []*tableRun, exc *exceptionSink) error {
	excCounts, err := exc.countRun(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range runs {
		p := t.plan
		src, err := countRows(ctx, db, p.Source)
		if err != nil {
			return err
		}
		items, err := l.countItems(ctx, p.Target)
		if err != nil {
			return err
		}
		e := excCounts[p.Source.Schema+"."+p.Source.Name]
		l.log.Info("validate", "stage", "migrate", "table", p.Target, "rows", src, "items", items, "exceptions", e)
		if src != items+e {
			errs = append(errs, &ValidationError{
				Table: p.Target, Source: p.Source.Schema + "." + p.Source.Name,
				SourceRows: src, TargetItems: items, Exceptions: e, ExceptionsTable: exc.table,
			})
		}
	}
	return errors.Join(errs...)
}
