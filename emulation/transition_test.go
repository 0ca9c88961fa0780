package emulation_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kntypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/mldatalake/mldatalake/emulation"
)

// TestTransitionDelay: WithTransitionDelay sets how long a Kinesis stream and
// a Firehose delivery stream stay CREATING; the default is half a second.
func TestTransitionDelay(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []emulation.Option
		delay time.Duration
	}{
		{"default", nil, 500 * time.Millisecond},
		{"short", []emulation.Option{emulation.WithTransitionDelay(50 * time.Millisecond)}, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulation.NewTestServer(t, tc.opts...)
			cfg := srv.Config()
			kc, fc := kinesis.NewFromConfig(cfg), firehose.NewFromConfig(cfg)
			start := time.Now()
			if _, err := kc.CreateStream(t.Context(), &kinesis.CreateStreamInput{StreamName: aws.String("s"), ShardCount: aws.Int32(1)}); err != nil {
				t.Fatal(err)
			}
			out, err := kc.DescribeStreamSummary(t.Context(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("s")})
			if err != nil {
				t.Fatal(err)
			}
			if st := out.StreamDescriptionSummary.StreamStatus; st != kntypes.StreamStatusCreating && time.Since(start) < tc.delay {
				t.Errorf("stream %s right after CreateStream, want CREATING", st)
			}
			// active polls until describe says ACTIVE and returns the time
			// since begin (the create call).
			active := func(begin time.Time, describe func() (bool, error)) time.Duration {
				t.Helper()
				for {
					ok, err := describe()
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						return time.Since(begin)
					}
					if time.Since(begin) > 5*time.Second {
						t.Fatalf("not ACTIVE after 5 s (delay %v)", tc.delay)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			took := active(start, func() (bool, error) {
				out, err := kc.DescribeStreamSummary(t.Context(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("s")})
				return err == nil && out.StreamDescriptionSummary.StreamStatus == kntypes.StreamStatusActive, err
			})
			check := func(what string, took time.Duration) {
				t.Helper()
				// Loose bounds: the default does wait, the short delay does
				// not wait as long as the default.
				if tc.delay >= 500*time.Millisecond && took < tc.delay/2 || tc.delay < 500*time.Millisecond && took >= 400*time.Millisecond {
					t.Errorf("%s ACTIVE after %v, want about %v", what, took, tc.delay)
				}
			}
			t.Logf("stream ACTIVE after %v", took)
			check("stream", took)
			arn := "arn:aws:kinesis:us-east-1:000000000000:stream/s"
			start = time.Now()
			if _, err := fc.CreateDeliveryStream(t.Context(), &firehose.CreateDeliveryStreamInput{
				DeliveryStreamName: aws.String("d"),
				DeliveryStreamType: fhtypes.DeliveryStreamTypeKinesisStreamAsSource,
				KinesisStreamSourceConfiguration: &fhtypes.KinesisStreamSourceConfiguration{
					KinesisStreamARN: aws.String(arn), RoleARN: aws.String("arn:aws:iam::000000000000:role/r")},
				ExtendedS3DestinationConfiguration: &fhtypes.ExtendedS3DestinationConfiguration{
					BucketARN: aws.String("arn:aws:s3:::b"), RoleARN: aws.String("arn:aws:iam::000000000000:role/r")},
			}); err != nil {
				t.Fatal(err)
			}
			took = active(start, func() (bool, error) {
				out, err := fc.DescribeDeliveryStream(t.Context(), &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("d")})
				return err == nil && out.DeliveryStreamDescription.DeliveryStreamStatus == fhtypes.DeliveryStreamStatusActive, err
			})
			check("delivery stream", took)
		})
	}
}
