package kinesis_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// TestTodaysAPI pins what Kinesis's API has changed since kinesalite's test
// suite (2020) was recorded. The emulator follows AWS's current API
// reference; the kinesalite tests that expect the older answers are the
// ones it does not pass.
func TestTodaysAPI(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		c := tg.client
		name := uniqueName(t, "today")
		createStream(t, c, name, 1)
		arn := describe(t, c, name).StreamARN

		// StreamName is optional beside StreamARN (kinesalite expects
		// "Value null at 'streamName'" for a request without it).
		byARN, err := c.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamARN: arn})
		if err != nil {
			t.Fatalf("DescribeStream by StreamARN alone: %v", err)
		}
		// Descriptions carry StreamModeDetails, ListStreams StreamSummaries
		// (kinesalite compares the whole answer without them).
		if byARN.StreamDescription.StreamModeDetails == nil || byARN.StreamDescription.StreamModeDetails.StreamMode != types.StreamModeProvisioned {
			t.Errorf("StreamModeDetails %+v, want PROVISIONED", byARN.StreamDescription.StreamModeDetails)
		}
		sum, err := c.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamARN: arn})
		if err != nil {
			t.Fatal(err)
		}
		if sum.StreamDescriptionSummary.StreamModeDetails == nil {
			t.Error("DescribeStreamSummary has no StreamModeDetails")
		}
		ls, err := c.ListStreams(ctx, &awskinesis.ListStreamsInput{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range ls.StreamSummaries {
			found = found || aws.ToString(s.StreamARN) == aws.ToString(arn)
		}
		if !found && !tg.local { // kinesis-local leaves StreamSummaries empty
			t.Errorf("ListStreams' StreamSummaries lack %s", name)
		}

		// Retention periods go up to 8760 hours, and the model gives
		// RetentionPeriodHours no range (kinesalite expects a
		// ValidationException above 168).
		if _, err := c.IncreaseStreamRetentionPeriod(ctx, &awskinesis.IncreaseStreamRetentionPeriodInput{StreamARN: arn, RetentionPeriodHours: aws.Int32(169)}); err != nil {
			t.Errorf("retention of 169 hours: %v", err)
		}
		_, err = c.DecreaseStreamRetentionPeriod(ctx, &awskinesis.DecreaseStreamRetentionPeriodInput{StreamARN: arn, RetentionPeriodHours: aws.Int32(-1)})
		if !tg.local {
			wantCode(t, err, "InvalidArgumentException")
		}

		// Up to 50 tags in a request and on a stream (kinesalite: 10 a
		// request), listed 50 at a time (kinesalite: 10).
		tags := map[string]string{}
		for i := range 11 {
			tags[fmt.Sprintf("t%02d", i)] = "v"
		}
		if _, err := c.AddTagsToStream(ctx, &awskinesis.AddTagsToStreamInput{StreamARN: arn, Tags: tags}); err != nil {
			if tg.local {
				t.Skipf("kinesis-local keeps the limit of 10 tags a request that AWS's API reference no longer has: %v", err)
			}
			t.Fatalf("11 tags in one request: %v", err)
		}
		lt, err := c.ListTagsForStream(ctx, &awskinesis.ListTagsForStreamInput{StreamARN: arn, Limit: aws.Int32(50)})
		if err != nil {
			t.Fatalf("ListTagsForStream with Limit 50: %v", err)
		}
		if len(lt.Tags) != 11 {
			t.Errorf("%d tags listed, want 11", len(lt.Tags))
		}
		keys := make([]string, 0, 11)
		for k := range tags {
			keys = append(keys, k)
		}
		if _, err := c.RemoveTagsFromStream(ctx, &awskinesis.RemoveTagsFromStreamInput{StreamARN: arn, TagKeys: keys}); err != nil {
			t.Errorf("removing 11 tags in one request: %v", err)
		}

		// An ON_DEMAND stream has no ShardCount (kinesalite expects
		// "Value null at 'shardCount'" for a CreateStream without one).
		od := uniqueName(t, "ondemand")
		if _, err := c.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String(od), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
			t.Fatalf("ON_DEMAND stream without ShardCount: %v", err)
		}
		t.Cleanup(func() {
			_, _ = c.DeleteStream(t.Context(), &awskinesis.DeleteStreamInput{StreamName: aws.String(od)})
		})
		waitActive(t, c, od)
		if m := describe(t, c, od).StreamModeDetails; m == nil || m.StreamMode != types.StreamModeOnDemand {
			t.Errorf("on-demand stream's mode %+v", m)
		}
	})
}
