package dynamodb_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation"
)

// TestExpressionChecks holds the expression cases where the emulator used
// to depart from DynamoDB: what it must accept, and what it must reject
// with DynamoDB's message.
func TestExpressionChecks(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	it := item{"pk": s("k"), "b": s("abc"), "c": l(s("c0"), s("c1"), s("c2"), s("c3")), "n": n("5"), "m": m(item{"x": s("y")}), "u": s("abÿ")}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatal(err)
	}
	key := item{"pk": s("k")}
	for _, tc := range []struct {
		name   string
		proj   string // a GetItem's ProjectionExpression, or
		cond   string // a DeleteItem's ConditionExpression (that must fail)
		names  map[string]string
		values item
		want   string // the item GetItem returns
		msg    string // the ValidationException's message
	}{
		{name: "list elements come back in list order", proj: "c[2], c[1]", want: "{c=[S:c1,S:c2]}"},
		{name: "nested and top-level paths", proj: "m.x, c[3], pk", want: "{c=[S:c3],m={x=S:y},pk=S:k}"},
		{name: "parenthesised size on the left", cond: "(size(b)) = :three AND n = :four", values: item{":three": n("3"), ":four": n("4")}},
		{name: "size counts UTF-16 units, not bytes", cond: "size(u) <> :three", values: item{":three": n("3")}},
		{name: "grouped path", cond: "(m).x <> :y", values: item{":y": s("y")}},
		{name: "grouped path in redundant parentheses", cond: "((m)).x <> :y", values: item{":y": s("y")},
			msg: "Invalid ConditionExpression: The expression has redundant parentheses;"},
		{name: "overlapping projection paths", proj: "b, b.c",
			msg: "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [b], path two: [b, c]"},
		{name: "conflicting projection paths", proj: "c[1], c.d",
			msg: "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [c, [1]], path two: [c, d]"},
		{name: "projection into a key", proj: "pk.x",
			msg: "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk"},
		{name: "same attribute on both sides", cond: "#a <> b", names: map[string]string{"#a": "b"},
			msg: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [b]"},
		{name: "begins_with a number", cond: "begins_with(b, :n)", values: item{":n": n("1")},
			msg: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{name: "BETWEEN bounds of two types", cond: "n BETWEEN :a AND :b", values: item{":a": n("1"), ":b": s("z")},
			msg: "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:z}"},
		{name: "BETWEEN bounds reversed", cond: "n BETWEEN :a AND :b", values: item{":a": n("9"), ":b": n("1")},
			msg: "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}"},
		{name: "redundant parentheses", cond: "((n = :a))", values: item{":a": n("1")},
			msg: "Invalid ConditionExpression: The expression has redundant parentheses;"},
		{name: "reserved word", cond: "size = :a", values: item{":a": n("1")},
			msg: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"},
		{name: "unknown function", cond: "nope(b)",
			msg: "Invalid ConditionExpression: Invalid function name; function: nope"},
		{name: "function as an operand", cond: "attribute_exists(b) = :a", values: item{":a": n("1")},
			msg: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{name: "syntax", cond: "n = = :a", values: item{":a": n("1")},
			msg: `Invalid ConditionExpression: Syntax error; token: "=", near: "= :a"`},
		{name: "undefined placeholder", cond: "n = :nope",
			msg: "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"},
		{name: "unused placeholder", cond: "n = :a", values: item{":a": n("1"), ":b": n("2")},
			msg: "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			var got item
			if tc.proj != "" {
				var out *dynamodb.GetItemOutput
				out, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key,
					ProjectionExpression: aws.String(tc.proj), ExpressionAttributeNames: tc.names})
				if err == nil {
					got = out.Item
				}
			} else {
				_, err = c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key,
					ConditionExpression: aws.String(tc.cond), ExpressionAttributeNames: tc.names, ExpressionAttributeValues: tc.values})
			}
			switch {
			case tc.msg != "":
				wantAPIError(t, err, "ValidationException", tc.msg)
			case tc.cond != "":
				// The condition is valid and false: the item stays.
				wantAPIError(t, err, "ConditionalCheckFailedException", "")
			case err != nil:
				t.Fatal(err)
			case render(t, got) != tc.want:
				t.Errorf("item %s, want %s", render(t, got), tc.want)
			}
		})
	}
}

// TestValidationOrder checks that a request's own errors are reported
// before the table is looked up, and all at once where DynamoDB lists them
// all.
func TestValidationOrder(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{name: "bad key value on a missing table", code: "ValidationException",
			msg: "One or more parameter values were invalid: An string set  may not be empty",
			call: func() error {
				_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: item{"pk": &types.AttributeValueMemberSS{Value: []string{}}}})
				return err
			}},
		{name: "bad expression on a missing table", code: "ValidationException",
			msg: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="`,
			call: func() error {
				_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("no-such-table"), Key: item{"pk": s("x")}, ConditionExpression: aws.String("a =")})
				return err
			}},
		{name: "every constraint at once", code: "ValidationException",
			msg: "3 validation errors detected: Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
				"Value 'MANY' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]; " +
				"Value 'SOME' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
			call: func() error {
				_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("no-such-table"), Item: item{"pk": s("x")},
					ReturnConsumedCapacity: "ALL", ReturnItemCollectionMetrics: "MANY", ReturnValues: "SOME"})
				return err
			}},
		{name: "then the table", code: "ResourceNotFoundException", msg: "Requested resource not found",
			call: func() error {
				_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: item{"pk": s("x")}})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.call(), tc.code, tc.msg)
		})
	}
}

// TestSerializationErrors sends malformed JSON bodies: the error names the
// problem as DynamoDB does and shows nothing of the emulator's insides.
func TestSerializationErrors(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	for _, tc := range []struct {
		name, target, body, want string
	}{
		{"string expected", "PutItem", `{"TableName": 5, "Item": {}}`, "NUMBER_VALUE cannot be converted to String"},
		{"map expected", "BatchWriteItem", `{"RequestItems": {"t": [{"PutRequest": {"Item": []}}]}}`,
			"Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"},
		{"list expected", "BatchWriteItem", `{"RequestItems": {"t": "x"}}`, "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')"},
		{"attribute value expected", "GetItem", `{"TableName": "t", "Key": {"a": "x"}}`, "Unexpected value type in payload"},
		{"long expected", "Scan", `{"TableName": "t", "Limit": "x"}`, "STRING_VALUE cannot be converted to Integer"},
		{"not JSON", "Scan", `{"TableName": `, "The request body is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+tc.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"Message"`
			}
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if resp.StatusCode != 400 || body.Type != "com.amazon.coral.service#SerializationException" || !strings.HasPrefix(body.Message, tc.want) {
				t.Errorf("got %d %s, want a SerializationException %q", resp.StatusCode, b, tc.want)
			}
			for _, inside := range []string{"Go ", "json:", "struct field", "emulation"} {
				if strings.Contains(body.Message, inside) {
					t.Errorf("message %q shows %q", body.Message, inside)
				}
			}
		})
	}
}
