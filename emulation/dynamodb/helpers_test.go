package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/mldatalake/mldatalake/emulation"
)

// target is one DynamoDB implementation the scenario runs against.
type target struct {
	name string
	// client is nil when the target is unavailable; skip says why.
	client *dynamodb.Client
	skip   string
	// dynalite marks the independent emulator, for the few assertions where
	// it departs from AWS's documentation.
	dynalite bool
}

// targets returns the embedded emulator and, when DYNALITE_ENDPOINT is set
// (see .ci/dynalite.sh), dynalite.
func targets(t *testing.T) []target {
	t.Helper()
	srv := emulation.NewTestServer(t)
	ts := []target{{name: "embedded", client: dynamodb.NewFromConfig(srv.Config())}}
	ep := os.Getenv("DYNALITE_ENDPOINT")
	if ep == "" {
		ts = append(ts, target{name: "dynalite", skip: "DYNALITE_ENDPOINT is not set: start dynalite with `eval \"$(bash .ci/dynalite.sh)\"` and export DYNALITE_ENDPOINT to run the conformance scenario against it"})
		return ts
	}
	cfg := srv.Config()
	cfg.BaseEndpoint = aws.String(ep)
	return append(ts, target{name: "dynalite", client: dynamodb.NewFromConfig(cfg), dynalite: true})
}

// forEachTarget runs fn as a subtest per target.
func forEachTarget(t *testing.T, fn func(t *testing.T, tg target)) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			if tg.client == nil {
				t.Skip(tg.skip)
			}
			fn(t, tg)
		})
	}
}

var tableSeq atomic.Int64

// tableName is unique across runs, as dynalite outlives a test run.
func tableName(t testing.TB) string {
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	if len(base) > 100 {
		base = base[len(base)-100:]
	}
	return fmt.Sprintf("%s-%s-%d", strings.Trim(base, "-"), strconv.FormatInt(time.Now().UnixNano(), 36), tableSeq.Add(1))
}

func fastTableExists(o *dynamodb.TableExistsWaiterOptions) {
	o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
}

func fastTableNotExists(o *dynamodb.TableNotExistsWaiterOptions) {
	o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
}

// keyDef is a key attribute: name and type.
type keyDef struct {
	name string
	typ  types.ScalarAttributeType
}

// createTable creates a PAY_PER_REQUEST table, waits until it is ACTIVE and
// deletes it when the test ends.
func createTable(t testing.TB, c *dynamodb.Client, hash keyDef, rng *keyDef) string {
	t.Helper()
	name := tableName(t)
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(hash.name), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(hash.name), AttributeType: hash.typ}},
	}
	if rng != nil {
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(rng.name), KeyType: types.KeyTypeRange})
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(rng.name), AttributeType: rng.typ})
	}
	ctx := context.Background()
	if _, err := c.CreateTable(ctx, in); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	if err := dynamodb.NewTableExistsWaiter(c, fastTableExists).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("wait for table %s: %v", name, err)
	}
	return name
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// str reads a string attribute, failing on any other type.
func str(t testing.TB, it map[string]types.AttributeValue, name string) string {
	t.Helper()
	v, ok := it[name].(*types.AttributeValueMemberS)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a string", name, it[name])
	}
	return v.Value
}

func num(t testing.TB, it map[string]types.AttributeValue, name string) string {
	t.Helper()
	v, ok := it[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a number", name, it[name])
	}
	return v.Value
}

// wantAPIError checks that err is the AWS error code with HTTP status 400
// and, when msg is not empty, exactly that message.
func wantAPIError(t testing.TB, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %q (%v), want %q", ae.ErrorCode(), err, code)
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if got := re.HTTPStatusCode(); got != 400 {
		t.Fatalf("HTTP status %d, want 400", got)
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("message %q, want %q", ae.ErrorMessage(), msg)
	}
}

// writeAll writes items with BatchWriteItem in batches of 25 from workers
// goroutines, resending unprocessed entries until none remain.
func writeAll(t testing.TB, c *dynamodb.Client, table string, items []map[string]types.AttributeValue, workers int) {
	t.Helper()
	ctx := context.Background()
	batches := make(chan []map[string]types.AttributeValue)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				reqs := make([]types.WriteRequest, len(b))
				for i, it := range b {
					reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
				}
				pending := map[string][]types.WriteRequest{table: reqs}
				for try := 0; len(pending) > 0; try++ {
					if try == 50 {
						mu.Lock()
						firstErr = errors.Join(firstErr, fmt.Errorf("batch still unprocessed after %d tries", try))
						mu.Unlock()
						break
					}
					out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
					if err != nil {
						mu.Lock()
						firstErr = errors.Join(firstErr, err)
						mu.Unlock()
						break
					}
					pending = out.UnprocessedItems
				}
			}
		}()
	}
	for i := 0; i < len(items); i += 25 {
		batches <- items[i:min(i+25, len(items))]
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("batch write to %s: %v", table, firstErr)
	}
}

// scanAll pages through a scan (or one segment of it) and returns the pages.
func scanAll(t testing.TB, c *dynamodb.Client, in dynamodb.ScanInput) []*dynamodb.ScanOutput {
	t.Helper()
	var pages []*dynamodb.ScanOutput
	for {
		out, err := c.Scan(context.Background(), &in)
		if err != nil {
			t.Fatalf("scan %s: %v", aws.ToString(in.TableName), err)
		}
		pages = append(pages, out)
		if len(out.LastEvaluatedKey) == 0 {
			return pages
		}
		if len(pages) > 10000 {
			t.Fatalf("scan %s: more than 10000 pages", aws.ToString(in.TableName))
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func sortedMapKeys(it map[string]types.AttributeValue) []string {
	ks := make([]string, 0, len(it))
	for k := range it {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sortedJoin(vs []string) string {
	c := slices.Clone(vs)
	slices.Sort(c)
	return fmt.Sprint(c)
}
