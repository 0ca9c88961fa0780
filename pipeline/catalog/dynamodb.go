package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// DescribeAPI is the part of the DynamoDB client the crawler uses besides Scan.
type DescribeAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// DynamoDBAPI is the part of the DynamoDB client the crawler uses.
type DynamoDBAPI interface {
	pipeline.ScanAPI
	DescribeAPI
}

// errSampled stops a sampling scan after its first page.
var errSampled = errors.New("sampled")

// crawlDynamoDB infers the table of one DynamoDB table from all its items,
// scanned in segments parallel segments, or, with sample, from its first
// page of items, counting them by DescribeTable's ItemCount.
func crawlDynamoDB(ctx context.Context, api DynamoDBAPI, table string, segments int, sample bool) (datacatalog.Table, error) {
	desc, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return datacatalog.Table{}, fmt.Errorf("crawl DynamoDB table %s: the table does not exist: %w", table, err)
		}
		return datacatalog.Table{}, fmt.Errorf("crawl DynamoDB table %s: describe: %w", table, err)
	}
	location := table
	if desc.Table != nil && aws.ToString(desc.Table.TableArn) != "" {
		location = aws.ToString(desc.Table.TableArn)
	}
	var (
		schema *gtype
		n      int64
	)
	if sample {
		_, err := pipeline.Scan(ctx, api, dynamodb.ScanInput{TableName: aws.String(table)}, 1,
			func(_ context.Context, _ int, out *dynamodb.ScanOutput) error {
				for _, item := range out.Items {
					schema = merge(schema, itemType(item))
				}
				return errSampled
			})
		if err != nil && !errors.Is(err, errSampled) {
			return datacatalog.Table{}, fmt.Errorf("crawl DynamoDB table %s: sample: %w", table, err)
		}
		if desc.Table != nil {
			n = aws.ToInt64(desc.Table.ItemCount)
		}
	} else {
		if segments < 1 {
			segments = 1
		}
		// One schema per segment, merged in segment order afterwards: no
		// locks and the same column order every run.
		schemas := make([]*gtype, segments)
		var err error
		n, err = pipeline.ScanItems(ctx, api, table, segments, func(_ context.Context, seg int, items []map[string]types.AttributeValue) error {
			for _, item := range items {
				schemas[seg] = merge(schemas[seg], itemType(item))
			}
			return nil
		})
		if err != nil {
			return datacatalog.Table{}, fmt.Errorf("crawl DynamoDB table %s: %w", table, err)
		}
		for _, s := range schemas {
			schema = merge(schema, s)
		}
	}
	return datacatalog.Table{
		Name:           datacatalog.TableName(table),
		Location:       location,
		Classification: datacatalog.ClassificationDynamoDB,
		Compression:    pipeline.CompressionNone,
		Columns:        sortedColumns(schema),
		RecordCount:    n,
	}, nil
}

// sortedColumns lists a DynamoDB schema's columns by name: items have no
// attribute order, and segments arrive in any order.
func sortedColumns(t *gtype) []datacatalog.Column {
	cols := columns(t)
	slices.SortFunc(cols, func(a, b datacatalog.Column) int { return strings.Compare(a.Name, b.Name) })
	return cols
}
