// Package dynamodb emulates Amazon DynamoDB's JSON 1.0 protocol in memory.
package dynamodb

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// Service is the emulated DynamoDB. It is an http.Handler for requests whose
// X-Amz-Target starts with "DynamoDB_20120810.".
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

// New returns an empty DynamoDB.
func New(opts ...Option) *Service {
	s := &Service{now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewMux(awsproto.DynamoDB, awsproto.JSON10DynamoDB)
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }
