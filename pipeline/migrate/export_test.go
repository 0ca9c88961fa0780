package migrate

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/pipeline"
)

// Writer is the load's write path without a source, for benchmarks: the
// loader Run builds and its pool of writers.
type Writer struct {
	l       *loader
	workers int
}

// NewWriter builds the loader Run would for cfg and workers (0 means
// DefaultWorkers).
func NewWriter(cfg aws.Config, workers int) (*Writer, error) {
	o, _, err := Options{Workers: workers}.resolve()
	if err != nil {
		return nil, err
	}
	return &Writer{l: newLoader(cfg, o), workers: o.Workers}, nil
}

// CreateTable creates table anew with the keys of the workshop's ratings_t:
// partition key Id and sort key movieId, both strings.
func (w *Writer) CreateTable(ctx context.Context, table string) error {
	return w.l.prepare(ctx, table, KeyAttribute{"Id", types.ScalarAttributeTypeS},
		KeyAttribute{"movieId", types.ScalarAttributeTypeS}, DropAndCreate)
}

// Write sends items to table as Run's writers do, in batches of 25 taken
// from a channel, and returns the counts. A refused item is an error.
func (w *Writer) Write(ctx context.Context, table string, items []map[string]types.AttributeValue) (pipeline.TableCounts, error) {
	t := &tableRun{plan: &TablePlan{Target: table,
		PartitionKey: KeyAttribute{"Id", types.ScalarAttributeTypeS}, SortKey: KeyAttribute{"movieId", types.ScalarAttributeTypeS}}}
	jobs := make(chan batchJob, w.workers)
	go func() {
		defer close(jobs)
		for chunk := range chunks(items, maxBatch) {
			reqs := make([]types.WriteRequest, len(chunk))
			for i, it := range chunk {
				reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
			}
			select {
			case jobs <- batchJob{t: t, reqs: reqs}:
			case <-ctx.Done():
				return
			}
		}
	}()
	exc := newExceptionSink(w.l, "exceptions-unused", "bench")
	err := w.l.write(ctx, jobs, w.workers, exc, func(*tableRun) {})
	for range jobs {
	}
	if err == nil && t.rejected.Load() > 0 {
		err = errors.New("items refused")
	}
	return t.counts(), err
}

// ReadItems reads the tables opts selects from the source at dsn and
// builds their items as Run does, without writing them, and returns how
// many it built: the load's source side alone, for benchmarks.
func ReadItems(ctx context.Context, dsn string, opts Options) (int64, error) {
	o, m, err := opts.resolve()
	if err != nil {
		return 0, err
	}
	db, err := openSource(dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	tables, err := discover(ctx, db, m)
	if err != nil {
		return 0, err
	}
	plans, err := m.Plan(tables)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range plans {
		var alloc itemAlloc
		err := streamRows(ctx, db, p, o.Logger, func(row []rowValue) error {
			if _, err := p.item(row, &alloc); err == nil {
				n++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
