package dynamodb_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The legacy parameters older SDK code still sends.
func TestLegacyParameters(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, &keyDef{"sk", types.ScalarAttributeTypeN})
	for i := range 6 {
		it := item{"pk": s("p"), "sk": n(fmt.Sprint(i)), "v": n(fmt.Sprint(i * 10)), "tag": s(fmt.Sprint("t", i%2))}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	sks := func(items []item) []string {
		var out []string
		for _, it := range items {
			out = append(out, num(t, it, "sk"))
		}
		return out
	}
	cond := func(op types.ComparisonOperator, vs ...types.AttributeValue) types.Condition {
		return types.Condition{ComparisonOperator: op, AttributeValueList: vs}
	}
	t.Run("KeyConditions, QueryFilter, AttributesToGet", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			in     dynamodb.QueryInput
			want   []string
			fields []string
		}{
			{name: "BETWEEN on the sort key", in: dynamodb.QueryInput{KeyConditions: map[string]types.Condition{
				"pk": cond(types.ComparisonOperatorEq, s("p")), "sk": cond(types.ComparisonOperatorBetween, n("1"), n("3"))}},
				want: []string{"1", "2", "3"}},
			{name: "filter with OR", in: dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": cond(types.ComparisonOperatorEq, s("p"))},
				QueryFilter:         map[string]types.Condition{"v": cond(types.ComparisonOperatorGe, n("40")), "tag": cond(types.ComparisonOperatorEq, s("t1"))},
				ConditionalOperator: types.ConditionalOperatorOr}, want: []string{"1", "3", "4", "5"}},
			{name: "filter with AND", in: dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": cond(types.ComparisonOperatorEq, s("p"))},
				QueryFilter: map[string]types.Condition{"v": cond(types.ComparisonOperatorGe, n("40")), "tag": cond(types.ComparisonOperatorEq, s("t1"))}},
				want: []string{"5"}},
			{name: "AttributesToGet", in: dynamodb.QueryInput{KeyConditions: map[string]types.Condition{
				"pk": cond(types.ComparisonOperatorEq, s("p")), "sk": cond(types.ComparisonOperatorLt, n("1"))}, AttributesToGet: []string{"sk", "tag"}},
				want: []string{"0"}, fields: []string{"sk", "tag"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.TableName = aws.String(table)
				out, err := c.Query(ctx, &in)
				if err != nil {
					t.Fatal(err)
				}
				if got := sks(out.Items); !slices.Equal(got, tc.want) {
					t.Errorf("sort keys %v, want %v", got, tc.want)
				}
				if tc.fields != nil && !slices.Equal(sortedMapKeys(out.Items[0]), tc.fields) {
					t.Errorf("attributes %v, want %v", sortedMapKeys(out.Items[0]), tc.fields)
				}
			})
		}
	})
	t.Run("ScanFilter", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			filter map[string]types.Condition
			want   []string
		}{
			{"IN", map[string]types.Condition{"v": cond(types.ComparisonOperatorIn, n("10"), n("30"), n("99"))}, []string{"1", "3"}},
			{"NOT_NULL and BEGINS_WITH", map[string]types.Condition{"tag": cond(types.ComparisonOperatorBeginsWith, s("t0")), "v": cond(types.ComparisonOperatorNotNull)}, []string{"0", "2", "4"}},
			{"NULL", map[string]types.Condition{"missing": cond(types.ComparisonOperatorNull)}, []string{"0", "1", "2", "3", "4", "5"}},
			{"NE", map[string]types.Condition{"tag": cond(types.ComparisonOperatorNe, s("t0"))}, []string{"1", "3", "5"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ScanFilter: tc.filter})
				if err != nil {
					t.Fatal(err)
				}
				got := sks(out.Items)
				slices.Sort(got)
				if !slices.Equal(got, tc.want) {
					t.Errorf("sort keys %v, want %v", got, tc.want)
				}
			})
		}
	})
	t.Run("Expected and AttributeUpdates", func(t *testing.T) {
		key := item{"pk": s("p"), "sk": n("0")}
		for _, tc := range []struct {
			name     string
			expected map[string]types.ExpectedAttributeValue
			updates  map[string]types.AttributeValueUpdate
			want     string
			code     string
		}{
			{name: "Exists false fails", expected: map[string]types.ExpectedAttributeValue{"v": {Exists: aws.Bool(false)}},
				updates: map[string]types.AttributeValueUpdate{"v": {Action: types.AttributeActionPut, Value: n("1")}}, code: "ConditionalCheckFailedException"},
			{name: "Value matches", expected: map[string]types.ExpectedAttributeValue{"v": {Value: n("0")}},
				updates: map[string]types.AttributeValueUpdate{"v": {Action: types.AttributeActionAdd, Value: n("5")}, "tag": {Action: types.AttributeActionDelete}},
				want:    "{pk=S:p,sk=N:0,v=N:5}"},
			{name: "ComparisonOperator", expected: map[string]types.ExpectedAttributeValue{"v": {ComparisonOperator: types.ComparisonOperatorGt, AttributeValueList: []types.AttributeValue{n("1")}}},
				updates: map[string]types.AttributeValueUpdate{"l": {Action: types.AttributeActionAdd, Value: l(s("a"))}, "s": {Action: types.AttributeActionAdd, Value: ss("x")}},
				want:    "{l=[S:a],pk=S:p,s=SS[x],sk=N:0,v=N:5}"},
			{name: "Value with Exists false", expected: map[string]types.ExpectedAttributeValue{"v": {Exists: aws.Bool(false), Value: n("1")}},
				updates: map[string]types.AttributeValueUpdate{"v": {Action: types.AttributeActionPut, Value: n("1")}}, code: "ValidationException"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key, Expected: tc.expected, AttributeUpdates: tc.updates})
				if tc.code != "" {
					wantAPIError(t, err, tc.code, "")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key})
				if err != nil {
					t.Fatal(err)
				}
				if r := render(t, got.Item); r != tc.want {
					t.Errorf("item %s, want %s", r, tc.want)
				}
			})
		}
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key,
			Expected: map[string]types.ExpectedAttributeValue{"pk": {Exists: aws.Bool(false)}}, ConditionExpression: aws.String("attribute_not_exists(pk)")})
		wantAPIError(t, err, "ValidationException", "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")
	})
}
