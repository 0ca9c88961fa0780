package dynamodb_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestTransactWriteItems(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	a := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	b := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, &keyDef{"sk", types.ScalarAttributeTypeN})
	seed := func(t *testing.T) {
		t.Helper()
		for _, it := range []item{{"pk": s("x"), "v": n("1")}, {"pk": s("y"), "v": n("1")}} {
			if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(a), Item: it}); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range []item{{"pk": s("new")}, {"pk": s("z")}} {
			if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(a), Key: k}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(b), Key: item{"pk": s("p"), "sk": n("1")}}); err != nil {
			t.Fatal(err)
		}
	}
	state := func(t *testing.T) string {
		t.Helper()
		var out []string
		for _, tb := range []string{a, b} {
			for _, p := range scanAll(t, c, dynamodb.ScanInput{TableName: aws.String(tb), ConsistentRead: aws.Bool(true)}) {
				for _, it := range p.Items {
					out = append(out, render(t, it))
				}
			}
		}
		slices.Sort(out)
		return fmt.Sprint(out)
	}
	put := func(tb string, it item, cond string) types.TransactWriteItem {
		p := &types.Put{TableName: aws.String(tb), Item: it}
		if cond != "" {
			p.ConditionExpression = aws.String(cond)
		}
		return types.TransactWriteItem{Put: p}
	}
	for _, tc := range []struct {
		name    string
		items   []types.TransactWriteItem
		want    string   // the tables' items after
		reasons []string // cancellation reason codes when cancelled
		code    string   // other error
	}{
		{name: "put, update, delete and check across two tables",
			items: []types.TransactWriteItem{
				put(a, item{"pk": s("new"), "v": n("7")}, "attribute_not_exists(pk)"),
				{Update: &types.Update{TableName: aws.String(a), Key: item{"pk": s("x")}, UpdateExpression: aws.String("ADD v :one"),
					ExpressionAttributeValues: item{":one": n("1")}}},
				{Delete: &types.Delete{TableName: aws.String(a), Key: item{"pk": s("y")}}},
				put(b, item{"pk": s("p"), "sk": n("1")}, ""),
			},
			want: "[{pk=S:new,v=N:7} {pk=S:p,sk=N:1} {pk=S:x,v=N:2}]"},
		{name: "a failed check cancels every action",
			items: []types.TransactWriteItem{
				put(a, item{"pk": s("new"), "v": n("7")}, ""),
				{ConditionCheck: &types.ConditionCheck{TableName: aws.String(a), Key: item{"pk": s("y")}, ConditionExpression: aws.String("v = :two"),
					ExpressionAttributeValues: item{":two": n("2")}}},
			},
			reasons: []string{"None", "ConditionalCheckFailed"}},
		{name: "an update of a missing item whose condition needs it",
			items: []types.TransactWriteItem{
				{Update: &types.Update{TableName: aws.String(a), Key: item{"pk": s("z")}, UpdateExpression: aws.String("SET v = :one"),
					ConditionExpression: aws.String("attribute_exists(pk)"), ExpressionAttributeValues: item{":one": n("1")}}},
			},
			reasons: []string{"ConditionalCheckFailed"}},
		{name: "two actions on one item", code: "ValidationException",
			items: []types.TransactWriteItem{put(a, item{"pk": s("x")}, ""), {Delete: &types.Delete{TableName: aws.String(a), Key: item{"pk": s("x")}}}}},
		{name: "missing table", code: "ResourceNotFoundException",
			items: []types.TransactWriteItem{put("no-such-table", item{"pk": s("x")}, "")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed(t)
			before := state(t)
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tc.items})
			after := state(t)
			switch {
			case tc.reasons != nil:
				var tce *types.TransactionCanceledException
				if !errors.As(err, &tce) {
					t.Fatalf("got %v, want TransactionCanceledException", err)
				}
				var codes []string
				for _, r := range tce.CancellationReasons {
					codes = append(codes, aws.ToString(r.Code))
				}
				if !slices.Equal(codes, tc.reasons) {
					t.Errorf("reasons %v, want %v", codes, tc.reasons)
				}
				if after != before {
					t.Errorf("cancelled transaction changed the tables: %s, was %s", after, before)
				}
			case tc.code != "":
				wantAPIError(t, err, tc.code, "")
				if after != before {
					t.Errorf("rejected transaction changed the tables: %s, was %s", after, before)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if after != tc.want {
					t.Errorf("tables after %s, want %s", after, tc.want)
				}
			}
		})
	}

	t.Run("client request token", func(t *testing.T) {
		seed(t)
		in := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token-1"), TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(a), Key: item{"pk": s("x")}, UpdateExpression: aws.String("ADD v :one"),
				ExpressionAttributeValues: item{":one": n("1")}}}}}
		for range 2 {
			if _, err := c.TransactWriteItems(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(a), Key: item{"pk": s("x")}})
		if err != nil {
			t.Fatal(err)
		}
		if v := num(t, got.Item, "v"); v != "2" {
			t.Errorf("v = %s after a transaction sent twice with one token, want 2", v)
		}
		in.TransactItems[0].Update.ExpressionAttributeValues = item{":one": n("5")}
		_, err = c.TransactWriteItems(ctx, in)
		wantAPIError(t, err, "IdempotentParameterMismatchException", "")
	})

	t.Run("ALL_OLD on a failed condition", func(t *testing.T) {
		seed(t)
		p := put(a, item{"pk": s("x")}, "attribute_not_exists(pk)")
		p.Put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{p}})
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) || len(tce.CancellationReasons) != 1 {
			t.Fatalf("got %v, want one cancellation reason", err)
		}
		if got := render(t, tce.CancellationReasons[0].Item); got != "{pk=S:x,v=N:1}" {
			t.Errorf("reason's item %s", got)
		}
	})
}

func TestTransactGetItems(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	a := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	for _, it := range []item{{"pk": s("x"), "v": n("1"), "w": s("w")}, {"pk": s("y"), "v": n("2")}} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(a), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(k string, proj string) types.TransactGetItem {
		g := &types.Get{TableName: aws.String(a), Key: item{"pk": s(k)}}
		if proj != "" {
			g.ProjectionExpression = aws.String(proj)
		}
		return types.TransactGetItem{Get: g}
	}
	out, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{get("y", ""), get("missing", ""), get("x", "w")}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Responses {
		got = append(got, render(t, r.Item))
	}
	if want := []string{"{pk=S:y,v=N:2}", "{}", "{w=S:w}"}; !slices.Equal(got, want) {
		t.Errorf("responses %v, want %v", got, want)
	}
	_, err = c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{get("x", ""), get("x", "")}})
	wantAPIError(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item")
	_, err = c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{{Get: &types.Get{TableName: aws.String(a), Key: item{}}}}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 1 || aws.ToString(tce.CancellationReasons[0].Code) != "ValidationError" {
		t.Errorf("empty key: got %v, want a ValidationError cancellation", err)
	}
}
