package s3

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

// Service is the emulated S3: an http.Handler for path-style S3 requests.
type Service struct {
	backend   gofakes3.Backend
	handler   http.Handler
	multipart *multipart // on disk only: multipart uploads in constant memory
}

// Option configures a Service.
type Option func(*config)

type config struct {
	dir string
	now func() time.Time
}

// WithDir keeps objects as plain files under dir/buckets/<bucket>/<key> (and
// their metadata under dir/metadata), so a person can look at them after a
// run, and the parts of multipart uploads under way under
// dir/multipart/<uploadID>/<N>. The default keeps them in memory.
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
	var (
		backend gofakes3.Backend
		mp      *multipart
	)
	if c.dir != "" {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return nil, fmt.Errorf("s3 dir: %w", err)
		}
		b, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), c.dir))
		if err != nil {
			return nil, fmt.Errorf("s3 dir %s: %w", c.dir, err)
		}
		backend = dirBackend{Backend: b, dir: c.dir}
		if mp, err = newMultipart(backend, filepath.Join(c.dir, "multipart"), c.now); err != nil {
			return nil, fmt.Errorf("s3 dir %s: %w", c.dir, err)
		}
	} else {
		backend = s3mem.New(s3mem.WithTimeSource(clock(c.now)))
	}
	faker := gofakes3.New(backend,
		gofakes3.WithTimeSource(clock(c.now)),
		gofakes3.WithAutoBucket(false),
	)
	return &Service{backend: backend, handler: faker.Server(), multipart: mp}, nil
}

// ServeHTTP answers an S3 request. On disk, the multipart upload operations
// are answered here, with the parts in files; everything else, and
// everything in memory, is gofakes3's.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.multipart != nil && s.multipart.serve(w, r) {
		return
	}
	s.handler.ServeHTTP(w, r)
}

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

// dirBackend is the on-disk backend with S3's semantics for folders: a key
// "a/b/c" is a file in folders a/b that exist only for it, so deleting the
// last object under a folder removes the folder, and a bucket whose objects
// are all deleted is empty (gofakes3's backend leaves the folders, and then
// refuses DeleteBucket with BucketNotEmpty).
type dirBackend struct {
	gofakes3.Backend
	dir string
}

func (b dirBackend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	res, err := b.Backend.DeleteObject(bucket, key)
	if err == nil {
		b.prune(bucket, path.Dir(key))
	}
	return res, err
}

func (b dirBackend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	res, err := b.Backend.DeleteMulti(bucket, keys...)
	for _, d := range res.Deleted {
		b.prune(bucket, path.Dir(d.Key))
	}
	return res, err
}

func (b dirBackend) DeleteBucket(bucket string) error {
	// Folders an earlier version left behind do not make a bucket full.
	for _, root := range []string{"buckets", "metadata"} {
		base := filepath.Join(b.dir, root, bucket)
		var dirs []string
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && p != base {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i]) // fails, as it should, on a folder with files
		}
	}
	return b.Backend.DeleteBucket(bucket)
}

// prune removes the now empty folders of folder (a key's parent) in bucket,
// deepest first, up to the bucket itself, in the objects' tree and in the
// metadata's.
func (b dirBackend) prune(bucket, folder string) {
	if folder == "." || folder == "/" || folder == "" {
		return
	}
	for _, root := range []string{"buckets", "metadata"} {
		for f := folder; f != "." && f != "/" && f != ""; f = path.Dir(f) {
			if err := os.Remove(filepath.Join(b.dir, root, bucket, filepath.FromSlash(f))); err != nil {
				break // not empty, or not there
			}
		}
	}
}
