package emulation_test

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// newS3NoRetry is an S3 client that makes one attempt per call, so each
// injected fault is seen by the test.
func newS3NoRetry(tb testing.TB, srv *emulation.Server) *s3.Client {
	tb.Helper()
	return s3.NewFromConfig(srv.Config(), func(o *s3.Options) {
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

func faultServer(tb testing.TB, spec string) (*emulation.Server, *s3.Client) {
	tb.Helper()
	cfg, err := fault.Parse(spec)
	if err != nil {
		tb.Fatal(err)
	}
	// The bucket is made before faults are on: a server without faults
	// cannot be switched, so create it through the backend directly.
	srv := emulation.NewTestServer(tb, emulation.WithFaults(cfg))
	if err := srv.S3.Backend().CreateBucket("lake"); err != nil {
		tb.Fatal(err)
	}
	return srv, newS3NoRetry(tb, srv)
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	t.Run("throttle", func(t *testing.T) {
		_, c := faultServer(t, "throttle=1,seed=42")
		_, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("lake")})
		if code := apiCode(err); code != "SlowDown" {
			t.Errorf("err = %v, want S3's SlowDown", err)
		}
	})
	t.Run("error5xx", func(t *testing.T) {
		_, c := faultServer(t, "error5xx=1,seed=42")
		_, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("lake")})
		if code := apiCode(err); code != "InternalError" {
			t.Errorf("err = %v, want InternalError", err)
		}
	})
	t.Run("lost_response", func(t *testing.T) {
		srv, c := faultServer(t, "lost_response=1,seed=42")
		_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("k"), Body: strings.NewReader("applied")})
		if err == nil || !isConnReset(err) {
			t.Fatalf("err = %v, want a connection reset", err)
		}
		obj, err := srv.S3.Backend().HeadObject("lake", "k")
		if err != nil {
			t.Fatalf("the request was not applied before the response was lost: %v", err)
		}
		obj.Contents.Close()
		if obj.Size != int64(len("applied")) {
			t.Errorf("stored size %d, want %d", obj.Size, len("applied"))
		}
	})
	t.Run("latency", func(t *testing.T) {
		_, c := faultServer(t, "latency=80ms")
		start := time.Now()
		if _, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("lake")}); err != nil {
			t.Fatal(err)
		}
		// A lower bound only: the delay is added, never subtracted.
		if d := time.Since(start); d < 80*time.Millisecond {
			t.Errorf("call took %v, want at least the injected 80ms", d)
		}
	})
	t.Run("retried by the SDK", func(t *testing.T) {
		srv, _ := faultServer(t, "throttle=0.3,error5xx=0.1,lost_response=0.1,seed=3")
		c := s3.NewFromConfig(srv.Config(), func(o *s3.Options) {
			o.UsePathStyle = true
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 20
				so.MaxBackoff = 20 * time.Millisecond
				so.RateLimiter = ratelimit.None
			})
		})
		for i := range 30 {
			key := "k" + string(rune('a'+i%26))
			if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(key), Body: strings.NewReader("v")}); err != nil {
				t.Fatalf("put %d: %v", i, err)
			}
		}
		counts := srv.Faults.Counts()
		if counts[fault.Throttle] == 0 || counts[fault.Error5xx] == 0 || counts[fault.LostResponse] == 0 {
			t.Errorf("fault counts %v: want every kind injected at least once", counts)
		}
	})
}

// TestFaultsDeterministic: the same seed gives the same outcome for the same
// sequence of requests; another seed gives another.
func TestFaultsDeterministic(t *testing.T) {
	t.Parallel()
	outcomes := func(spec string) string {
		_, c := faultServer(t, spec)
		var b strings.Builder
		for range 40 {
			_, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("lake")})
			switch apiCode(err) {
			case "":
				b.WriteByte('.')
			case "SlowDown":
				b.WriteByte('T')
			case "InternalError":
				b.WriteByte('E')
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		return b.String()
	}
	a := outcomes("throttle=0.3,error5xx=0.2,seed=42")
	b := outcomes("throttle=0.3,error5xx=0.2,seed=42")
	c := outcomes("throttle=0.3,error5xx=0.2,seed=43")
	if a != b {
		t.Errorf("same seed, different outcomes:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 42 and 43 gave the same outcomes %s", a)
	}
	if !strings.Contains(a, "T") || !strings.Contains(a, "E") || !strings.Contains(a, ".") {
		t.Errorf("outcomes %s: want successes, throttles and errors", a)
	}
}

func TestParseFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    string
		wantErr string
	}{
		{"", "", ""},
		{"throttle=0.1,partial=0.05,lost_response=0.02,error5xx=0.01,latency=5ms,seed=42",
			"throttle=0.1,partial=0.05,lost_response=0.02,error5xx=0.01,latency=5ms,seed=42", ""},
		{"firehose_start=3s", "firehose_start=3s,seed=1", ""},
		{"firehose_start=soon", "", "duration"},
		{"throttle=1.5", "", "probability"},
		{"slow=0.1", "", "unknown kind"},
		{"latency=fast", "", "duration"},
		{"throttle", "", "key=value"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c, err := fault.Parse(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func isConnReset(err error) bool {
	var ne *net.OpError
	return errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne) || strings.Contains(err.Error(), "EOF")
}
