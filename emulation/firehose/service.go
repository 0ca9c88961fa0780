package firehose

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/mldatalake/mldatalake/emulation/clock"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/emulation/kinesis"
)

// ObjectStore is where delivered objects go: the emulated S3.
type ObjectStore interface {
	// PutObject writes body to bucket/key. It fails if the bucket does not exist.
	PutObject(ctx context.Context, bucket, key string, body []byte) error
}

// Defaults of the emulator.
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "000000000000"
	// DefaultTransitionDelay is how long a delivery stream stays CREATING
	// (or DELETING).
	DefaultTransitionDelay = 500 * time.Millisecond
	// DefaultRetryDuration is how long a failing S3 write is retried before
	// the objects go under ErrorOutputPrefix. AWS retries for up to 24 hours;
	// an emulator should give up sooner.
	DefaultRetryDuration = 30 * time.Second
)

// Service is the emulated Firehose. It is an http.Handler for requests whose
// X-Amz-Target starts with "Firehose_20150804.".
type Service struct {
	mux      *awsproto.Mux
	kinesis  *kinesis.Service
	store    ObjectStore
	faults   *fault.Injector
	clock    clock.Clock
	log      *slog.Logger
	region   string
	account  string
	delay    time.Duration
	retryFor time.Duration

	mu        sync.Mutex
	streams   map[string]*deliveryStream
	closed    bool
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Option configures a Service.
type Option func(*Service)

// WithFaults injects partial batch failures from inj.
func WithFaults(inj *fault.Injector) Option { return func(s *Service) { s.faults = inj } }

// WithClock sets the time source: arrival times (hence object keys),
// buffering intervals, state transitions, retries and the firehose_start
// fault all follow it.
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRegion sets the region and account that appear in ARNs.
func WithRegion(region, account string) Option {
	return func(s *Service) { s.region, s.account = region, account }
}

// WithTransitionDelay sets how long delivery streams stay CREATING and
// DELETING (default DefaultTransitionDelay).
func WithTransitionDelay(d time.Duration) Option { return func(s *Service) { s.delay = d } }

// WithRetryDuration sets how long a failing S3 write is retried (default
// DefaultRetryDuration).
func WithRetryDuration(d time.Duration) Option { return func(s *Service) { s.retryFor = d } }

// New returns a Firehose that reads Kinesis-sourced streams from ks and
// writes objects to store.
func New(ks *kinesis.Service, store ObjectStore, opts ...Option) *Service {
	s := &Service{
		kinesis: ks, store: store, clock: clock.Real(), log: slog.New(slog.DiscardHandler),
		region: DefaultRegion, account: DefaultAccount,
		delay: DefaultTransitionDelay, retryFor: DefaultRetryDuration,
		streams: map[string]*deliveryStream{},
	}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewMux(awsproto.Firehose, awsproto.JSON11)
	s.mux.Handle("CreateDeliveryStream", awsproto.Typed(s.createDeliveryStream))
	s.mux.Handle("DescribeDeliveryStream", awsproto.Typed(s.describeDeliveryStream))
	s.mux.Handle("ListDeliveryStreams", awsproto.Typed(s.listDeliveryStreams))
	s.mux.Handle("DeleteDeliveryStream", awsproto.Typed(s.deleteDeliveryStream))
	s.mux.Handle("PutRecord", awsproto.Typed(s.putRecord))
	s.mux.Handle("PutRecordBatch", awsproto.Typed(s.putRecordBatch))
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops every delivery stream, delivering what is buffered first (one
// write attempt each, then ErrorOutputPrefix). It is safe to call twice.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for _, d := range s.streams {
			d.stopOnce.Do(func() { close(d.stop) })
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return nil
}

// Stats counts what a delivery stream did with its records.
type Stats struct {
	// RecordsIn counts records accepted by PutRecord(Batch) or read from the
	// source Kinesis stream.
	RecordsIn int64
	// RecordsDelivered and BytesDelivered count records (and their bytes,
	// before compression) in objects written under Prefix.
	RecordsDelivered int64
	BytesDelivered   int64
	// ObjectsWritten counts objects written under Prefix.
	ObjectsWritten int64
	// WriteRetries counts S3 writes that failed and were retried.
	WriteRetries int64
	// ErrorObjects and ErrorRecords count objects (and their records) that
	// could not be written under Prefix and went under ErrorOutputPrefix.
	ErrorObjects int64
	ErrorRecords int64
	// RecordsDropped counts records that neither write could store; each
	// such loss is also logged at error level.
	RecordsDropped int64
	// Reading says a Kinesis-sourced stream's reader has started (at once,
	// or after the firehose_start fault's delay).
	Reading bool
}

// Stats returns the counters of the delivery stream called name, and false
// if there is no such stream.
func (s *Service) Stats(name string) (Stats, bool) {
	s.mu.Lock()
	d := s.streams[name]
	s.mu.Unlock()
	if d == nil {
		return Stats{}, false
	}
	return d.stats.snapshot(), true
}

func (s *Service) arn(name string) string {
	return "arn:aws:firehose:" + s.region + ":" + s.account + ":deliverystream/" + name
}

func (s *Service) notFound(name string) error {
	return awsproto.NotFound("Firehose %s under account %s not found.", name, s.account)
}

// lookup returns the delivery stream called name, in any state.
func (s *Service) lookup(name string) (*deliveryStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.streams[name]
	if d == nil {
		return nil, s.notFound(name)
	}
	return d, nil
}

func (s *Service) sortedNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.streams))
	for n := range s.streams {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
