package dynamodb_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/mldatalake/mldatalake/emulation"
)

func TestTimeToLive(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	describe := func(t *testing.T) string {
		t.Helper()
		d, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		return string(d.TimeToLiveDescription.TimeToLiveStatus) + " " + aws.ToString(d.TimeToLiveDescription.AttributeName)
	}
	for _, tc := range []struct {
		name    string
		enabled bool
		attr    string
		want    string // DescribeTimeToLive after
		code    string
	}{
		{name: "disabled at first", want: "DISABLED "},
		{name: "enable", enabled: true, attr: "expires", want: "ENABLED expires"},
		{name: "enable twice", enabled: true, attr: "other", code: "ValidationException", want: "ENABLED expires"},
		{name: "disable another attribute", attr: "other", code: "ValidationException", want: "ENABLED expires"},
		{name: "disable", attr: "expires", want: "DISABLED "},
		{name: "empty attribute name", enabled: true, attr: "", code: "ValidationException", want: "DISABLED "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "disabled at first" {
				out, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table),
					TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(tc.enabled), AttributeName: aws.String(tc.attr)}})
				if tc.code != "" {
					wantAPIError(t, err, tc.code, "")
				} else if err != nil {
					t.Fatal(err)
				} else if aws.ToString(out.TimeToLiveSpecification.AttributeName) != tc.attr {
					t.Errorf("answer %+v", out.TimeToLiveSpecification)
				}
			}
			if got := describe(t); got != tc.want {
				t.Errorf("DescribeTimeToLive %q, want %q", got, tc.want)
			}
		})
	}
	_, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("no-such-table"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("x")}})
	wantAPIError(t, err, "ResourceNotFoundException", "")
}

func TestTags(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	arn := d.Table.TableArn
	list := func(t *testing.T) string {
		t.Helper()
		out, err := c.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		var kv []string
		for _, tg := range out.Tags {
			kv = append(kv, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		slices.Sort(kv)
		return strings.Join(kv, ",")
	}
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	for _, tc := range []struct {
		name  string
		tag   []types.Tag
		untag []string
		want  string
	}{
		{name: "none", want: ""},
		{name: "add", tag: []types.Tag{tag("env", "test"), tag("team", "data")}, want: "env=test,team=data"},
		{name: "overwrite", tag: []types.Tag{tag("env", "prod")}, want: "env=prod,team=data"},
		{name: "remove", untag: []string{"team", "absent"}, want: "env=prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tag != nil {
				if _, err := c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: tc.tag}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.untag != nil {
				if _, err := c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: tc.untag}); err != nil {
					t.Fatal(err)
				}
			}
			if got := list(t); got != tc.want {
				t.Errorf("tags %q, want %q", got, tc.want)
			}
		})
	}
	_, err = c.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(strings.Replace(aws.ToString(arn), table, "no-such-table", 1))})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String("not-an-arn"), Tags: []types.Tag{tag("a", "b")}})
	wantAPIError(t, err, "ValidationException", "")
}

func TestConsumedCapacityAndMetrics(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	ctx := t.Context()
	table := indexedTable(t, c)
	big := strings.Repeat("x", 5000)
	put, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item{"pk": s("a"), "sk": s("b"), "lsk": s("l"), "big": s(big)},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToFloat64(put.ConsumedCapacity.CapacityUnits); got != 5 {
		t.Errorf("PutItem of a 5 KB item consumed %v units, want 5", got)
	}
	if m := put.ItemCollectionMetrics; m == nil || render(t, m.ItemCollectionKey) != "{pk=S:a}" || len(m.SizeEstimateRangeGB) != 2 {
		t.Errorf("ItemCollectionMetrics %+v", m)
	}
	for _, tc := range []struct {
		name       string
		consistent bool
		want       float64
	}{{"eventually consistent", false, 1}, {"consistent", true, 2}} {
		t.Run("GetItem "+tc.name, func(t *testing.T) {
			get, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item{"pk": s("a"), "sk": s("b")},
				ConsistentRead: aws.Bool(tc.consistent), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToFloat64(get.ConsumedCapacity.CapacityUnits); got != tc.want {
				t.Errorf("consumed %v, want %v", got, tc.want)
			}
		})
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("byLsk"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: item{":p": s("a")}, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if err != nil {
		t.Fatal(err)
	}
	cc := q.ConsumedCapacity
	if cc == nil || cc.Table == nil || cc.LocalSecondaryIndexes["byLsk"].CapacityUnits == nil {
		t.Fatalf("Query with INDEXES: %+v", cc)
	}
	none, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item{"pk": s("a"), "sk": s("c")}})
	if err != nil {
		t.Fatal(err)
	}
	if none.ConsumedCapacity != nil || none.ItemCollectionMetrics != nil {
		t.Errorf("capacity or metrics returned unasked: %+v %+v", none.ConsumedCapacity, none.ItemCollectionMetrics)
	}
}

func TestStreams(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	c := dynamodb.NewFromConfig(srv.Config())
	sc := dynamodbstreams.NewFromConfig(srv.Config())
	ctx := t.Context()
	for _, view := range []types.StreamViewType{types.StreamViewTypeNewAndOldImages, types.StreamViewTypeKeysOnly} {
		t.Run(string(view), func(t *testing.T) {
			name := tableName(t)
			created, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: view}})
			if err != nil {
				t.Fatal(err)
			}
			arn := created.TableDescription.LatestStreamArn
			if arn == nil {
				t.Fatal("no LatestStreamArn")
			}
			k := item{"pk": s("k")}
			steps := []func() error{
				func() error {
					_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item{"pk": s("k"), "v": n("1")}})
					return err
				},
				func() error {
					_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name), Key: k, UpdateExpression: aws.String("SET v = :two"),
						ExpressionAttributeValues: item{":two": n("2")}})
					return err
				},
				func() error {
					_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(name), Key: k})
					return err
				},
			}
			for _, step := range steps {
				if err := step(); err != nil {
					t.Fatal(err)
				}
			}
			list, err := sc.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Streams) != 1 || aws.ToString(list.Streams[0].StreamArn) != aws.ToString(arn) {
				t.Fatalf("ListStreams %+v", list.Streams)
			}
			desc, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
			if err != nil {
				t.Fatal(err)
			}
			if desc.StreamDescription.StreamStatus != streamtypes.StreamStatusEnabled || len(desc.StreamDescription.Shards) != 1 {
				t.Fatalf("DescribeStream %+v", desc.StreamDescription)
			}
			it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn,
				ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			recs, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs.Records {
				line := string(r.EventName)
				if img := r.Dynamodb.OldImage; img != nil {
					line += fmt.Sprint(" old v=", img["v"].(*streamtypes.AttributeValueMemberN).Value)
				}
				if img := r.Dynamodb.NewImage; img != nil {
					line += fmt.Sprint(" new v=", img["v"].(*streamtypes.AttributeValueMemberN).Value)
				}
				if r.Dynamodb.Keys["pk"].(*streamtypes.AttributeValueMemberS).Value != "k" {
					t.Errorf("record keys %v", r.Dynamodb.Keys)
				}
				got = append(got, line)
			}
			want := []string{"INSERT new v=1", "MODIFY old v=1 new v=2", "REMOVE old v=2"}
			if view == types.StreamViewTypeKeysOnly {
				want = []string{"INSERT", "MODIFY", "REMOVE"}
			}
			if !slices.Equal(got, want) {
				t.Errorf("records %q, want %q", got, want)
			}
			more, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: recs.NextShardIterator})
			if err != nil {
				t.Fatal(err)
			}
			if len(more.Records) != 0 {
				t.Errorf("next iterator read %d more records", len(more.Records))
			}
		})
	}
}

func TestExpireItems(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	c := dynamodb.NewFromConfig(srv.Config())
	ctx := t.Context()
	table := createTable(t, c, keyDef{"pk", types.ScalarAttributeTypeS}, nil)
	now := time.Now().Unix()
	for _, it := range []item{
		{"pk": s("past"), "exp": n(fmt.Sprint(now - 60))},
		{"pk": s("past-fraction"), "exp": n(fmt.Sprint(now-1, ".5"))},
		{"pk": s("future"), "exp": n(fmt.Sprint(now + 3600))},
		{"pk": s("ancient"), "exp": n(fmt.Sprint(now - 6*365*24*3600))},
		{"pk": s("not-a-number"), "exp": s("yesterday")},
		{"pk": s("no-ttl")},
	} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	remaining := func(t *testing.T) []string {
		t.Helper()
		var keys []string
		for _, p := range scanAll(t, c, dynamodb.ScanInput{TableName: aws.String(table)}) {
			for _, it := range p.Items {
				keys = append(keys, str(t, it, "pk"))
			}
		}
		slices.Sort(keys)
		return keys
	}
	if n, err := srv.DynamoDB.ExpireItems(ctx); err != nil || n != 0 {
		t.Fatalf("ExpireItems before TTL is enabled: %d, %v", n, err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("exp")}}); err != nil {
		t.Fatal(err)
	}
	n, err := srv.DynamoDB.ExpireItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ancient", "future", "no-ttl", "not-a-number"}; n != 2 || !slices.Equal(remaining(t), want) {
		t.Errorf("expired %d; remaining %v, want %v", n, remaining(t), want)
	}
}

func TestDescribeLimitsAndEndpoints(t *testing.T) {
	t.Parallel()
	c := embedded(t)
	limits, err := c.DescribeLimits(t.Context(), &dynamodb.DescribeLimitsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(limits.TableMaxReadCapacityUnits) <= 0 || aws.ToInt64(limits.AccountMaxWriteCapacityUnits) < aws.ToInt64(limits.TableMaxWriteCapacityUnits) {
		t.Errorf("limits %+v", limits)
	}
	eps, err := c.DescribeEndpoints(t.Context(), &dynamodb.DescribeEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(eps.Endpoints) != 1 || !strings.HasPrefix(aws.ToString(eps.Endpoints[0].Address), "dynamodb.") {
		t.Errorf("endpoints %+v", eps.Endpoints)
	}
}
