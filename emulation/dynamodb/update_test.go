package dynamodb_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation"
)

// item is shorthand for an item or key.
type item = map[string]types.AttributeValue

// embedded returns a client of a fresh embedded emulator.
func embedded(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(emulation.NewTestServer(t).Config())
}

func l(vs ...types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberL{Value: vs}
}
func m(it item) types.AttributeValue       { return &types.AttributeValueMemberM{Value: it} }
func ss(vs ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: vs} }

// render writes an item in the wire form, for comparisons.
func render(t testing.TB, it item) string {
	t.Helper()
	var b []byte
	var walk func(v types.AttributeValue)
	walk = func(v types.AttributeValue) {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			b = append(b, "S:"+x.Value...)
		case *types.AttributeValueMemberN:
			b = append(b, "N:"+x.Value...)
		case *types.AttributeValueMemberBOOL:
			if x.Value {
				b = append(b, "true"...)
			} else {
				b = append(b, "false"...)
			}
		case *types.AttributeValueMemberNULL:
			b = append(b, "null"...)
		case *types.AttributeValueMemberSS:
			b = append(b, "SS"...)
			b = append(b, sortedJoin(x.Value)...)
		case *types.AttributeValueMemberNS:
			b = append(b, "NS"...)
			b = append(b, sortedJoin(x.Value)...)
		case *types.AttributeValueMemberL:
			b = append(b, '[')
			for i, e := range x.Value {
				if i > 0 {
					b = append(b, ',')
				}
				walk(e)
			}
			b = append(b, ']')
		case *types.AttributeValueMemberM:
			b = append(b, render(t, x.Value)...)
		default:
			t.Fatalf("render: unexpected %T", v)
		}
	}
	b = append(b, '{')
	for i, k := range sortedMapKeys(it) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, k+"="...)
		walk(it[k])
	}
	return string(append(b, '}'))
}

func TestUpdateItem(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	cases := []struct {
		name    string
		before  item // nil: no item
		expr    string
		names   map[string]string
		values  item
		cond    string
		rv      types.ReturnValue
		want    string // the item after, rendered
		wantRet string // Attributes returned, rendered ("" for none)
		wantErr string // error code, and the item stays as before
		wantMsg string
	}{
		{name: "set creates the item", expr: "SET a = :v", values: item{":v": s("x")},
			want: "{a=S:x,pk=S:k}"},
		{name: "set replaces", before: item{"a": s("x")}, expr: "SET a = :v", values: item{":v": s("y")},
			want: "{a=S:y,pk=S:k}"},
		{name: "arithmetic", before: item{"n": n("10")}, expr: "SET n = n + :i, o = :i - n", values: item{":i": n("2.5")},
			want: "{n=N:12.5,o=N:-7.5,pk=S:k}"},
		{name: "if_not_exists", before: item{"a": s("keep")}, expr: "SET a = if_not_exists(a, :d), b = if_not_exists(b, a)", values: item{":d": s("d")},
			want: "{a=S:keep,b=S:keep,pk=S:k}"},
		{name: "list_append", before: item{"l": l(s("a"))}, expr: "SET l = list_append(:p, l)", values: item{":p": l(s("z"))},
			want: "{l=[S:z,S:a],pk=S:k}"},
		{name: "list index past the end appends", before: item{"l": l(s("a"))}, expr: "SET l[9] = :v", values: item{":v": s("b")},
			want: "{l=[S:a,S:b],pk=S:k}"},
		{name: "nested map", before: item{"m": m(item{"x": n("1")})}, expr: "SET m.y = m.x", want: "{m={x=N:1,y=N:1},pk=S:k}"},
		{name: "remove list elements by their old indexes", before: item{"l": l(s("a"), s("b"), s("c"), s("d"))}, expr: "REMOVE l[0], l[2]",
			want: "{l=[S:b,S:d],pk=S:k}"},
		{name: "remove missing attribute", before: item{"a": s("x")}, expr: "REMOVE b, a", want: "{pk=S:k}"},
		{name: "add number and set", before: item{"n": n("1"), "s": ss("a")}, expr: "ADD n :one, s :more, fresh :one",
			values: item{":one": n("1"), ":more": ss("a", "b")}, want: "{fresh=N:1,n=N:2,pk=S:k,s=SS[a b]}"},
		{name: "delete from set, empty set removed", before: item{"s": ss("a", "b"), "t": ss("a")}, expr: "DELETE s :a, t :a",
			values: item{":a": ss("a")}, want: "{pk=S:k,s=SS[b]}"},
		{name: "condition holds", before: item{"v": n("1")}, expr: "SET v = :two", cond: "v = :one", values: item{":one": n("1"), ":two": n("2")},
			want: "{pk=S:k,v=N:2}"},
		{name: "condition fails", before: item{"v": n("1")}, expr: "SET v = :two", cond: "v = :two", values: item{":two": n("2")},
			wantErr: "ConditionalCheckFailedException", wantMsg: "The conditional request failed"},
		{name: "ALL_OLD", before: item{"a": s("x"), "b": s("y")}, expr: "SET a = :v", values: item{":v": s("z")}, rv: types.ReturnValueAllOld,
			want: "{a=S:z,b=S:y,pk=S:k}", wantRet: "{a=S:x,b=S:y,pk=S:k}"},
		{name: "ALL_NEW", before: item{"a": s("x")}, expr: "REMOVE a SET b = :v", values: item{":v": s("z")}, rv: types.ReturnValueAllNew,
			want: "{b=S:z,pk=S:k}", wantRet: "{b=S:z,pk=S:k}"},
		{name: "UPDATED_OLD", before: item{"a": s("x"), "b": s("y")}, expr: "SET a = :v", values: item{":v": s("z")}, rv: types.ReturnValueUpdatedOld,
			want: "{a=S:z,b=S:y,pk=S:k}", wantRet: "{a=S:x}"},
		{name: "UPDATED_NEW", before: item{"a": s("x"), "b": s("y")}, expr: "SET a = :v", values: item{":v": s("z")}, rv: types.ReturnValueUpdatedNew,
			want: "{a=S:z,b=S:y,pk=S:k}", wantRet: "{a=S:z}"},
		{name: "key attribute", before: item{"a": s("x")}, expr: "SET pk = :v", values: item{":v": s("z")},
			wantErr: "ValidationException", wantMsg: "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"},
		{name: "missing intermediate map", before: item{"a": s("x")}, expr: "SET m.x = :v", values: item{":v": s("z")},
			wantErr: "ValidationException", wantMsg: "The document path provided in the update expression is invalid for update"},
		{name: "operand type", before: item{"a": s("x")}, expr: "SET b = a + :v", values: item{":v": n("1")},
			wantErr: "ValidationException", wantMsg: "An operand in the update expression has an incorrect data type"},
		{name: "missing operand", before: item{"a": s("x")}, expr: "SET b = c",
			wantErr: "ValidationException", wantMsg: "The provided expression refers to an attribute that does not exist in the item"},
		{name: "overlapping paths", before: item{"a": s("x")}, expr: "SET a = :v REMOVE a.b", values: item{":v": s("z")},
			wantErr: "ValidationException", wantMsg: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{name: "section twice", before: item{"a": s("x")}, expr: "SET a = :v SET b = :v", values: item{":v": s("z")},
			wantErr: "ValidationException", wantMsg: `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{name: "ADD a string", before: item{"a": s("x")}, expr: "ADD a :v", values: item{":v": s("z")},
			wantErr: "ValidationException", wantMsg: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
		{name: "syntax", before: item{"a": s("x")}, expr: "SET a = ", wantErr: "ValidationException",
			wantMsg: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "="`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := item{"pk": s("k")}
			if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}); err != nil {
				t.Fatal(err)
			}
			before := ""
			if tc.before != nil {
				it := item{"pk": s("k")}
				for k, v := range tc.before {
					it[k] = v
				}
				if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
					t.Fatal(err)
				}
				before = render(t, it)
			}
			in := &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key, UpdateExpression: aws.String(tc.expr),
				ExpressionAttributeNames: tc.names, ExpressionAttributeValues: tc.values, ReturnValues: tc.rv}
			if tc.cond != "" {
				in.ConditionExpression = aws.String(tc.cond)
			}
			out, err := c.UpdateItem(ctx, in)
			after := ""
			if got, gerr := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)}); gerr != nil {
				t.Fatal(gerr)
			} else if got.Item != nil {
				after = render(t, got.Item)
			}
			if tc.wantErr != "" {
				wantAPIError(t, err, tc.wantErr, tc.wantMsg)
				if after != before {
					t.Errorf("item changed by a failed update: %s, was %s", after, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if after != tc.want {
				t.Errorf("item after update %s, want %s", after, tc.want)
			}
			ret := ""
			if out.Attributes != nil {
				ret = render(t, out.Attributes)
			}
			if ret != tc.wantRet {
				t.Errorf("Attributes %q, want %q", ret, tc.wantRet)
			}
		})
	}
}

// TestUpdateItemCounterIsAtomic increments one counter from many
// goroutines: no increment is lost.
func TestUpdateItemCounterIsAtomic(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	const workers, each = 8, 25
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range each {
				if _, err := c.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(table),
					Key: item{"pk": s("counter")}, UpdateExpression: aws.String("ADD n :one"),
					ExpressionAttributeValues: item{":one": n("1")}}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: item{"pk": s("counter")}})
	if err != nil {
		t.Fatal(err)
	}
	if v := num(t, got.Item, "n"); v != "200" {
		t.Errorf("counter %s after %d increments", v, workers*each)
	}
}
