package dynamodb_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The scenario runs every case against the embedded emulator and against
// dynalite (when DYNALITE_ENDPOINT is set), so that the emulator is checked
// against an independent implementation. Where dynalite departs from AWS's
// documentation, the test follows AWS and skips only that assertion for
// dynalite, saying why.

func TestTables(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		c, ctx := tg.client, t.Context()
		name := tableName(t)
		created, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("userId"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("movieId"), KeyType: types.KeyTypeRange},
			},
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String("userId"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("movieId"), AttributeType: types.ScalarAttributeTypeN},
			},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)},
		})
		if err != nil {
			t.Fatalf("create table: %v", err)
		}
		d := created.TableDescription
		if d.TableStatus != types.TableStatusCreating {
			t.Errorf("CreateTable status %q, want CREATING", d.TableStatus)
		}
		if aws.ToString(d.TableName) != name || !strings.HasSuffix(aws.ToString(d.TableArn), ":table/"+name) {
			t.Errorf("CreateTable name %q arn %q", aws.ToString(d.TableName), aws.ToString(d.TableArn))
		}
		if got := aws.ToInt64(d.ProvisionedThroughput.WriteCapacityUnits); got != 7 {
			t.Errorf("WriteCapacityUnits %d, want 7", got)
		}

		_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(name),
			BillingMode:          types.BillingModePayPerRequest,
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("x"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("x"), AttributeType: types.ScalarAttributeTypeS}},
		})
		// AWS says "Table already exists: NAME"; dynalite sends an empty message.
		msg := "Table already exists: " + name
		if tg.dynalite {
			msg = ""
		}
		wantAPIError(t, err, "ResourceInUseException", msg)

		if err := dynamodb.NewTableExistsWaiter(c, fastTableExists).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
			t.Fatalf("TableExistsWaiter: %v", err)
		}
		desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if desc.Table.TableStatus != types.TableStatusActive {
			t.Errorf("status after waiter %q, want ACTIVE", desc.Table.TableStatus)
		}
		ks := desc.Table.KeySchema
		if len(ks) != 2 || aws.ToString(ks[0].AttributeName) != "userId" || ks[0].KeyType != types.KeyTypeHash ||
			aws.ToString(ks[1].AttributeName) != "movieId" || ks[1].KeyType != types.KeyTypeRange {
			t.Errorf("key schema %+v", ks)
		}

		// A second table, to page ListTables across both.
		other := createTable(t, c, keyDef{"id", types.ScalarAttributeTypeS}, nil)
		var listed []string
		var start *string
		for range 1000 {
			out, err := c.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1), ExclusiveStartTableName: start})
			if err != nil {
				t.Fatalf("list tables: %v", err)
			}
			if len(out.TableNames) > 1 {
				t.Fatalf("ListTables with Limit 1 returned %d names", len(out.TableNames))
			}
			listed = append(listed, out.TableNames...)
			if out.LastEvaluatedTableName == nil {
				break
			}
			start = out.LastEvaluatedTableName
		}
		if !slices.Contains(listed, name) || !slices.Contains(listed, other) || !slices.IsSorted(listed) {
			t.Errorf("paged ListTables %v: want both %s and %s, sorted", listed, name, other)
		}

		del, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("delete table: %v", err)
		}
		if del.TableDescription.TableStatus != types.TableStatusDeleting {
			t.Errorf("DeleteTable status %q, want DELETING", del.TableDescription.TableStatus)
		}
		if err := dynamodb.NewTableNotExistsWaiter(c, fastTableNotExists).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
			t.Fatalf("TableNotExistsWaiter: %v", err)
		}
		_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: "+name+" not found")
		_, err = c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		wantAPIError(t, err, "ResourceNotFoundException", "")
	})
}

func TestItems(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		c, ctx := tg.client, t.Context()
		table := createTable(t, c, keyDef{"Id", types.ScalarAttributeTypeS}, nil)
		item := map[string]types.AttributeValue{
			"Id":     s("123X456"),
			"rating": n("03.50"),
			"big":    n("1E+3"),
			"neg":    n("-0.0100"),
			"bin":    &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 255}},
			"ok":     &types.AttributeValueMemberBOOL{Value: true},
			"nil":    &types.AttributeValueMemberNULL{Value: true},
			"tags":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
			"nums":   &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
			"bins":   &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
			"list":   &types.AttributeValueMemberL{Value: []types.AttributeValue{s("x"), n("1"), &types.AttributeValueMemberL{Value: []types.AttributeValue{}}}},
			"map":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": s("v"), "e": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}},
			"text":   s("quote \" backslash \\ newline \n unicode é 日本"),
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatalf("put: %v", err)
		}
		got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"Id": s("123X456")}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		it := got.Item
		if len(it) != len(item) {
			t.Fatalf("got %d attributes, want %d: %v", len(it), len(item), it)
		}
		// Numbers come back without leading or trailing zeros and exponents.
		for name, want := range map[string]string{"rating": "3.5", "big": "1000", "neg": "-0.01"} {
			if got := num(t, it, name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if got := str(t, it, "text"); got != "quote \" backslash \\ newline \n unicode é 日本" {
			t.Errorf("text = %q", got)
		}
		if b := it["bin"].(*types.AttributeValueMemberB).Value; !bytes.Equal(b, []byte{0, 1, 2, 255}) {
			t.Errorf("bin = %v", b)
		}
		if !it["ok"].(*types.AttributeValueMemberBOOL).Value || !it["nil"].(*types.AttributeValueMemberNULL).Value {
			t.Errorf("ok/nil = %v/%v", it["ok"], it["nil"])
		}
		if ss := it["tags"].(*types.AttributeValueMemberSS).Value; !sameElems(ss, []string{"a", "b"}) {
			t.Errorf("tags = %v", ss)
		}
		if ns := it["nums"].(*types.AttributeValueMemberNS).Value; !sameElems(ns, []string{"1", "2.5"}) {
			t.Errorf("nums = %v", ns)
		}
		if bs := it["bins"].(*types.AttributeValueMemberBS).Value; len(bs) != 2 {
			t.Errorf("bins = %v", bs)
		}
		l := it["list"].(*types.AttributeValueMemberL).Value
		if len(l) != 3 || str(t, map[string]types.AttributeValue{"x": l[0]}, "x") != "x" || len(l[2].(*types.AttributeValueMemberL).Value) != 0 {
			t.Errorf("list = %#v", l)
		}
		m := it["map"].(*types.AttributeValueMemberM).Value
		if str(t, m, "k") != "v" || len(m["e"].(*types.AttributeValueMemberM).Value) != 0 {
			t.Errorf("map = %#v", m)
		}

		proj, err := c.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(table), Key: map[string]types.AttributeValue{"Id": s("123X456")},
			ProjectionExpression:     aws.String("#r, #m.k, #l[1]"),
			ExpressionAttributeNames: map[string]string{"#r": "rating", "#m": "map", "#l": "list"},
		})
		if err != nil {
			t.Fatalf("get with projection: %v", err)
		}
		if len(proj.Item) != 3 || num(t, proj.Item, "rating") != "3.5" {
			t.Errorf("projected item %v, want rating, map and list", proj.Item)
		}
		if pm := proj.Item["map"].(*types.AttributeValueMemberM).Value; len(pm) != 1 || str(t, pm, "k") != "v" {
			t.Errorf("projected map %v", pm)
		}
		if pl := proj.Item["list"].(*types.AttributeValueMemberL).Value; len(pl) != 1 || num(t, map[string]types.AttributeValue{"x": pl[0]}, "x") != "1" {
			t.Errorf("projected list %v", pl)
		}

		top, err := c.Scan(ctx, &dynamodb.ScanInput{
			TableName: aws.String(table), ProjectionExpression: aws.String("Id, #r, absent"),
			ExpressionAttributeNames: map[string]string{"#r": "rating"},
		})
		if err != nil {
			t.Fatalf("scan with projection: %v", err)
		}
		if len(top.Items) != 1 || len(top.Items[0]) != 2 || str(t, top.Items[0], "Id") != "123X456" || num(t, top.Items[0], "rating") != "3.5" {
			t.Errorf("projected scan %v, want Id and rating", top.Items)
		}

		missing, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"Id": s("nope")}})
		if err != nil || missing.Item != nil {
			t.Errorf("get missing = %v, %v; want no item", missing.Item, err)
		}

		// Conditions: attribute_not_exists guards an overwrite.
		_, err = c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table), Item: map[string]types.AttributeValue{"Id": s("123X456")},
			ConditionExpression: aws.String("attribute_not_exists(Id)"),
		})
		wantAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
		_, err = c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table), Item: map[string]types.AttributeValue{"Id": s("new")},
			ConditionExpression: aws.String("attribute_not_exists(Id)"),
		})
		if err != nil {
			t.Errorf("conditional put of a new item: %v", err)
		}

		old, err := c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table), Item: map[string]types.AttributeValue{"Id": s("123X456"), "rating": n("4")},
			ReturnValues:              types.ReturnValueAllOld,
			ConditionExpression:       aws.String("#r = :old"),
			ExpressionAttributeNames:  map[string]string{"#r": "rating"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":old": n("3.5")},
		})
		if err != nil {
			t.Fatalf("overwrite: %v", err)
		}
		if len(old.Attributes) != len(item) || num(t, old.Attributes, "rating") != "3.5" {
			t.Errorf("ALL_OLD attributes %v", old.Attributes)
		}

		del, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(table), Key: map[string]types.AttributeValue{"Id": s("123X456")}, ReturnValues: types.ReturnValueAllOld,
		})
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		if len(del.Attributes) != 2 || num(t, del.Attributes, "rating") != "4" {
			t.Errorf("deleted attributes %v", del.Attributes)
		}
		after, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"Id": s("123X456")}})
		if err != nil || after.Item != nil {
			t.Errorf("get after delete = %v, %v; want no item", after.Item, err)
		}
		// Deleting what is not there succeeds.
		if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"Id": s("123X456")}}); err != nil {
			t.Errorf("delete missing: %v", err)
		}

		bg, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			table: {Keys: []map[string]types.AttributeValue{{"Id": s("new")}, {"Id": s("123X456")}}},
		}})
		if err != nil {
			t.Fatalf("batch get: %v", err)
		}
		if r := bg.Responses[table]; len(r) != 1 || str(t, r[0], "Id") != "new" {
			t.Errorf("batch get responses %v", bg.Responses)
		}
	})
}

func sameElems(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestBatchWriteThenParallelScan(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		c := tg.client
		table := createTable(t, c, keyDef{"Id", types.ScalarAttributeTypeS}, nil)
		const total = 10000
		items := make([]map[string]types.AttributeValue, total)
		for i := range items {
			items[i] = ratingItem(i)
		}
		writeAll(t, c, table, items, 4)

		const segments = 4
		seen := map[string]int{}
		for seg := range segments {
			pages := scanAll(t, c, dynamodb.ScanInput{TableName: aws.String(table), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(segments), Limit: aws.Int32(1000)})
			n := 0
			for _, p := range pages {
				for _, it := range p.Items {
					seen[str(t, it, "Id")]++
					n++
				}
			}
			// Each segment holds about a quarter of the items.
			if n < total/segments/2 || n > total/segments*2 {
				t.Errorf("segment %d returned %d items, want about %d", seg, n, total/segments)
			}
		}
		if len(seen) != total {
			t.Errorf("parallel scan saw %d distinct items, want %d", len(seen), total)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("item %s returned %d times", id, k)
			}
		}
		for i := range total {
			if _, ok := seen[fmt.Sprintf("%dX%d", i%1000+1, i)]; !ok {
				t.Fatalf("item %d missing from the parallel scan", i)
			}
		}
	})
}

// ratingItem is a MovieLens rating as the DMS load writes it.
func ratingItem(i int) map[string]types.AttributeValue {
	user, movie := i%1000+1, i
	return map[string]types.AttributeValue{
		"Id":          s(fmt.Sprintf("%dX%d", user, movie)),
		"userId":      s(fmt.Sprint(user)),
		"movieId":     s(fmt.Sprint(movie)),
		"rating":      s(fmt.Sprintf("%d.%d", i%5+1, i%2*5)),
		"timestamp_c": s(fmt.Sprint(1112484727 + i)),
	}
}

func TestScanPagesAtOneMegabyte(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		c := tg.client
		table := createTable(t, c, keyDef{"id", types.ScalarAttributeTypeS}, nil)
		const total, blob = 300, 10000
		items := make([]map[string]types.AttributeValue, total)
		for i := range items {
			items[i] = map[string]types.AttributeValue{"id": s(fmt.Sprintf("i%05d", i)), "blob": s(strings.Repeat("x", blob))}
		}
		writeAll(t, c, table, items, 2)
		// Each item is 2+6 + 4+10000 bytes as DynamoDB sizes it.
		const size = 2 + 6 + 4 + blob
		pages := scanAll(t, c, dynamodb.ScanInput{TableName: aws.String(table)})
		seen := map[string]bool{}
		for i, p := range pages {
			for _, it := range p.Items {
				id := str(t, it, "id")
				if seen[id] {
					t.Errorf("item %s on two pages", id)
				}
				seen[id] = true
			}
			if int(p.Count) != len(p.Items) || p.ScannedCount != p.Count {
				t.Errorf("page %d: Count %d ScannedCount %d with %d items", i, p.Count, p.ScannedCount, len(p.Items))
			}
			if i < len(pages)-1 && len(p.LastEvaluatedKey) == 0 {
				t.Errorf("page %d has no LastEvaluatedKey", i)
			}
			if tg.dynalite {
				// dynalite counts a page's 1 MB with its own storage overhead
				// per item rather than the item sizes AWS documents; only the
				// page count is comparable.
				continue
			}
			bytes := len(p.Items) * size
			if i < len(pages)-1 && (bytes < 1<<20 || bytes-size >= 1<<20) {
				t.Errorf("page %d holds %d bytes in %d items: want the page to stop at the item that reaches 1 MB", i, bytes, len(p.Items))
			}
		}
		if len(seen) != total {
			t.Errorf("pages covered %d items, want %d", len(seen), total)
		}
		if len(pages) < 3 || len(pages) > 4 {
			t.Errorf("%d pages for %d KB, want 3 (or 4 with a last empty page)", len(pages), total*size/1024)
		}
	})
}

func TestSelectCount(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		c, ctx := tg.client, t.Context()
		table := createTable(t, c, keyDef{"Id", types.ScalarAttributeTypeS}, nil)
		items := make([]map[string]types.AttributeValue, 60)
		for i := range items {
			items[i] = ratingItem(i)
		}
		writeAll(t, c, table, items, 1)
		out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
		if err != nil {
			t.Fatalf("scan count: %v", err)
		}
		if out.Count != 60 || out.ScannedCount != 60 || out.Items != nil || out.LastEvaluatedKey != nil {
			t.Errorf("COUNT: Count %d ScannedCount %d Items %v LastEvaluatedKey %v; want 60, 60, none, none", out.Count, out.ScannedCount, out.Items, out.LastEvaluatedKey)
		}
		total := int32(0)
		for _, p := range scanAll(t, c, dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount, Limit: aws.Int32(25)}) {
			if p.Items != nil || p.Count > 25 {
				t.Errorf("COUNT page: %d items, Count %d", len(p.Items), p.Count)
			}
			total += p.Count
		}
		if total != 60 {
			t.Errorf("paged COUNT total %d, want 60", total)
		}
		filtered, err := c.Scan(ctx, &dynamodb.ScanInput{
			TableName: aws.String(table), Select: types.SelectCount,
			FilterExpression:          aws.String("rating = :r"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":r": s("1.0")},
		})
		if err != nil {
			t.Fatalf("filtered count: %v", err)
		}
		// ratingItem gives rating "1.0" to i%5==0 and i even: 6 of 60.
		if filtered.Count != 6 || filtered.ScannedCount != 60 {
			t.Errorf("filtered COUNT %d of %d scanned, want 6 of 60", filtered.Count, filtered.ScannedCount)
		}
	})
}

func TestQuery(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		c, ctx := tg.client, t.Context()
		numTable := createTable(t, c, keyDef{"userId", types.ScalarAttributeTypeS}, &keyDef{"ts", types.ScalarAttributeTypeN})
		strTable := createTable(t, c, keyDef{"userId", types.ScalarAttributeTypeS}, &keyDef{"sk", types.ScalarAttributeTypeS})
		// Numbers sort numerically, not as text.
		nums := []string{"-10", "-1.5", "0", "2", "10", "100"}
		strs := []string{"a", "movie#1", "movie#10", "movie#2", "moviez", "rating#1"}
		var numItems, strItems []map[string]types.AttributeValue
		for _, u := range []string{"u1", "u2"} {
			for _, v := range nums {
				numItems = append(numItems, map[string]types.AttributeValue{"userId": s(u), "ts": n(v), "v": s(u + "/" + v)})
			}
			for _, v := range strs {
				strItems = append(strItems, map[string]types.AttributeValue{"userId": s(u), "sk": s(v)})
			}
		}
		writeAll(t, c, numTable, numItems, 1)
		writeAll(t, c, strTable, strItems, 1)

		cases := []struct {
			name   string
			table  string
			cond   string
			values map[string]types.AttributeValue
			want   []string
		}{
			{"partition only", numTable, "userId = :u", nil, nums},
			{"=", numTable, "userId = :u AND ts = :a", map[string]types.AttributeValue{":a": n("2")}, []string{"2"}},
			{"<", numTable, "userId = :u AND ts < :a", map[string]types.AttributeValue{":a": n("2")}, []string{"-10", "-1.5", "0"}},
			{"<=", numTable, "userId = :u AND ts <= :a", map[string]types.AttributeValue{":a": n("2")}, []string{"-10", "-1.5", "0", "2"}},
			{">", numTable, "userId = :u AND ts > :a", map[string]types.AttributeValue{":a": n("2")}, []string{"10", "100"}},
			{">=", numTable, "userId = :u AND ts >= :a", map[string]types.AttributeValue{":a": n("2")}, []string{"2", "10", "100"}},
			{"BETWEEN", numTable, "userId = :u AND ts BETWEEN :a AND :b", map[string]types.AttributeValue{":a": n("-1.5"), ":b": n("10")}, []string{"-1.5", "0", "2", "10"}},
			{"parenthesised", numTable, "(userId = :u) AND (ts > :a)", map[string]types.AttributeValue{":a": n("50")}, []string{"100"}},
			{"begins_with", strTable, "userId = :u AND begins_with(sk, :p)", map[string]types.AttributeValue{":p": s("movie#")}, []string{"movie#1", "movie#10", "movie#2"}},
			{"string <", strTable, "userId = :u AND sk < :a", map[string]types.AttributeValue{":a": s("movie#2")}, []string{"a", "movie#1", "movie#10"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				values := map[string]types.AttributeValue{":u": s("u1")}
				for k, v := range tc.values {
					values[k] = v
				}
				for _, forward := range []bool{true, false} {
					for _, limit := range []int32{0, 1, 2} {
						in := &dynamodb.QueryInput{
							TableName: aws.String(tc.table), KeyConditionExpression: aws.String(tc.cond),
							ExpressionAttributeValues: values, ScanIndexForward: aws.Bool(forward),
						}
						if limit > 0 {
							in.Limit = aws.Int32(limit)
						}
						got := queryAll(t, c, in)
						want := slices.Clone(tc.want)
						if !forward {
							slices.Reverse(want)
						}
						if !slices.Equal(got, want) {
							t.Errorf("forward=%v limit=%d: got %v, want %v", forward, limit, got, want)
						}
					}
				}
			})
		}
		out, err := c.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(numTable), KeyConditionExpression: aws.String("#u = :u"),
			ExpressionAttributeNames: map[string]string{"#u": "userId"}, ExpressionAttributeValues: map[string]types.AttributeValue{":u": s("u2")},
			Select: types.SelectCount,
		})
		if err != nil || out.Count != int32(len(nums)) || out.Items != nil {
			t.Errorf("query COUNT = %d items %v err %v, want %d", out.Count, out.Items, err, len(nums))
		}
		_, err = c.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(numTable), KeyConditionExpression: aws.String("ts = :a"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("1")},
		})
		wantAPIError(t, err, "ValidationException", "Query condition missed key schema element: userId")
		_, err = c.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(numTable), KeyConditionExpression: aws.String("userId = :u AND ts = :a"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":u": s("u1"), ":a": s("1")},
		})
		wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Condition parameter type does not match schema type")
	})
}

// queryAll pages through a query and returns the sort keys, rendered as text.
func queryAll(t testing.TB, c *dynamodb.Client, in *dynamodb.QueryInput) []string {
	t.Helper()
	var keys []string
	for range 100 {
		out, err := c.Query(context.Background(), in)
		if err != nil {
			t.Fatalf("query %q: %v", aws.ToString(in.KeyConditionExpression), err)
		}
		if in.Limit != nil && out.Count > *in.Limit {
			t.Fatalf("query returned %d items with Limit %d", out.Count, *in.Limit)
		}
		for _, it := range out.Items {
			if str(t, it, "userId") != "u1" {
				t.Fatalf("query returned an item of partition %s", str(t, it, "userId"))
			}
			switch v := it["ts"].(type) {
			case *types.AttributeValueMemberN:
				keys = append(keys, v.Value)
			default:
				keys = append(keys, str(t, it, "sk"))
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return keys
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	t.Fatalf("query did not finish in 100 pages")
	return nil
}

// TestScanResumesAfterWrites pages through a scan while items are written
// and deleted between pages: every item that exists throughout is returned
// exactly once.
func TestScanResumesAfterWrites(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		c, ctx := tg.client, t.Context()
		table := createTable(t, c, keyDef{"Id", types.ScalarAttributeTypeS}, nil)
		writeAll(t, c, table, ratings(0, 200), 1)
		seen := map[string]int{}
		in := &dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(15)}
		for page := 0; ; page++ {
			out, err := c.Scan(ctx, in)
			if err != nil {
				t.Fatalf("scan page %d: %v", page, err)
			}
			for _, it := range out.Items {
				seen[str(t, it, "Id")]++
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			if page > 100 {
				t.Fatal("scan does not end")
			}
			// Between pages: add items and delete some added ones.
			first := 1000 + page*10
			reqs := puts(ratings(first, first+10)...)
			if page > 0 {
				for i := first - 10; i < first-5; i++ {
					reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"Id": ratingItem(i)["Id"]}}})
				}
			}
			if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}}); err != nil {
				t.Fatalf("write between pages: %v", err)
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		for i := range 200 {
			if k := seen[str(t, ratingItem(i), "Id")]; k != 1 {
				t.Errorf("item %d seen %d times", i, k)
			}
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("item %s seen %d times", id, k)
			}
		}
	})
}
