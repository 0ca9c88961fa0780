package dynamodb_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation"
	ddb "github.com/mldatalake/mldatalake/emulation/dynamodb"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// unprocessedRun writes 100 items in batches of 25 through a server whose
// partial-failure rate is 30% with the given seed, and returns how many
// entries came back unprocessed on the first try of each batch.
func unprocessedRun(t *testing.T, seed uint64) (firstTry []int, c *dynamodb.Client, table string) {
	t.Helper()
	srv := emulation.NewTestServer(t, emulation.WithFaults(fault.Config{Rates: map[fault.Kind]float64{fault.Partial: 0.3}, Seed: seed}))
	c = dynamodb.NewFromConfig(srv.Config())
	table = createTable(t, c, keyDef{"Id", types.ScalarAttributeTypeS}, nil)
	ctx := t.Context()
	for b := 0; b < 100; b += 25 {
		pending := map[string][]types.WriteRequest{table: puts(ratings(b, b+25)...)}
		for try := 0; len(pending) > 0; try++ {
			if try == 30 {
				t.Fatalf("batch %d still unprocessed after %d tries", b/25, try)
			}
			out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				t.Fatalf("batch write: %v", err)
			}
			if try == 0 {
				firstTry = append(firstTry, len(out.UnprocessedItems[table]))
			}
			for name, reqs := range out.UnprocessedItems {
				if name != table {
					t.Fatalf("unprocessed items for unknown table %s", name)
				}
				for _, r := range reqs {
					if r.PutRequest == nil || len(r.PutRequest.Item) != 5 {
						t.Fatalf("unprocessed entry %+v is not the put request sent", r)
					}
				}
			}
			pending = out.UnprocessedItems
		}
	}
	return firstTry, c, table
}

func TestBatchWritePartialFailures(t *testing.T) {
	first, c, table := unprocessedRun(t, 42)
	total := 0
	for _, n := range first {
		total += n
	}
	// About 30% of 100 entries; the seed fixes the exact numbers.
	if total < 10 || total > 50 {
		t.Errorf("%d entries unprocessed on first tries %v, want about 30", total, first)
	}
	// Resending the unprocessed entries completed the load.
	out, err := c.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
	if err != nil || out.Count != 100 {
		t.Fatalf("after resending: Count %d, err %v; want 100", out.Count, err)
	}
	for i := range 100 {
		want := ratingItem(i)
		got, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"Id": want["Id"]}})
		if err != nil || str(t, got.Item, "rating") != want["rating"].(*types.AttributeValueMemberS).Value {
			t.Fatalf("item %d: %v, %v", i, got.Item, err)
		}
	}
	// The same seed gives the same failures.
	again, _, _ := unprocessedRun(t, 42)
	if len(again) != len(first) {
		t.Fatalf("second run %v, first %v", again, first)
	}
	for i := range first {
		if first[i] != again[i] {
			t.Errorf("same seed, different failures: %v then %v", first, again)
			break
		}
	}
}

// TestStatusDelay checks that the SDK waiters poll through CREATING and
// DELETING, and that a table that is not ACTIVE refuses item operations as
// AWS does.
func TestStatusDelay(t *testing.T) {
	hs := httptest.NewServer(ddb.New(ddb.WithStatusDelay(150 * time.Millisecond)))
	t.Cleanup(hs.Close)
	srv := emulation.NewTestServer(t)
	cfg := srv.Config()
	cfg.BaseEndpoint = aws.String(hs.URL)
	c := dynamodb.NewFromConfig(cfg)
	ctx := t.Context()
	name := tableName(t)
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("Id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("Id"), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil || desc.Table.TableStatus != types.TableStatusCreating {
		t.Fatalf("describe right after create: %v, %v; want CREATING", desc, err)
	}
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: map[string]types.AttributeValue{"Id": s("a")}})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found")
	_, err = c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	wantAPIError(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being created: "+name)

	start := time.Now()
	if err := dynamodb.NewTableExistsWaiter(c, fastTableExists).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("TableExistsWaiter: %v", err)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("waiter returned after %v, before the table could be ACTIVE", time.Since(start))
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: map[string]types.AttributeValue{"Id": s("a")}}); err != nil {
		t.Fatalf("put into ACTIVE table: %v", err)
	}

	if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	desc, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil || desc.Table.TableStatus != types.TableStatusDeleting {
		t.Fatalf("describe right after delete: %v, %v; want DELETING", desc, err)
	}
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{"Id": s("a")}})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found")
	if err := dynamodb.NewTableNotExistsWaiter(c, fastTableNotExists).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("TableNotExistsWaiter: %v", err)
	}
	// The name is free again.
	if _, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("Id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("Id"), AttributeType: types.ScalarAttributeTypeS}},
	}); err != nil {
		t.Fatalf("create again: %v", err)
	}
}
