package verify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/mldatalake/mldatalake/pipeline"
)

// countSegments is how many parallel Scan segments CountItems uses.
const countSegments = 4

// CountItems counts a DynamoDB table's items with a parallel Scan and
// Select=COUNT, as DMS data validation counts the target.
func CountItems(ctx context.Context, cfg aws.Config, table string) (int64, error) {
	c := pipeline.NewClients(cfg).DynamoDB
	counts := make([]int64, countSegments)
	g, gctx := errgroup.WithContext(ctx)
	for seg := range countSegments {
		g.Go(func() error {
			in := &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount,
				Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(countSegments)}
			for {
				out, err := c.Scan(gctx, in)
				if err != nil {
					return fmt.Errorf("count items of %s: %w", table, err)
				}
				counts[seg] += int64(out.Count)
				if len(out.LastEvaluatedKey) == 0 {
					return nil
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	return n, nil
}
