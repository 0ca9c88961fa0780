package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// maxBatch is BatchWriteItem's limit of requests per call.
const maxBatch = 25

// loader holds what the load's parts share.
type loader struct {
	ddb      *dynamodb.Client
	log      *slog.Logger
	segments int
	// baseDelay and maxDelay bound the exponential backoff between retries.
	baseDelay, maxDelay time.Duration
}

// batchResult is what became of one batch of write requests.
type batchResult struct {
	written int // requests DynamoDB acknowledged
	retried int // requests sent again after a throttle, an error or as unprocessed
	failed  []failedWrite
}

// failedWrite is a request DynamoDB refused on its own merits
// (ValidationException); retrying it cannot help.
type failedWrite struct {
	req    types.WriteRequest
	reason string
}

// send writes up to 25 requests to one table with one BatchWriteItem and
// returns those DynamoDB left unprocessed. The SDK already retries
// throttles and 5xx up to pipeline.MaxAttempts; when it gives up, the call
// is made again after an exponential backoff with full jitter, until it
// succeeds or ctx ends (the load's deadline). When DynamoDB refuses the
// whole batch as invalid, the requests are sent one by one to find those
// it refuses; those come back in res.failed.
func (l *loader) send(ctx context.Context, table string, reqs []types.WriteRequest) (res batchResult, unprocessed []types.WriteRequest, err error) {
	for attempt := 1; ; attempt++ {
		out, err := l.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table: reqs},
		})
		if err == nil {
			unprocessed = out.UnprocessedItems[table]
			res.written += len(reqs) - len(unprocessed)
			return res, unprocessed, nil
		}
		if ctx.Err() != nil {
			return res, reqs, fmt.Errorf("write %s: %d items still unwritten: %w", table, len(reqs), context.Cause(ctx))
		}
		if isValidation(err) {
			res, err = l.writeEach(ctx, table, reqs, res)
			return res, nil, err
		}
		if !retryable(err) {
			return res, reqs, fmt.Errorf("write %s: %w", table, err)
		}
		res.retried += len(reqs)
		l.log.Debug("batch write failed, will retry", "stage", "migrate", "table", table, "items", len(reqs), "attempt", attempt, "err", err)
		if err := sleep(ctx, l.backoff(attempt)); err != nil {
			return res, reqs, fmt.Errorf("write %s: %d items still unwritten: %w", table, len(reqs), err)
		}
	}
}

// writeBatch writes up to 25 requests to one table and returns when all are
// written (see send), sending UnprocessedItems again after an exponential
// backoff with full jitter. The writers of the load do not wait so (see
// worker); the truncation and the exceptions table do.
func (l *loader) writeBatch(ctx context.Context, table string, reqs []types.WriteRequest) (batchResult, error) {
	var res batchResult
	pending := reqs
	attempt := 0
	for {
		r, unprocessed, err := l.send(ctx, table, pending)
		res.written += r.written
		res.retried += r.retried
		res.failed = append(res.failed, r.failed...)
		if err != nil || len(unprocessed) == 0 {
			return res, err
		}
		if len(unprocessed) < len(pending) {
			attempt = 0 // progress: start the backoff over
		}
		attempt++
		res.retried += len(unprocessed)
		pending = unprocessed
		if err := sleep(ctx, l.backoff(attempt)); err != nil {
			return res, fmt.Errorf("write %s: %d unprocessed items still unwritten: %w", table, len(pending), err)
		}
	}
}

// maxHeld bounds the requests one writer holds for a later retry: beyond
// it, the writer waits for them before it takes a new batch.
const maxHeld = 4 * maxBatch

// held are requests DynamoDB left unprocessed, waiting in their writer's
// queue until their backoff has passed.
type held struct {
	t       *tableRun
	reqs    []types.WriteRequest
	attempt int       // for the backoff: 1 after a batch that made progress
	at      time.Time // when they may be sent again
}

// worker is one of the load's writers: it sends the batches of jobs until
// jobs is closed and everything it took is written. Requests DynamoDB
// leaves unprocessed do not hold the writer up: they wait out their
// backoff in its queue while it goes on with new batches, and go again
// merged with others of their table into batches of up to 25. The writer
// itself pauses only when a batch made no progress at all (DynamoDB
// throttles the table: everyone should slow down), when it holds maxHeld
// requests, or when nothing else is left to do.
func (l *loader) worker(ctx context.Context, jobs <-chan batchJob, exc *exceptionSink, report func(*tableRun)) error {
	var (
		queue []held
		nHeld int
		timer *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	unwritten := func(err error) error {
		return fmt.Errorf("write %s: %d unprocessed items still unwritten: %w", queue[0].t.plan.Target, nHeld, err)
	}
	for {
		now := time.Now()
		job, ok := takeReady(&queue, now)
		if !ok && jobs == nil && len(queue) == 0 {
			return nil
		}
		if !ok && (jobs == nil || nHeld >= maxHeld) {
			if err := sleep(ctx, firstDue(queue).Sub(now)); err != nil {
				return unwritten(err)
			}
			continue
		}
		if !ok {
			var due <-chan time.Time
			if len(queue) > 0 {
				d := firstDue(queue).Sub(now)
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				due = timer.C
			}
			select {
			case job, ok = <-jobs:
				if !ok {
					jobs = nil
					continue
				}
			case <-due:
				continue
			case <-ctx.Done():
				if len(queue) > 0 {
					return unwritten(context.Cause(ctx))
				}
				return context.Cause(ctx)
			}
		} else {
			nHeld -= len(job.reqs)
		}
		res, unprocessed, err := l.send(ctx, job.t.plan.Target, job.reqs)
		job.t.written.Add(int64(res.written))
		job.t.retried.Add(int64(res.retried))
		if err != nil {
			return err
		}
		for _, f := range res.failed {
			item := f.req.PutRequest.Item
			if err := exc.add(ctx, job.t.plan, itemStatement(job.t.plan, item), f.reason); err != nil {
				return err
			}
			job.t.rejected.Add(1)
		}
		if len(unprocessed) > 0 {
			job.t.retried.Add(int64(len(unprocessed)))
			attempt := 1
			stalled := len(unprocessed) == len(job.reqs)
			if stalled {
				attempt = job.attempt + 1
			}
			d := l.backoff(attempt)
			queue = append(queue, held{t: job.t, reqs: unprocessed, attempt: attempt, at: time.Now().Add(d)})
			nHeld += len(unprocessed)
			if stalled {
				l.log.Debug("batch write made no progress, pausing", "stage", "migrate", "table", job.t.plan.Target,
					"items", len(unprocessed), "attempt", attempt)
				if err := sleep(ctx, d); err != nil {
					return unwritten(err)
				}
			}
		}
		report(job.t)
	}
}

// takeReady takes from the queue the requests whose backoff has passed, of
// the table of the first such: up to 25, with distinct keys.
func takeReady(queue *[]held, now time.Time) (batchJob, bool) {
	q := *queue
	first := slices.IndexFunc(q, func(h held) bool { return !h.at.After(now) })
	if first < 0 {
		return batchJob{}, false
	}
	t := q[first].t
	job := batchJob{t: t}
	keys := make(map[string]bool, maxBatch)
	kept := q[:0]
	for _, h := range q {
		if h.t != t || h.at.After(now) || len(job.reqs) == maxBatch {
			kept = append(kept, h)
			continue
		}
		n := 0
		for _, r := range h.reqs {
			k := t.plan.requestKey(r)
			if len(job.reqs) == maxBatch || keys[k] {
				break
			}
			keys[k] = true
			job.reqs = append(job.reqs, r)
			n++
		}
		if n > 0 {
			job.attempt = max(job.attempt, h.attempt)
		}
		if n < len(h.reqs) {
			h.reqs = h.reqs[n:]
			kept = append(kept, h)
		}
	}
	clear(q[len(kept):])
	*queue = kept
	return job, true
}

// firstDue is the earliest time a held request may be sent again.
func firstDue(queue []held) time.Time {
	t := queue[0].at
	for _, h := range queue[1:] {
		if h.at.Before(t) {
			t = h.at
		}
	}
	return t
}

// writeEach sends requests one at a time (PutItem or DeleteItem), retrying
// as writeBatch does, to tell the refused ones from the rest.
func (l *loader) writeEach(ctx context.Context, table string, reqs []types.WriteRequest, res batchResult) (batchResult, error) {
	for _, req := range reqs {
		for attempt := 1; ; attempt++ {
			var err error
			if req.PutRequest != nil {
				_, err = l.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: req.PutRequest.Item})
			} else {
				_, err = l.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: req.DeleteRequest.Key})
			}
			if err == nil {
				res.written++
				break
			}
			if ctx.Err() != nil {
				return res, fmt.Errorf("write %s: %w", table, context.Cause(ctx))
			}
			if isValidation(err) {
				res.failed = append(res.failed, failedWrite{req: req, reason: "DynamoDB refused the item: " + apiMessage(err)})
				break
			}
			if !retryable(err) {
				return res, fmt.Errorf("write %s: %w", table, err)
			}
			res.retried++
			if err := sleep(ctx, l.backoff(attempt)); err != nil {
				return res, fmt.Errorf("write %s: %w", table, err)
			}
		}
	}
	return res, nil
}

// backoff is the pause before retry number attempt (from 1): a random
// duration up to baseDelay·2^attempt, capped at maxDelay ("full jitter").
func (l *loader) backoff(attempt int) time.Duration {
	ceiling := l.maxDelay
	if attempt < 30 {
		ceiling = min(l.baseDelay<<attempt, l.maxDelay)
	}
	return time.Duration(rand.Int64N(int64(ceiling))) + time.Millisecond
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

var retryables = retry.IsErrorRetryables(retry.DefaultRetryables)

// retryable reports whether err is worth another try: throttling, 5xx,
// connection errors, timeouts, and whatever the SDK gave up on after
// pipeline.MaxAttempts.
func retryable(err error) bool {
	var maxErr *retry.MaxAttemptsError
	if errors.As(err, &maxErr) {
		return true
	}
	return retryables.IsErrorRetryable(err) == aws.TrueTernary
}

// isValidation reports whether DynamoDB refused the request as invalid.
func isValidation(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationException"
}

func apiMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}
