package emulation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/mldatalake/mldatalake/emulation/clock"
	"github.com/mldatalake/mldatalake/emulation/dynamodb"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/emulation/firehose"
	"github.com/mldatalake/mldatalake/emulation/iam"
	"github.com/mldatalake/mldatalake/emulation/kinesis"
	"github.com/mldatalake/mldatalake/emulation/s3"
	"github.com/mldatalake/mldatalake/emulation/sts"
)

// shutdownGrace is how long Close lets requests under way finish.
const shutdownGrace = 500 * time.Millisecond

// DefaultRegion is the region the emulator reports and Config uses.
const DefaultRegion = "us-east-1"

// Server is the in-process AWS emulator: S3, DynamoDB, Kinesis, Firehose, IAM
// and STS on one port.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:PORT", without a trailing slash.
	URL string
	// Listener is the socket the server accepts on.
	Listener net.Listener

	S3       *s3.Service
	DynamoDB *dynamodb.Service
	Kinesis  *kinesis.Service
	Firehose *firehose.Service
	IAM      *iam.Service
	STS      *sts.Service
	Faults   *fault.Injector

	cfg       config
	handler   http.Handler
	http      *http.Server
	stop      chan struct{} // closed by Close: ends background work
	sweeps    sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// ttlSweep is how often DynamoDB's expired items are deleted.
const ttlSweep = 5 * time.Second

type config struct {
	addr   string
	s3Dir  string
	faults fault.Config
	log    *slog.Logger
	clock  clock.Clock
	// transition is how long Kinesis streams and Firehose delivery streams
	// stay CREATING (and in their other transitional states).
	transition time.Duration
}

// Option configures a Server.
type Option func(*config)

// WithAddr sets the listen address; the default is 127.0.0.1:0.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithS3Dir keeps S3 objects as files under dir/buckets/<bucket>/<key>
// instead of in memory.
func WithS3Dir(dir string) Option { return func(c *config) { c.s3Dir = dir } }

// WithFaults turns on fault injection (see package fault).
func WithFaults(f fault.Config) Option { return func(c *config) { c.faults = f } }

// WithLogger sets the logger for requests and background work; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithClock sets the time source of every service; a clock.Fake lets a
// test drive Firehose's buffering, transitions and retries.
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithTransitionDelay sets how long Kinesis streams and Firehose delivery
// streams stay CREATING, UPDATING and DELETING (each service's default is
// half a second; DynamoDB's tables are ACTIVE at their first poll). The
// embedded target sets it short: a waiter still sees the transition, and a
// run does not wait a second for it.
func WithTransitionDelay(d time.Duration) Option { return func(c *config) { c.transition = d } }

// NewUnstartedServer builds the services without listening; call Start.
func NewUnstartedServer(opts ...Option) (*Server, error) {
	c := config{addr: "127.0.0.1:0", log: slog.New(slog.DiscardHandler), clock: clock.Real(), transition: kinesis.DefaultTransitionDelay}
	for _, o := range opts {
		o(&c)
	}
	c.log = c.log.With("component", "aws-emulator")
	s := &Server{cfg: c, Faults: fault.New(c.faults), stop: make(chan struct{})}
	var err error
	s.S3, err = s3.New(s3.WithDir(c.s3Dir), s3.WithClock(c.clock.Now))
	if err != nil {
		return nil, err
	}
	s.DynamoDB = dynamodb.New(dynamodb.WithFaults(s.Faults), dynamodb.WithClock(c.clock.Now), dynamodb.WithLogger(c.log))
	s.Kinesis = kinesis.New(kinesis.WithFaults(s.Faults), kinesis.WithClock(c.clock.Now), kinesis.WithLogger(c.log),
		kinesis.WithTransitionDelay(c.transition))
	s.Firehose = firehose.New(s.Kinesis, s.S3, firehose.WithFaults(s.Faults), firehose.WithClock(c.clock), firehose.WithLogger(c.log),
		firehose.WithTransitionDelay(c.transition))
	s.IAM = iam.New(iam.WithClock(c.clock.Now))
	s.STS = sts.New(s.IAM, sts.WithClock(c.clock.Now))
	s.handler = s.routes()
	return s, nil
}

// NewServer starts an emulator on 127.0.0.1:0 (or WithAddr's address).
func NewServer(opts ...Option) (*Server, error) {
	s, err := NewUnstartedServer(opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// NewTestServer starts an emulator for a test and closes it when the test ends.
func NewTestServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := NewServer(opts...)
	if err != nil {
		tb.Fatalf("start AWS emulator: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close AWS emulator: %v", err)
		}
	})
	return s
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	if s.Listener != nil {
		return errors.New("emulation: server already started")
	}
	ln, err := net.Listen("tcp", s.cfg.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.addr, err)
	}
	s.Listener = ln
	s.URL = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.log.Error("serve", "err", err)
		}
	}()
	s.sweeps.Go(s.expireItems)
	return nil
}

// expireItems deletes DynamoDB's expired items every ttlSweep until Close.
func (s *Server) expireItems() {
	tick := time.NewTicker(ttlSweep)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-s.stop:
				case <-ctx.Done():
				}
				cancel()
			}()
			if n, err := s.DynamoDB.ExpireItems(ctx); err != nil {
				s.cfg.log.Warn("expire DynamoDB items", "err", err)
			} else if n > 0 {
				s.cfg.log.Debug("expired DynamoDB items", "items", n)
			}
			cancel()
		}
	}
}

// Handler is the edge router, for callers that serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the server and every background delivery. It is safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.sweeps.Wait()
		var errs []error
		if s.http != nil {
			// Requests under way get a moment to finish. Shutdown also
			// waits up to 5 s for connections a client opened and never
			// used (net/http counts them as active while they are new),
			// which would hold every process exit: those are closed.
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			if err := s.http.Shutdown(ctx); err != nil {
				errs = append(errs, s.http.Close())
			}
		}
		if s.Firehose != nil {
			errs = append(errs, s.Firehose.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Config returns an aws.Config that points every service at the emulator,
// with static test credentials.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

// hostOnly strips the port from a Host header.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.Trim(host, "[]")
}
