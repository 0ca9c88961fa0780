package verify

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mldatalake/mldatalake/pipeline"
)

// countSegments is how many parallel Scan segments CountItems uses.
const countSegments = 4

// CountItems counts a DynamoDB table's items, independently of what the
// migrate stage reported.
func CountItems(ctx context.Context, cfg aws.Config, table string) (int64, error) {
	return pipeline.CountItems(ctx, pipeline.NewClients(cfg).DynamoDB, table, countSegments)
}
