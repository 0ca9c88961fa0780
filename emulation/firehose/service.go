// Package firehose emulates Amazon Data Firehose's JSON 1.1 protocol: delivery
// streams fed by a Kinesis stream or by direct puts, buffered and written to
// the emulated S3 with AWS's key layout.
package firehose

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/emulation/kinesis"
)

// ObjectStore is where delivered objects go: the emulated S3.
type ObjectStore interface {
	// PutObject writes body to bucket/key. It fails if the bucket does not exist.
	PutObject(ctx context.Context, bucket, key string, body []byte) error
}

// Service is the emulated Firehose. It is an http.Handler for requests whose
// X-Amz-Target starts with "Firehose_20150804.".
type Service struct {
	mux     *awsproto.Mux
	kinesis *kinesis.Service
	store   ObjectStore
	faults  *fault.Injector
	now     func() time.Time
	log     *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithFaults injects partial batch failures from inj.
func WithFaults(inj *fault.Injector) Option { return func(s *Service) { s.faults = inj } }

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Firehose that reads Kinesis-sourced streams from ks and
// writes objects to store.
func New(ks *kinesis.Service, store ObjectStore, opts ...Option) *Service {
	s := &Service{kinesis: ks, store: store, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewMux(awsproto.Firehose, awsproto.JSON11)
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops every delivery stream, delivering what is buffered first.
func (s *Service) Close() error { return nil }
