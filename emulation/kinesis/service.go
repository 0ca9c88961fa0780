// Package kinesis emulates Amazon Kinesis Data Streams' JSON 1.1 protocol in memory.
package kinesis

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// Service is the emulated Kinesis. It is an http.Handler for requests whose
// X-Amz-Target starts with "Kinesis_20131202.".
type Service struct {
	mux    *awsproto.Mux
	faults *fault.Injector
	now    func() time.Time
	log    *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithFaults injects partial batch failures from inj.
func WithFaults(inj *fault.Injector) Option { return func(s *Service) { s.faults = inj } }

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Kinesis with no streams.
func New(opts ...Option) *Service {
	s := &Service{now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewMux(awsproto.Kinesis, awsproto.JSON11)
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }
