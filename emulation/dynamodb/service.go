package dynamodb

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// Region and Account appear in table ARNs.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Service is the emulated DynamoDB. It is an http.Handler for requests whose
// X-Amz-Target starts with "DynamoDB_20120810.".
type Service struct {
	mux         *awsproto.Mux
	faults      *fault.Injector
	now         func() time.Time
	log         *slog.Logger
	statusDelay time.Duration

	mu     sync.Mutex
	tables map[string]*table
	nextID uint64
}

// Option configures a Service.
type Option func(*Service)

// WithFaults injects partial batch failures from inj: each BatchWriteItem
// entry for which inj rolls fault.Partial is returned in UnprocessedItems.
func WithFaults(inj *fault.Injector) Option { return func(s *Service) { s.faults = inj } }

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithStatusDelay sets how long a table stays CREATING after CreateTable and
// DELETING after DeleteTable. The default, 0, still answers CreateTable with
// CREATING and DeleteTable with DELETING, but every later request sees the
// table ACTIVE, or gone; so the SDK's waiters return on their first poll.
// While a table is CREATING or DELETING, item operations on it fail with
// ResourceNotFoundException, as on AWS.
func WithStatusDelay(d time.Duration) Option { return func(s *Service) { s.statusDelay = d } }

// New returns an empty DynamoDB.
func New(opts ...Option) *Service {
	s := &Service{now: time.Now, log: slog.New(slog.DiscardHandler), tables: map[string]*table{}}
	for _, o := range opts {
		o(s)
	}
	s.mux = awsproto.NewMux(awsproto.DynamoDB, awsproto.JSON10DynamoDB)
	s.mux.Handle("CreateTable", awsproto.Typed(s.createTable))
	s.mux.Handle("DescribeTable", awsproto.Typed(s.describeTable))
	s.mux.Handle("DeleteTable", awsproto.Typed(s.deleteTable))
	s.mux.Handle("ListTables", awsproto.Typed(s.listTables))
	s.mux.Handle("PutItem", awsproto.Typed(s.putItem))
	s.mux.Handle("GetItem", awsproto.Typed(s.getItem))
	s.mux.Handle("DeleteItem", awsproto.Typed(s.deleteItem))
	s.mux.Handle("BatchWriteItem", s.batchWriteItem)
	s.mux.Handle("BatchGetItem", awsproto.Typed(s.batchGetItem))
	s.mux.Handle("Scan", awsproto.Typed(s.scan))
	s.mux.Handle("Query", awsproto.Typed(s.query))
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Tables returns the names of the tables that exist, sorted.
func (s *Service) Tables() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	names := make([]string, 0, len(s.tables))
	for n, t := range s.tables {
		if !s.goneLocked(t, now) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// goneLocked reports whether t finished deleting, removing it if so.
func (s *Service) goneLocked(t *table, now time.Time) bool {
	if t.deleting.IsZero() || now.Sub(t.deleting) < s.statusDelay {
		return false
	}
	delete(s.tables, t.name)
	return true
}

// lookup returns the table called name in any status.
func (s *Service) lookup(name string) (*table, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tables[name]
	if !ok {
		return nil, "", false
	}
	now := s.now()
	if s.goneLocked(t, now) {
		return nil, "", false
	}
	return t, s.statusLocked(t, now), true
}

func (s *Service) statusLocked(t *table, now time.Time) string {
	switch {
	case !t.deleting.IsZero():
		return statusDeleting
	case now.Sub(t.created) < s.statusDelay:
		return statusCreating
	}
	return statusActive
}

// activeTable returns the table for an item operation: it must exist and be
// ACTIVE, or the answer is ResourceNotFoundException as on AWS.
func (s *Service) activeTable(name *string) (*table, error) {
	if err := validateTableName(name); err != nil {
		return nil, err
	}
	t, st, ok := s.lookup(*name)
	if !ok || st != statusActive {
		return nil, awsproto.NotFound(msgNotFound)
	}
	return t, nil
}

// ctxErr turns a cancelled request into an error.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return awsproto.Errorf(http.StatusBadRequest, "RequestCanceled", "request cancelled: %v", err)
	}
	return nil
}
