package pipeline

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Clients are the AWS service clients the stages use, all from one aws.Config.
type Clients struct {
	S3       *s3.Client
	DynamoDB *dynamodb.Client
	Kinesis  *kinesis.Client
	Firehose *firehose.Client
}

// MaxAttempts is how often the SDK tries one call before a stage's own retry
// logic takes over: throttles and 5xx are expected under load and under the
// emulator's fault injection.
const MaxAttempts = 10

// MaxBackoff caps the SDK's exponential backoff between two attempts.
const MaxBackoff = 2 * time.Second

// NewClients builds the clients. S3 uses path-style addressing when an
// endpoint is configured (an emulator or LocalStack), virtual-hosted style on
// real AWS. Every client retries up to MaxAttempts with the SDK's standard
// backoff and jitter.
func NewClients(cfg aws.Config) *Clients {
	cfg = cfg.Copy()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = MaxAttempts
			o.MaxBackoff = MaxBackoff
			// The client-side retry quota would refuse retries after a burst of
			// throttles long before a stage's deadline.
			o.RateLimiter = ratelimit.None
		})
	}
	return &Clients{
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = o.BaseEndpoint != nil || cfg.BaseEndpoint != nil
		}),
		DynamoDB: dynamodb.NewFromConfig(cfg),
		Kinesis:  kinesis.NewFromConfig(cfg),
		Firehose: firehose.NewFromConfig(cfg),
	}
}
