package pipeline

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// CountRetries returns a copy of cfg whose clients add to n every attempt
// after an operation's first: the throttles, 5xx errors and lost responses
// the SDK's retryer tried again. It is how stages fill
// Report.Retried.
func CountRetries(cfg aws.Config) (_ aws.Config, n *atomic.Int64) {
	n = new(atomic.Int64)
	cfg = cfg.Copy()
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("mldatalake.CountRetries",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if r, ok := retry.GetAttemptResults(md); ok && len(r.Results) > 1 {
					n.Add(int64(len(r.Results) - 1))
				}
				return out, md, err
			}), middleware.After)
	})
	return cfg, n
}
