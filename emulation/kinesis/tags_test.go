package kinesis_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestStreamTags(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		c := tg.client
		name := uniqueName(t, "tags")
		createStream(t, c, name, 1)
		add := func(tags map[string]string) error {
			_, err := c.AddTagsToStream(ctx, &awskinesis.AddTagsToStreamInput{StreamName: aws.String(name), Tags: tags})
			return err
		}
		list := func(in *awskinesis.ListTagsForStreamInput) *awskinesis.ListTagsForStreamOutput {
			t.Helper()
			in.StreamName = aws.String(name)
			out, err := c.ListTagsForStream(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}

		if out := list(&awskinesis.ListTagsForStreamInput{}); len(out.Tags) != 0 || aws.ToBool(out.HasMoreTags) {
			t.Errorf("a new stream has tags %v", tagMap(out.Tags))
		}
		if err := add(map[string]string{"team": "data", "ü0 _.": "a", "/=+-@": "", "env": "ü0 _./=+-@"}); err != nil {
			t.Fatal(err)
		}
		if err := add(map[string]string{"team": "ml"}); err != nil {
			t.Fatal(err)
		}
		all := list(&awskinesis.ListTagsForStreamInput{})
		want := map[string]string{"team": "ml", "ü0 _.": "a", "/=+-@": "", "env": "ü0 _./=+-@"}
		if fmt.Sprint(tagMap(all.Tags)) != fmt.Sprint(want) {
			t.Errorf("tags %v, want %v", tagMap(all.Tags), want)
		}
		if !tg.local {
			page := list(&awskinesis.ListTagsForStreamInput{Limit: aws.Int32(2), ExclusiveStartTagKey: aws.String("/=+-@")})
			if len(page.Tags) != 2 || aws.ToString(page.Tags[0].Key) != "env" || !aws.ToBool(page.HasMoreTags) {
				t.Errorf("page after /=+-@: %v, more %v; want env, team and more", tagMap(page.Tags), aws.ToBool(page.HasMoreTags))
			}
		}

		for _, bad := range []map[string]string{{"a;b": "1"}, {"a": "tab\there"}, {"a": "100%"}} {
			err := add(bad)
			if tg.local && err == nil {
				continue // kinesis-local accepts any character
			}
			wantCode(t, err, "InvalidArgumentException")
		}
		many := map[string]string{}
		for i := range 47 {
			many[fmt.Sprintf("k%02d", i)] = "v"
		}
		err := add(many) // 4 + 47 > 50 tags
		if !(tg.local && err == nil) {
			wantCode(t, err, "InvalidArgumentException")
		}

		if _, err := c.RemoveTagsFromStream(ctx, &awskinesis.RemoveTagsFromStreamInput{StreamName: aws.String(name), TagKeys: []string{"team", "absent"}}); err != nil {
			t.Fatal(err)
		}
		if got := tagMap(list(&awskinesis.ListTagsForStreamInput{}).Tags); got["team"] != "" || len(got) < 3 {
			t.Errorf("after removing team: %v", got)
		}
		_, err = c.RemoveTagsFromStream(ctx, &awskinesis.RemoveTagsFromStreamInput{StreamName: aws.String(name), TagKeys: []string{}})
		if !(tg.local && err == nil) { // kinesis-local accepts an empty list; the model wants 1 to 50 keys
			wantCode(t, err, "ValidationException")
		}
		_, err = c.AddTagsToStream(ctx, &awskinesis.AddTagsToStreamInput{StreamName: aws.String(name + "-nope"), Tags: map[string]string{"a": "b"}})
		wantCode(t, err, "ResourceNotFoundException")
	})
}

func TestResourceTags(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		c := tg.client
		name := uniqueName(t, "restags")
		createStream(t, c, name, 1)
		arn := describe(t, c, name).StreamARN
		if _, err := c.TagResource(ctx, &awskinesis.TagResourceInput{ResourceARN: arn, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
			if tg.local {
				t.Skipf("kinesis-local has no TagResource: %v", err)
			}
			t.Fatal(err)
		}
		if _, err := c.UntagResource(ctx, &awskinesis.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"a"}}); err != nil {
			t.Fatal(err)
		}
		out, err := c.ListTagsForResource(ctx, &awskinesis.ListTagsForResourceInput{ResourceARN: arn})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(tagMap(out.Tags)); got != "map[b:2]" {
			t.Errorf("tags of the stream resource: %s, want map[b:2]", got)
		}
		// The stream-level and resource-level operations see the same tags.
		st, err := c.ListTagsForStream(ctx, &awskinesis.ListTagsForStreamInput{StreamARN: arn})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(tagMap(st.Tags)); got != "map[b:2]" {
			t.Errorf("ListTagsForStream by ARN: %s", got)
		}
		_, err = c.ListTagsForResource(ctx, &awskinesis.ListTagsForResourceInput{ResourceARN: aws.String(aws.ToString(arn) + "-nope")})
		wantCode(t, err, "ResourceNotFoundException")
	})
}

func TestRetentionPeriod(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		c := tg.client
		name := uniqueName(t, "retention")
		createStream(t, c, name, 1)
		hours := func() int32 {
			t.Helper()
			waitActive(t, c, name)
			return aws.ToInt32(describe(t, c, name).RetentionPeriodHours)
		}
		if h := hours(); h != 24 {
			t.Fatalf("a new stream keeps records %d hours, want 24", h)
		}
		inc := func(h int32) error {
			_, err := c.IncreaseStreamRetentionPeriod(ctx, &awskinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String(name), RetentionPeriodHours: aws.Int32(h)})
			return err
		}
		dec := func(h int32) error {
			_, err := c.DecreaseStreamRetentionPeriod(ctx, &awskinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String(name), RetentionPeriodHours: aws.Int32(h)})
			return err
		}
		if err := inc(168); err != nil {
			t.Fatal(err)
		}
		if h := hours(); h != 168 {
			t.Errorf("after increasing to 168: %d", h)
		}
		// Up to a year since 2020; beyond, and below a day, is refused.
		if err := inc(8760); err != nil {
			t.Fatal(err)
		}
		wantCode(t, inc(8761), "InvalidArgumentException")
		wantCode(t, inc(100), "InvalidArgumentException") // shorter: DecreaseStreamRetentionPeriod's job
		wantCode(t, dec(23), "InvalidArgumentException")
		if err := dec(48); err != nil {
			t.Fatal(err)
		}
		if h := hours(); h != 48 {
			t.Errorf("after decreasing to 48: %d", h)
		}
		wantCode(t, dec(72), "InvalidArgumentException") // longer: IncreaseStreamRetentionPeriod's job
		_, err := c.IncreaseStreamRetentionPeriod(ctx, &awskinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String(name + "-nope"), RetentionPeriodHours: aws.Int32(48)})
		wantCode(t, err, "ResourceNotFoundException")
	})
}
