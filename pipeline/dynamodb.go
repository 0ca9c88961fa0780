package pipeline

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// ScanAPI is the part of the DynamoDB client Scan uses.
type ScanAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Scan reads a DynamoDB table with a parallel Scan: segments workers, each
// scanning its Segment of TotalSegments=segments from a copy of in (which
// names the table and may set a projection, a filter or Select=COUNT) and
// following LastEvaluatedKey to the end. It calls page with every page,
// including pages with no items; page runs on up to segments goroutines at
// once, in order within one segment, and an error from it stops the scan.
// Throttles and 5xx are retried by the client's retryer. It returns how many
// items the pages held (their Count).
func Scan(ctx context.Context, api ScanAPI, in dynamodb.ScanInput, segments int,
	page func(ctx context.Context, segment int, out *dynamodb.ScanOutput) error) (int64, error) {
	if segments < 1 {
		segments = 1
	}
	table := aws.ToString(in.TableName)
	var n atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for seg := range segments {
		g.Go(func() error {
			in := in
			in.Segment, in.TotalSegments = aws.Int32(int32(seg)), aws.Int32(int32(segments))
			for {
				out, err := api.Scan(gctx, &in)
				if err != nil {
					return fmt.Errorf("scan %s segment %d/%d: %w", table, seg, segments, err)
				}
				n.Add(int64(out.Count))
				if err := page(gctx, seg, out); err != nil {
					return err
				}
				if len(out.LastEvaluatedKey) == 0 {
					return nil
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
		})
	}
	err := g.Wait()
	return n.Load(), err
}

// ScanItems reads every item of table with a strongly consistent parallel
// Scan (see Scan), calling page with each non-empty page of items.
func ScanItems(ctx context.Context, api ScanAPI, table string, segments int,
	page func(ctx context.Context, segment int, items []map[string]types.AttributeValue) error) (int64, error) {
	in := dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)}
	return Scan(ctx, api, in, segments, func(ctx context.Context, seg int, out *dynamodb.ScanOutput) error {
		if len(out.Items) == 0 {
			return nil
		}
		return page(ctx, seg, out.Items)
	})
}

// CountItems counts a DynamoDB table's items as DMS data validation does: a
// parallel Scan of segments segments with Select=COUNT and consistent reads.
func CountItems(ctx context.Context, api ScanAPI, table string, segments int) (int64, error) {
	in := dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount, ConsistentRead: aws.Bool(true)}
	n, err := Scan(ctx, api, in, segments, func(context.Context, int, *dynamodb.ScanOutput) error { return nil })
	if err != nil {
		return 0, fmt.Errorf("count items of %s: %w", table, err)
	}
	return n, nil
}
