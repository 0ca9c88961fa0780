package pipeline

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// CountItems counts a DynamoDB table's items as DMS data validation does: a
// parallel Scan of segments segments with Select=COUNT and consistent reads.
func CountItems(ctx context.Context, api dynamodb.ScanAPIClient, table string, segments int) (int64, error) {
	if segments < 1 {
		segments = 1
	}
	counts := make([]int64, segments)
	g, ctx := errgroup.WithContext(ctx)
	for seg := range int32(segments) {
		g.Go(func() error {
			p := dynamodb.NewScanPaginator(api, &dynamodb.ScanInput{
				TableName:      aws.String(table),
				Select:         types.SelectCount,
				ConsistentRead: aws.Bool(true),
				Segment:        aws.Int32(seg),
				TotalSegments:  aws.Int32(int32(segments)),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("count items of %s: %w", table, err)
				}
				counts[seg] += int64(page.Count)
			}
			return nil
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
