package kinesis

import (
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// Defaults the emulator reports, as LocalStack does.
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "000000000000"
)

// DefaultTransitionDelay is how long a stream stays CREATING (or DELETING)
// before it becomes ACTIVE (or disappears); WithTransitionDelay changes it.
const DefaultTransitionDelay = 500 * time.Millisecond

// Service is the emulated Kinesis. It is an http.Handler for requests whose
// X-Amz-Target starts with "Kinesis_20131202.".
type Service struct {
	mux     *awsproto.Mux
	faults  *fault.Injector
	now     func() time.Time
	log     *slog.Logger
	region  string
	account string
	delay   time.Duration

	seq  atomic.Uint64 // the sequence-number counter shared by all shards
	gens atomic.Uint64 // stream incarnations, so a recreated stream is new

	mu      sync.Mutex
	streams map[string]*stream
}

// Option configures a Service.
type Option func(*Service)

// WithFaults injects partial batch failures from inj.
func WithFaults(inj *fault.Injector) Option { return func(s *Service) { s.faults = inj } }

// WithClock sets the time source of arrival timestamps and iterator expiry.
// State transitions (CREATING to ACTIVE) follow real time regardless.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRegion sets the region and account that appear in stream ARNs.
func WithRegion(region, account string) Option {
	return func(s *Service) { s.region, s.account = region, account }
}

// WithTransitionDelay sets how long streams stay CREATING and DELETING
// (default DefaultTransitionDelay; 0 makes them ACTIVE at once).
func WithTransitionDelay(d time.Duration) Option { return func(s *Service) { s.delay = d } }

// New returns a Kinesis with no streams.
func New(opts ...Option) *Service {
	s := &Service{
		now: time.Now, log: slog.New(slog.DiscardHandler),
		region: DefaultRegion, account: DefaultAccount, delay: DefaultTransitionDelay,
		streams: map[string]*stream{},
	}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewMux(awsproto.Kinesis, awsproto.JSON11)
	s.mux.Handle("CreateStream", awsproto.Typed(s.createStream))
	s.mux.Handle("DeleteStream", awsproto.Typed(s.deleteStream))
	s.mux.Handle("DescribeStream", awsproto.Typed(s.describeStream))
	s.mux.Handle("DescribeStreamSummary", awsproto.Typed(s.describeStreamSummary))
	s.mux.Handle("ListStreams", awsproto.Typed(s.listStreams))
	s.mux.Handle("ListShards", awsproto.Typed(s.listShards))
	s.mux.Handle("PutRecord", awsproto.Typed(s.putRecord))
	s.mux.Handle("PutRecords", awsproto.Typed(s.putRecords))
	s.mux.Handle("GetShardIterator", awsproto.Typed(s.getShardIterator))
	s.mux.Handle("GetRecords", awsproto.Typed(s.getRecords))
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// StreamARN returns the ARN the emulator gives the stream called name.
func (s *Service) StreamARN(name string) string {
	return "arn:aws:kinesis:" + s.region + ":" + s.account + ":stream/" + name
}

// streamNameFromARN extracts the name from "arn:aws:kinesis:REGION:ACCOUNT:stream/NAME".
func streamNameFromARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesis" {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "stream/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// resolveName picks the stream name from a request that may give a name,
// an ARN or both.
func resolveName(name, arn string) (string, error) {
	switch {
	case name == "" && arn == "":
		return "", awsproto.InvalidArgument("Either StreamName or StreamARN should be provided.")
	case arn == "":
		return name, nil
	}
	n, ok := streamNameFromARN(arn)
	if !ok {
		return "", awsproto.Validation("1 validation error detected: Value '%s' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", arn)
	}
	if name != "" && name != n {
		return "", awsproto.InvalidArgument("StreamARN %s and StreamName %s do not refer to the same stream.", arn, name)
	}
	return n, nil
}

// lookup returns the stream called name, dropping streams whose deletion has
// completed. It does not check the status.
func (s *Service) lookup(name string) (*stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st != nil && st.gone(s.delay) {
		delete(s.streams, name)
		st = nil
	}
	if st == nil {
		return nil, s.notFound(name)
	}
	return st, nil
}

// active returns the stream called name if it is ACTIVE; records can be
// neither written to nor read from a stream in another state.
func (s *Service) active(name string) (*stream, error) {
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	if st.status(s.delay) != statusActive {
		return nil, s.notFound(name)
	}
	return st, nil
}

func (s *Service) notFound(name string) error {
	return awsproto.NotFound("Stream %s under account %s not found.", name, s.account)
}

// names returns the names of the streams that still exist, sorted.
func (s *Service) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.streams))
	for n, st := range s.streams {
		if st.gone(s.delay) {
			delete(s.streams, n)
			continue
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
