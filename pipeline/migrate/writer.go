package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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

// writeBatch writes up to 25 requests to one table with BatchWriteItem. The
// SDK already retries throttles and 5xx up to pipeline.MaxAttempts; what it
// gives up on, and every UnprocessedItems, is sent again after an exponential
// backoff with full jitter, until all are written or ctx ends (the load's
// deadline). When DynamoDB refuses the whole batch as invalid, the requests
// are sent one by one to find those it refuses; those come back in failed.
func (l *loader) writeBatch(ctx context.Context, table string, reqs []types.WriteRequest) (batchResult, error) {
	var res batchResult
	pending := reqs
	attempt := 0
	for len(pending) > 0 {
		out, err := l.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table: pending},
		})
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("write %s: %d items still unwritten: %w", table, len(pending), context.Cause(ctx))
			}
			if isValidation(err) {
				return l.writeEach(ctx, table, pending, res)
			}
			if !retryable(err) {
				return res, fmt.Errorf("write %s: %w", table, err)
			}
			attempt++
			res.retried += len(pending)
			l.log.Debug("batch write failed, will retry", "stage", "migrate", "table", table, "items", len(pending), "attempt", attempt, "err", err)
			if err := sleep(ctx, l.backoff(attempt)); err != nil {
				return res, fmt.Errorf("write %s: %d items still unwritten: %w", table, len(pending), err)
			}
			continue
		}
		unprocessed := out.UnprocessedItems[table]
		res.written += len(pending) - len(unprocessed)
		if len(unprocessed) == 0 {
			return res, nil
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
	return res, nil
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
