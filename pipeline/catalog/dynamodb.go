package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// DescribeAPI is the part of the DynamoDB client the crawler uses besides Scan.
type DescribeAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// Scan reads every item of table with a parallel Scan: segments workers,
// each scanning its Segment of TotalSegments=segments and following
// LastEvaluatedKey to the end, with strongly consistent reads. It calls page
// with each page of items; page runs on up to segments goroutines at once,
// in order within one segment, and an error from it stops the scan. Throttles
// and 5xx are retried by the client's retryer. It returns how many items it
// read.
func Scan(ctx context.Context, api ScanAPI, table string, segments int,
	page func(ctx context.Context, segment int, items []map[string]types.AttributeValue) error) (int64, error) {
	if segments < 1 {
		segments = 1
	}
	var n atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for seg := range segments {
		g.Go(func() error {
			in := &dynamodb.ScanInput{
				TableName:      aws.String(table),
				ConsistentRead: aws.Bool(true),
				Segment:        aws.Int32(int32(seg)),
				TotalSegments:  aws.Int32(int32(segments)),
			}
			for {
				out, err := api.Scan(gctx, in)
				if err != nil {
					return fmt.Errorf("scan %s segment %d/%d: %w", table, seg, segments, err)
				}
				n.Add(int64(len(out.Items)))
				if len(out.Items) > 0 {
					if err := page(gctx, seg, out.Items); err != nil {
						return err
					}
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

// DynamoDBTableName returns the DynamoDB table a catalog location names: the
// part after "table/" of an ARN, or the location itself.
func DynamoDBTableName(location string) string {
	if strings.HasPrefix(location, "arn:") {
		if _, name, ok := strings.Cut(location, ":table/"); ok {
			name, _, _ = strings.Cut(name, "/")
			return name
		}
	}
	return location
}

// DynamoDBAPI is the part of the DynamoDB client the crawler uses.
type DynamoDBAPI interface {
	ScanAPI
	DescribeAPI
}

// crawlDynamoDB infers the table of one DynamoDB table from all its items,
// scanned in segments parallel segments.
func crawlDynamoDB(ctx context.Context, api DynamoDBAPI, table string, segments int) (Table, error) {
	desc, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return Table{}, fmt.Errorf("crawl DynamoDB table %s: the table does not exist: %w", table, err)
		}
		return Table{}, fmt.Errorf("crawl DynamoDB table %s: describe: %w", table, err)
	}
	location := table
	if desc.Table != nil && aws.ToString(desc.Table.TableArn) != "" {
		location = aws.ToString(desc.Table.TableArn)
	}
	if segments < 1 {
		segments = 1
	}
	// One schema per segment, merged in segment order afterwards: no locks
	// and the same column order every run.
	schemas := make([]*gtype, segments)
	n, err := Scan(ctx, api, table, segments, func(_ context.Context, seg int, items []map[string]types.AttributeValue) error {
		for _, item := range items {
			schemas[seg] = merge(schemas[seg], itemType(item))
		}
		return nil
	})
	if err != nil {
		return Table{}, fmt.Errorf("crawl DynamoDB table %s: %w", table, err)
	}
	var schema *gtype
	for _, s := range schemas {
		schema = merge(schema, s)
	}
	return Table{
		Name:           TableName(table),
		Location:       location,
		Classification: ClassificationDynamoDB,
		Compression:    "none",
		Columns:        sortedColumns(schema),
		RecordCount:    n,
	}, nil
}

// sortedColumns lists a DynamoDB schema's columns by name: items have no
// attribute order, and segments arrive in any order.
func sortedColumns(t *gtype) []Column {
	cols := columns(t)
	slices.SortFunc(cols, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	return cols
}
