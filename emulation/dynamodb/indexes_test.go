package dynamodb_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// indexedTable creates the table the tests of secondary indexes share:
// key (pk S, sk S); local indexes byLsk (pk, lsk S, ALL) and byLskKeys
// (pk, lsk, KEYS_ONLY); global indexes byG (g S, ALL) and byGN (g S, gn N,
// INCLUDE data).
func indexedTable(t testing.TB, c *dynamodb.Client) string {
	t.Helper()
	name := tableName(t)
	ks := func(h, r string) []types.KeySchemaElement {
		k := []types.KeySchemaElement{{AttributeName: aws.String(h), KeyType: types.KeyTypeHash}}
		if r != "" {
			k = append(k, types.KeySchemaElement{AttributeName: aws.String(r), KeyType: types.KeyTypeRange})
		}
		return k
	}
	_, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   ks("pk", "sk"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("lsk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("gn"), AttributeType: types.ScalarAttributeTypeN},
		},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{
			{IndexName: aws.String("byLsk"), KeySchema: ks("pk", "lsk"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}},
			{IndexName: aws.String("byLskKeys"), KeySchema: ks("pk", "lsk"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String("byG"), KeySchema: ks("g", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}},
			{IndexName: aws.String("byGN"), KeySchema: ks("g", "gn"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"data"}}},
		},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(c, fastTableExists).Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestSecondaryIndexes(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := indexedTable(t, c)
	// 30 items in 3 partitions; g cycles over 2 values; every 5th item
	// has no g (sparse in the global indexes).
	for i := range 30 {
		it := item{"pk": s(fmt.Sprintf("p%d", i%3)), "sk": s(fmt.Sprintf("s%02d", i)), "lsk": s(fmt.Sprintf("l%d", i%4)),
			"data": s(fmt.Sprint("d", i)), "other": n(fmt.Sprint(i))}
		if i%5 != 0 {
			it["g"], it["gn"] = s(fmt.Sprint("g", i%2)), n(fmt.Sprint(i))
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, ix := range desc.Table.GlobalSecondaryIndexes {
		counts[aws.ToString(ix.IndexName)] = aws.ToInt64(ix.ItemCount)
		if ix.IndexStatus != types.IndexStatusActive {
			t.Errorf("index %s is %s", aws.ToString(ix.IndexName), ix.IndexStatus)
		}
	}
	for _, ix := range desc.Table.LocalSecondaryIndexes {
		counts[aws.ToString(ix.IndexName)] = aws.ToInt64(ix.ItemCount)
	}
	if want := map[string]int64{"byLsk": 30, "byLskKeys": 30, "byG": 24, "byGN": 24}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("index item counts %v, want %v", counts, want)
	}

	queryAllPages := func(t *testing.T, in dynamodb.QueryInput) []item {
		t.Helper()
		var all []item
		for page := 0; ; page++ {
			out, err := c.Query(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.Items...)
			if out.LastEvaluatedKey == nil {
				return all
			}
			if page > 100 {
				t.Fatal("query does not end")
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	for _, tc := range []struct {
		name  string
		in    dynamodb.QueryInput
		count int
		attrs []string // attributes of the first item, sorted
		order string   // attribute that must ascend in the results
		desc  string   // attribute that must descend
	}{
		{name: "LSI equality", in: dynamodb.QueryInput{IndexName: aws.String("byLsk"), KeyConditionExpression: aws.String("pk = :p AND lsk = :l"),
			ExpressionAttributeValues: item{":p": s("p0"), ":l": s("l1")}}, count: 2, attrs: []string{"data", "g", "gn", "lsk", "other", "pk", "sk"}},
		{name: "LSI keys only, paged", in: dynamodb.QueryInput{IndexName: aws.String("byLskKeys"), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: item{":p": s("p1")}, Limit: aws.Int32(3)}, count: 10, attrs: []string{"lsk", "pk", "sk"}, order: "lsk"},
		{name: "LSI keys only, all attributes fetched from the table", in: dynamodb.QueryInput{IndexName: aws.String("byLskKeys"), KeyConditionExpression: aws.String("pk = :p AND begins_with(lsk, :l)"),
			ExpressionAttributeValues: item{":p": s("p1"), ":l": s("l1")}, Select: types.SelectAllAttributes}, count: 3, attrs: []string{"data", "g", "gn", "lsk", "other", "pk", "sk"}},
		{name: "GSI hash only, paged", in: dynamodb.QueryInput{IndexName: aws.String("byG"), KeyConditionExpression: aws.String("g = :g"),
			ExpressionAttributeValues: item{":g": s("g1")}, Limit: aws.Int32(4)}, count: 12},
		{name: "GSI range, include projection, backwards", in: dynamodb.QueryInput{IndexName: aws.String("byGN"), KeyConditionExpression: aws.String("g = :g AND gn BETWEEN :a AND :b"),
			ExpressionAttributeValues: item{":g": s("g0"), ":a": n("2"), ":b": n("12")}, ScanIndexForward: aws.Bool(false)}, count: 5, attrs: []string{"data", "g", "gn", "pk", "sk"}, desc: "gn"},
		{name: "GSI with filter", in: dynamodb.QueryInput{IndexName: aws.String("byGN"), KeyConditionExpression: aws.String("g = :g"),
			FilterExpression: aws.String("begins_with(#d, :d)"), ExpressionAttributeNames: map[string]string{"#d": "data"},
			ExpressionAttributeValues: item{":g": s("g1"), ":d": s("d1")}}, count: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TableName = aws.String(table)
			got := queryAllPages(t, in)
			if len(got) != tc.count {
				t.Fatalf("%d items, want %d", len(got), tc.count)
			}
			if tc.attrs != nil {
				if keys := sortedMapKeys(got[0]); !slices.Equal(keys, tc.attrs) {
					t.Errorf("attributes %v, want %v", keys, tc.attrs)
				}
			}
			if tc.desc != "" {
				for i := 1; i < len(got); i++ {
					a, _ := strconv.Atoi(num(t, got[i-1], tc.desc))
					b, _ := strconv.Atoi(num(t, got[i], tc.desc))
					if a < b {
						t.Fatalf("%s not descending at %d: %d then %d", tc.desc, i, a, b)
					}
				}
			}
			if tc.order != "" {
				for i := 1; i < len(got); i++ {
					if str(t, got[i-1], tc.order) > str(t, got[i], tc.order) {
						t.Fatalf("%s out of order at %d", tc.order, i)
					}
				}
			}
		})
	}

	t.Run("parallel scan of a GSI sees each item once", func(t *testing.T) {
		seen := map[string]int{}
		for seg := range 3 {
			for _, p := range scanAll(t, c, dynamodb.ScanInput{TableName: aws.String(table), IndexName: aws.String("byGN"),
				Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(3), Limit: aws.Int32(5)}) {
				for _, it := range p.Items {
					if _, ok := it["other"]; ok {
						t.Fatalf("attribute other is not projected into byGN: %v", it)
					}
					seen[str(t, it, "sk")]++
				}
			}
		}
		if len(seen) != 24 {
			t.Errorf("scan saw %d items, want 24", len(seen))
		}
		for k, v := range seen {
			if v != 1 {
				t.Errorf("%s seen %d times", k, v)
			}
		}
	})

	t.Run("writes move items between index partitions", func(t *testing.T) {
		key := item{"pk": s("p0"), "sk": s("s03")}
		if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key,
			UpdateExpression: aws.String("SET g = :g"), ExpressionAttributeValues: item{":g": s("moved")}}); err != nil {
			t.Fatal(err)
		}
		got := queryAllPages(t, dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("byG"),
			KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("moved")}})
		if len(got) != 1 || str(t, got[0], "sk") != "s03" {
			t.Fatalf("moved item not found under its new key: %v", got)
		}
		if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}); err != nil {
			t.Fatal(err)
		}
		got = queryAllPages(t, dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("byG"),
			KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("moved")}})
		if len(got) != 0 {
			t.Fatalf("deleted item still in the index: %v", got)
		}
	})

	for _, tc := range []struct {
		name, code, msg string
		put             item
		query           *dynamodb.QueryInput
	}{
		{name: "index key of the wrong type", code: "ValidationException",
			msg: "One or more parameter values were invalid: Type mismatch for Index Key gn Expected: N Actual: S IndexName: byGN",
			put: item{"pk": s("x"), "sk": s("y"), "gn": s("not a number")}},
		{name: "unknown index", code: "ValidationException", msg: "The table does not have the specified index: nope",
			query: &dynamodb.QueryInput{IndexName: aws.String("nope"), KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("g")}}},
		{name: "consistent read on a GSI", code: "ValidationException", msg: "Consistent reads are not supported on global secondary indexes",
			query: &dynamodb.QueryInput{IndexName: aws.String("byG"), ConsistentRead: aws.Bool(true), KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("g")}}},
		{name: "all attributes of an INCLUDE GSI", code: "ValidationException",
			msg:   "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byGN because its projection type is not ALL",
			query: &dynamodb.QueryInput{IndexName: aws.String("byGN"), Select: types.SelectAllAttributes, KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("g")}}},
		{name: "query the table's key on a GSI", code: "ValidationException", msg: "Query condition missed key schema element: g",
			query: &dynamodb.QueryInput{IndexName: aws.String("byG"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: item{":p": s("p0")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.put != nil {
				_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: tc.put})
			} else {
				in := *tc.query
				in.TableName = aws.String(table)
				_, err = c.Query(ctx, &in)
			}
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
}

func TestCreateTableIndexValidation(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	def := func(names ...string) []types.AttributeDefinition {
		var out []types.AttributeDefinition
		for _, n := range names {
			out = append(out, types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS})
		}
		return out
	}
	hash := func(n string) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(n), KeyType: types.KeyTypeHash}
	}
	rng := func(n string) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(n), KeyType: types.KeyTypeRange}
	}
	all := &types.Projection{ProjectionType: types.ProjectionTypeAll}
	for _, tc := range []struct {
		name string
		in   dynamodb.CreateTableInput
		msg  string
	}{
		{name: "LSI on a hash-only table", in: dynamodb.CreateTableInput{AttributeDefinitions: def("pk", "l"), KeySchema: []types.KeySchemaElement{hash("pk")},
			LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"), KeySchema: []types.KeySchemaElement{hash("pk"), rng("l")}, Projection: all}}},
			msg: "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{name: "LSI with another hash key", in: dynamodb.CreateTableInput{AttributeDefinitions: def("pk", "sk", "o", "l"), KeySchema: []types.KeySchemaElement{hash("pk"), rng("sk")},
			LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"), KeySchema: []types.KeySchemaElement{hash("o"), rng("l")}, Projection: all}}},
			msg: "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi. index hash key: o, table hash key: pk"},
		{name: "duplicate index names", in: dynamodb.CreateTableInput{AttributeDefinitions: def("pk", "a", "b"), KeySchema: []types.KeySchemaElement{hash("pk")},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
				{IndexName: aws.String("same"), KeySchema: []types.KeySchemaElement{hash("a")}, Projection: all},
				{IndexName: aws.String("same"), KeySchema: []types.KeySchemaElement{hash("b")}, Projection: all}}},
			msg: "One or more parameter values were invalid: Duplicate index name: same"},
		{name: "undefined index key", in: dynamodb.CreateTableInput{AttributeDefinitions: def("pk", "a"), KeySchema: []types.KeySchemaElement{hash("pk")},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("gsi"), KeySchema: []types.KeySchemaElement{hash("zz")}, Projection: all}}},
			msg: "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [zz], AttributeDefinitions: [pk, a]"},
		{name: "NonKeyAttributes with ALL", in: dynamodb.CreateTableInput{AttributeDefinitions: def("pk", "a"), KeySchema: []types.KeySchemaElement{hash("pk")},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("gsi"), KeySchema: []types.KeySchemaElement{hash("a")},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll, NonKeyAttributes: []string{"x"}}}}},
			msg: "One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes is specified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TableName = aws.String(tableName(t))
			in.BillingMode = types.BillingModePayPerRequest
			_, err := c.CreateTable(t.Context(), &in)
			wantAPIError(t, err, "ValidationException", tc.msg)
		})
	}
}

func TestUpdateTableGlobalIndexes(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	for i := range 10 {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table),
			Item: item{"pk": s(fmt.Sprint(i)), "g": s(fmt.Sprint("g", i%2))}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("byG"), KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}}})
	if err != nil {
		t.Fatalf("add index: %v", err)
	}
	out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("byG"),
		KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("g1")}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 5 {
		t.Errorf("new index holds %d items of g1, want the 5 written before it existed", out.Count)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byG")}}}})
	if err != nil {
		t.Fatalf("delete index: %v", err)
	}
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("byG"),
		KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("g1")}})
	wantAPIError(t, err, "ValidationException", "The table does not have the specified index: byG")
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byG")}}}})
	wantAPIError(t, err, "ResourceNotFoundException", "")

	for _, tc := range []struct {
		name  string
		in    dynamodb.UpdateTableInput
		check func(t *testing.T, d *types.TableDescription)
		code  string
	}{
		{name: "to provisioned", in: dynamodb.UpdateTableInput{BillingMode: types.BillingModeProvisioned,
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(4)}},
			check: func(t *testing.T, d *types.TableDescription) {
				if aws.ToInt64(d.ProvisionedThroughput.ReadCapacityUnits) != 3 || d.BillingModeSummary.BillingMode != types.BillingModeProvisioned {
					t.Errorf("throughput %+v billing %+v", d.ProvisionedThroughput, d.BillingModeSummary)
				}
			}},
		{name: "same throughput", in: dynamodb.UpdateTableInput{ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(4)}},
			code: "ValidationException"},
		{name: "back to on demand", in: dynamodb.UpdateTableInput{BillingMode: types.BillingModePayPerRequest},
			check: func(t *testing.T, d *types.TableDescription) {
				if d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
					t.Errorf("billing %+v", d.BillingModeSummary)
				}
			}},
		{name: "throughput on demand", in: dynamodb.UpdateTableInput{ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(4)}},
			code: "ValidationException"},
		{name: "nothing to do", code: "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TableName = aws.String(table)
			_, err := c.UpdateTable(ctx, &in)
			if tc.code != "" {
				wantAPIError(t, err, tc.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, d.Table)
		})
	}
}
