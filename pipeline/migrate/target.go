package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/pipeline"
)

// PrepMode is the DMS task setting FullLoadSettings.TargetTablePrepMode: what
// the load does to a target table that already exists.
type PrepMode string

const (
	// DropAndCreate deletes an existing table and creates it anew. The default.
	DropAndCreate PrepMode = "DROP_AND_CREATE"
	// TruncateBeforeLoad deletes every item of an existing table and keeps
	// the table.
	TruncateBeforeLoad PrepMode = "TRUNCATE_BEFORE_LOAD"
	// DoNothing leaves an existing table and its items as they are; loaded
	// rows overwrite items with the same key.
	DoNothing PrepMode = "DO_NOTHING"
)

// ParsePrepMode reads a TargetTablePrepMode value; empty means DropAndCreate.
func ParsePrepMode(s string) (PrepMode, error) {
	switch m := PrepMode(s); m {
	case "":
		return DropAndCreate, nil
	case DropAndCreate, TruncateBeforeLoad, DoNothing:
		return m, nil
	}
	return "", fmt.Errorf("unknown TargetTablePrepMode %q (DROP_AND_CREATE, TRUNCATE_BEFORE_LOAD or DO_NOTHING)", s)
}

// tableWaitTimeout bounds each wait for a table to become ACTIVE or go away.
const tableWaitTimeout = 10 * time.Minute

// describeTable returns the table's description, or nil if it does not exist.
func describeTable(ctx context.Context, ddb *dynamodb.Client, name string) (*types.TableDescription, error) {
	out, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe table %s: %w", name, err)
	}
	return out.Table, nil
}

// poll calls cond with growing pauses until it reports done, fails, or the
// wait times out.
func poll(ctx context.Context, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, tableWaitTimeout)
	defer cancel()
	delay := 25 * time.Millisecond
	for {
		done, err := cond(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if err := sleep(ctx, delay); err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		delay = min(delay*2, 2*time.Second)
	}
}

func waitActive(ctx context.Context, ddb *dynamodb.Client, name string) (*types.TableDescription, error) {
	var desc *types.TableDescription
	err := poll(ctx, "table "+name+" to become ACTIVE", func(ctx context.Context) (bool, error) {
		d, err := describeTable(ctx, ddb, name)
		if err != nil {
			return false, err
		}
		if d == nil {
			return false, fmt.Errorf("table %s vanished while waiting for it to become ACTIVE", name)
		}
		desc = d
		if d.TableStatus == types.TableStatusDeleting {
			return false, fmt.Errorf("table %s is being deleted", name)
		}
		return d.TableStatus == types.TableStatusActive, nil
	})
	return desc, err
}

func waitGone(ctx context.Context, ddb *dynamodb.Client, name string) error {
	return poll(ctx, "table "+name+" to be deleted", func(ctx context.Context) (bool, error) {
		d, err := describeTable(ctx, ddb, name)
		return d == nil, err
	})
}

// createTable creates an on-demand table with the given keys and waits until
// it is ACTIVE. A table created meanwhile by someone else is waited for.
func createTable(ctx context.Context, ddb *dynamodb.Client, name string, pk, sk KeyAttribute) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(pk.Name), AttributeType: pk.Type},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(pk.Name), KeyType: types.KeyTypeHash},
		},
	}
	if sk.Name != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String(sk.Name), AttributeType: sk.Type})
		in.KeySchema = append(in.KeySchema,
			types.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: types.KeyTypeRange})
	}
	if _, err := ddb.CreateTable(ctx, in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("create table %s: %w", name, err)
		}
	}
	desc, err := waitActive(ctx, ddb, name)
	if err != nil {
		return err
	}
	return checkKeySchema(desc, pk, sk)
}

// deleteTable deletes a table and waits until it is gone. A table being
// created is waited for first; one being deleted is only waited for.
func deleteTable(ctx context.Context, ddb *dynamodb.Client, name string) error {
	desc, err := describeTable(ctx, ddb, name)
	if err != nil || desc == nil {
		return err
	}
	if desc.TableStatus != types.TableStatusDeleting {
		if _, err := waitActive(ctx, ddb, name); err != nil {
			return err
		}
		if _, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				return fmt.Errorf("delete table %s: %w", name, err)
			}
		}
	}
	return waitGone(ctx, ddb, name)
}

// checkKeySchema makes sure an existing table has the keys the load writes.
func checkKeySchema(desc *types.TableDescription, pk, sk KeyAttribute) error {
	name := aws.ToString(desc.TableName)
	defs := map[string]types.ScalarAttributeType{}
	for _, d := range desc.AttributeDefinitions {
		defs[aws.ToString(d.AttributeName)] = d.AttributeType
	}
	var hash, rng KeyAttribute
	for _, k := range desc.KeySchema {
		ka := KeyAttribute{Name: aws.ToString(k.AttributeName), Type: defs[aws.ToString(k.AttributeName)]}
		if k.KeyType == "HASH" {
			hash = ka
		} else {
			rng = ka
		}
	}
	if hash != pk || rng != sk {
		return fmt.Errorf("table %s exists with key schema %s but the mapping needs %s; use TargetTablePrepMode DROP_AND_CREATE or drop it",
			name, keyString(hash, rng), keyString(pk, sk))
	}
	return nil
}

func keyString(pk, sk KeyAttribute) string {
	s := fmt.Sprintf("HASH %s (%s)", pk.Name, pk.Type)
	if sk.Name != "" {
		s += fmt.Sprintf(", RANGE %s (%s)", sk.Name, sk.Type)
	}
	return s
}

// prepare readies one target table as mode says: afterwards it exists, is
// ACTIVE and has the plan's key schema.
func (l *loader) prepare(ctx context.Context, name string, pk, sk KeyAttribute, mode PrepMode) error {
	desc, err := describeTable(ctx, l.ddb, name)
	if err != nil {
		return err
	}
	if desc != nil && desc.TableStatus == types.TableStatusDeleting {
		if err := waitGone(ctx, l.ddb, name); err != nil {
			return err
		}
		desc = nil
	}
	if desc == nil {
		l.log.Info("create table", "stage", "migrate", "table", name)
		return createTable(ctx, l.ddb, name, pk, sk)
	}
	switch mode {
	case DropAndCreate:
		l.log.Info("drop and create table", "stage", "migrate", "table", name)
		if err := deleteTable(ctx, l.ddb, name); err != nil {
			return err
		}
		return createTable(ctx, l.ddb, name, pk, sk)
	case TruncateBeforeLoad:
		if desc, err = waitActive(ctx, l.ddb, name); err != nil {
			return err
		}
		if err := checkKeySchema(desc, pk, sk); err != nil {
			return err
		}
		l.log.Info("truncate table", "stage", "migrate", "table", name)
		return l.truncate(ctx, name, pk, sk)
	default:
		if desc, err = waitActive(ctx, l.ddb, name); err != nil {
			return err
		}
		return checkKeySchema(desc, pk, sk)
	}
}

// truncate deletes every item of a table: a parallel Scan of the keys feeds
// batched DeleteRequests.
func (l *loader) truncate(ctx context.Context, name string, pk, sk KeyAttribute) error {
	proj := "#pk"
	names := map[string]string{"#pk": pk.Name}
	if sk.Name != "" {
		proj += ", #sk"
		names["#sk"] = sk.Name
	}
	in := dynamodb.ScanInput{TableName: aws.String(name), ProjectionExpression: aws.String(proj), ExpressionAttributeNames: names}
	_, err := pipeline.Scan(ctx, l.ddb, in, l.segments, func(ctx context.Context, _ int, page *dynamodb.ScanOutput) error {
		for chunk := range chunks(page.Items, maxBatch) {
			reqs := make([]types.WriteRequest, len(chunk))
			for i, key := range chunk {
				reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}
			}
			res, err := l.writeBatch(ctx, name, reqs)
			if err != nil {
				return err
			}
			if len(res.failed) > 0 {
				return fmt.Errorf("delete refused: %s", res.failed[0].reason)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("truncate %s: %w", name, err)
	}
	return nil
}

func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// countItems is the target side of validation (see pipeline.CountItems).
func (l *loader) countItems(ctx context.Context, name string) (int64, error) {
	return pipeline.CountItems(ctx, l.ddb, name, l.segments)
}
