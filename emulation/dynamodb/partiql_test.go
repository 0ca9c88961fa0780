package dynamodb_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestPartiQL(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, &keyDef{"sk", types.ScalarAttributeTypeN})
	q := func(s string) string { return fmt.Sprintf(s, table) }
	rows := func(items []item) string {
		var out []string
		for _, it := range items {
			out = append(out, render(t, it))
		}
		slices.Sort(out)
		return fmt.Sprint(out)
	}
	for _, tc := range []struct {
		name   string
		stmt   string
		params []types.AttributeValue
		want   string // SELECT's items, sorted
		code   string
	}{
		{name: "insert", stmt: q(`INSERT INTO "%s" VALUE {'pk': 'a', 'sk': 1, 'v': 'one', 'm': {'x': [1, 'two']}}`)},
		{name: "insert with parameters", stmt: q(`INSERT INTO "%s" VALUE {'pk': ?, 'sk': ?, 'v': ?}`), params: []types.AttributeValue{s("a"), n("2"), s("two")}},
		{name: "insert existing", stmt: q(`INSERT INTO "%s" VALUE {'pk': 'a', 'sk': 1}`), code: "DuplicateItemException"},
		{name: "select partition", stmt: q(`SELECT * FROM "%s" WHERE pk = 'a'`), want: "[{m={x=[N:1,S:two]},pk=S:a,sk=N:1,v=S:one} {pk=S:a,sk=N:2,v=S:two}]"},
		{name: "select with condition and projection", stmt: q(`SELECT v, m.x FROM "%s" WHERE pk = ? AND sk > 1`), params: []types.AttributeValue{s("a")},
			want: "[{v=S:two}]"},
		{name: "select nested path", stmt: q(`SELECT m.x FROM "%s" WHERE pk = 'a' AND sk = 1`), want: "[{x=[N:1,S:two]}]"},
		{name: "scan with function", stmt: q(`SELECT pk FROM "%s" WHERE begins_with(v, 'tw')`), want: "[{pk=S:a}]"},
		{name: "update", stmt: q(`UPDATE "%s" SET v = 'uno' SET w = 5 REMOVE m WHERE pk = 'a' AND sk = 1`)},
		{name: "after update", stmt: q(`SELECT * FROM "%s" WHERE pk = 'a' AND sk = 1`), want: "[{pk=S:a,sk=N:1,v=S:uno,w=N:5}]"},
		{name: "update of a missing item", stmt: q(`UPDATE "%s" SET v = 'x' WHERE pk = 'zz' AND sk = 1`), code: "ConditionalCheckFailedException"},
		{name: "update without the whole key", stmt: q(`UPDATE "%s" SET v = 'x' WHERE pk = 'a'`), code: "ValidationException"},
		{name: "delete", stmt: q(`DELETE FROM "%s" WHERE pk = 'a' AND sk = 2`)},
		{name: "after delete", stmt: q(`SELECT sk FROM "%s" WHERE pk = 'a'`), want: "[{sk=N:1}]"},
		{name: "syntax", stmt: q(`SELEKT * FROM "%s"`), code: "ValidationException"},
		{name: "missing table", stmt: `SELECT * FROM "no-such-table" WHERE pk = 'a'`, code: "ResourceNotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(tc.stmt), Parameters: tc.params})
			if tc.code != "" {
				wantAPIError(t, err, tc.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" {
				if got := rows(out.Items); got != tc.want {
					t.Errorf("items %s, want %s", got, tc.want)
				}
			}
		})
	}

	t.Run("batch", func(t *testing.T) {
		out, err := c.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
			{Statement: aws.String(q(`INSERT INTO "%s" VALUE {'pk': 'b', 'sk': 1}`))},
			{Statement: aws.String(q(`SELECT * FROM "%s" WHERE pk = 'a' AND sk = 1`))},
			{Statement: aws.String(`SELECT * FROM "no-such-table" WHERE pk = 'a' AND sk = 1`)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Responses) != 3 || out.Responses[0].Error != nil || render(t, out.Responses[1].Item) != "{pk=S:a,sk=N:1,v=S:uno,w=N:5}" ||
			out.Responses[2].Error == nil || out.Responses[2].Error.Code != types.BatchStatementErrorCodeEnumResourceNotFound {
			t.Errorf("responses %+v", out.Responses)
		}
	})

	t.Run("transaction", func(t *testing.T) {
		_, err := c.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
			{Statement: aws.String(q(`INSERT INTO "%s" VALUE {'pk': 'c', 'sk': 1}`))},
			{Statement: aws.String(q(`INSERT INTO "%s" VALUE {'pk': 'b', 'sk': 1}`))},
		}})
		wantAPIError(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [None, DuplicateItem]")
		got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item{"pk": s("c"), "sk": n("1")}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Item != nil {
			t.Errorf("cancelled transaction wrote %v", got.Item)
		}
	})
}
