package s3

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

// Service is the emulated S3: an http.Handler for path-style S3 requests.
type Service struct {
	backend gofakes3.Backend
	handler http.Handler
}

// Option configures a Service.
type Option func(*config)

type config struct {
	dir string
	now func() time.Time
}

// WithDir keeps objects as plain files under dir/buckets/<bucket>/<key> (and
// their metadata under dir/metadata), so a
// person can look at them after a run. The default keeps them in memory.
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithClock sets the time source for object timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

type clock func() time.Time

func (c clock) Now() time.Time                  { return c() }
func (c clock) Since(t time.Time) time.Duration { return c().Sub(t) }

// New returns an S3 with no buckets (or with those already under WithDir's folder).
func New(opts ...Option) (*Service, error) {
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	var backend gofakes3.Backend
	if c.dir != "" {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return nil, fmt.Errorf("s3 dir: %w", err)
		}
		b, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), c.dir))
		if err != nil {
			return nil, fmt.Errorf("s3 dir %s: %w", c.dir, err)
		}
		backend = b
	} else {
		backend = s3mem.New(s3mem.WithTimeSource(clock(c.now)))
	}
	faker := gofakes3.New(backend,
		gofakes3.WithTimeSource(clock(c.now)),
		gofakes3.WithAutoBucket(false),
	)
	return &Service{backend: backend, handler: faker.Server()}, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Backend is the gofakes3 storage behind the service.
func (s *Service) Backend() gofakes3.Backend { return s.backend }

// PutObject writes body to bucket/key directly, as another AWS service would.
func (s *Service) PutObject(_ context.Context, bucket, key string, body []byte) error {
	ok, err := s.backend.BucketExists(bucket)
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	if !ok {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, ErrNoSuchBucket)
	}
	if _, err := s.backend.PutObject(bucket, key, nil, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// ErrNoSuchBucket is returned by PutObject for a missing bucket.
var ErrNoSuchBucket = fmt.Errorf("no such bucket")
