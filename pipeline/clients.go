package pipeline

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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

// BaseBackoff is the first retry's longest pause; each retry doubles it, up
// to MaxBackoff. The SDK's own backoff starts at up to 2 s, which makes a
// load under occasional throttles crawl.
const BaseBackoff = 50 * time.Millisecond

// backoff is exponential backoff with full jitter: a random pause up to
// BaseBackoff·2^(attempt-1), capped at MaxBackoff.
type backoff struct{}

func (backoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	ceiling := MaxBackoff
	if attempt < 16 {
		ceiling = min(MaxBackoff, BaseBackoff<<max(attempt-1, 0))
	}
	return time.Duration(rand.Int64N(int64(ceiling)) + 1), nil
}

// MaxConnsPerHost is how many idle connections to one endpoint the clients
// keep for reuse (the SDK's default keeps 10): enough for every parallel
// writer and scan segment of a stage, so that none opens a connection per
// request.
const MaxConnsPerHost = 64

// NewClients builds the clients. S3 uses path-style addressing when an
// endpoint is configured (an emulator or LocalStack), virtual-hosted style on
// real AWS. Every client retries up to MaxAttempts with exponential backoff
// and full jitter from BaseBackoff to MaxBackoff. Unless cfg has an HTTP
// client, they share one that keeps MaxConnsPerHost idle connections per
// endpoint.
func NewClients(cfg aws.Config) *Clients {
	cfg = cfg.Copy()
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 4 * MaxConnsPerHost
			t.MaxIdleConnsPerHost = MaxConnsPerHost
		})
	}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = MaxAttempts
			o.MaxBackoff = MaxBackoff
			o.Backoff = backoff{}
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
