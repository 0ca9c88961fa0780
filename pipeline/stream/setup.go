package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kntypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/mldatalake/mldatalake/pipeline"
)

// createStream creates the Kinesis stream (or reuses an existing one) and
// waits until it is ACTIVE. It returns the stream ARN.
func createStream(ctx context.Context, c *pipeline.Clients, name string, shards int32, wait time.Duration) (string, error) {
	_, err := c.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)})
	var inUse *kntypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return "", fmt.Errorf("create Kinesis stream %s: %w", name, err)
	}
	w := kinesis.NewStreamExistsWaiter(c.Kinesis, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 2*time.Second
	})
	out, err := w.WaitForOutput(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, wait)
	if err != nil {
		return "", fmt.Errorf("wait for Kinesis stream %s to be ACTIVE: %w", name, err)
	}
	return aws.ToString(out.StreamDescription.StreamARN), nil
}

// creatingFailedHint says what most often makes a delivery stream fail to
// create where this pipeline runs.
const creatingFailedHint = "on real AWS check the role's trust policy (firehose.amazonaws.com) and its access to the stream and the bucket; " +
	"on LocalStack 4.14 a Kinesis-sourced delivery stream needs the Java 11 runtime and kinesis-mock that LocalStack downloads at first use, " +
	"so its container needs network access then"

// createDeliveryStream creates the Firehose delivery stream from the Kinesis
// stream to the bucket, unless it exists, and waits until it is ACTIVE.
func createDeliveryStream(ctx context.Context, c *pipeline.Clients, o Options, names pipeline.Names, streamARN string) error {
	_, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(names.DeliveryStream),
		DeliveryStreamType: fhtypes.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration: &fhtypes.KinesisStreamSourceConfiguration{
			KinesisStreamARN: aws.String(streamARN),
			RoleARN:          aws.String(o.RoleARN),
		},
		ExtendedS3DestinationConfiguration: &fhtypes.ExtendedS3DestinationConfiguration{
			BucketARN:         aws.String("arn:aws:s3:::" + names.Bucket),
			RoleARN:           aws.String(o.RoleARN),
			Prefix:            aws.String(names.FirehosePrefix),
			ErrorOutputPrefix: aws.String(o.ErrorOutputPrefix),
			BufferingHints: &fhtypes.BufferingHints{
				SizeInMBs:         aws.Int32(o.BufferSizeMB),
				IntervalInSeconds: aws.Int32(int32(o.BufferInterval / time.Second)),
			},
			CompressionFormat: o.Compression,
		},
	})
	var inUse *fhtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create Firehose delivery stream %s: %w", names.DeliveryStream, err)
	}
	deadline := time.Now().Add(o.SetupTimeout)
	delay := 100 * time.Millisecond
	for {
		out, err := c.Firehose.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(names.DeliveryStream)})
		if err != nil {
			return fmt.Errorf("describe Firehose delivery stream %s: %w", names.DeliveryStream, err)
		}
		switch st := out.DeliveryStreamDescription.DeliveryStreamStatus; st {
		case fhtypes.DeliveryStreamStatusActive:
			return nil
		case fhtypes.DeliveryStreamStatusCreatingFailed:
			why := ""
			if f := out.DeliveryStreamDescription.FailureDescription; f != nil {
				why = fmt.Sprintf(" (%s: %s)", f.Type, aws.ToString(f.Details))
			}
			return fmt.Errorf("Firehose delivery stream %s is %s%s; %s", names.DeliveryStream, st, why, creatingFailedHint)
		case fhtypes.DeliveryStreamStatusDeleting, fhtypes.DeliveryStreamStatusDeletingFailed:
			return fmt.Errorf("Firehose delivery stream %s is %s", names.DeliveryStream, st)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Firehose delivery stream %s not ACTIVE after %v", names.DeliveryStream, o.SetupTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}
