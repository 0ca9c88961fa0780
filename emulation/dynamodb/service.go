package dynamodb

import (
	"context"
	"errors"
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
// X-Amz-Target starts with "DynamoDB_20120810."; Streams returns the handler
// of DynamoDB Streams ("DynamoDBStreams_20120810.").
type Service struct {
	mux         *awsproto.Mux
	streamsMux  *awsproto.Mux
	backend     Backend
	faults      *fault.Injector
	now         func() time.Time
	log         *slog.Logger
	statusDelay time.Duration

	mu     sync.Mutex
	tables map[string]*table
	nextID uint64

	streams *streamStore
	tokens  *tokenCache
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

// WithBackend sets where items are stored; the default is NewMemory().
func WithBackend(b Backend) Option { return func(s *Service) { s.backend = b } }

// WithStatusDelay sets how long a table stays CREATING after CreateTable,
// DELETING after DeleteTable and UPDATING after UpdateTable, and a new
// global secondary index CREATING. The default, 0, still answers
// CreateTable with CREATING and DeleteTable with DELETING, but every later
// request sees the table ACTIVE, or gone; so the SDK's waiters return on
// their first poll. While a table is CREATING or DELETING, item operations
// on it fail with ResourceNotFoundException, as on AWS.
func WithStatusDelay(d time.Duration) Option { return func(s *Service) { s.statusDelay = d } }

// New returns an empty DynamoDB.
func New(opts ...Option) *Service {
	s := &Service{now: time.Now, log: slog.New(slog.DiscardHandler), tables: map[string]*table{}}
	for _, o := range opts {
		o(s)
	}
	if s.backend == nil {
		s.backend = NewMemory()
	}
	s.streams = newStreamStore()
	s.tokens = newTokenCache()
	s.mux = awsproto.NewMux(awsproto.DynamoDB, awsproto.JSON10DynamoDB)
	s.mux.Handle("CreateTable", typed(s.createTable))
	s.mux.Handle("DescribeTable", typed(s.describeTable))
	s.mux.Handle("UpdateTable", typed(s.updateTable))
	s.mux.Handle("DeleteTable", typed(s.deleteTable))
	s.mux.Handle("ListTables", typed(s.listTables))
	s.mux.Handle("PutItem", typed(s.putItem))
	s.mux.Handle("GetItem", typed(s.getItem))
	s.mux.Handle("UpdateItem", typed(s.updateItem))
	s.mux.Handle("DeleteItem", typed(s.deleteItem))
	s.mux.Handle("BatchWriteItem", s.batchWriteItem)
	s.mux.Handle("BatchGetItem", typed(s.batchGetItem))
	s.mux.Handle("Scan", typed(s.scan))
	s.mux.Handle("Query", typed(s.query))
	s.mux.Handle("TransactWriteItems", typed(s.transactWriteItems))
	s.mux.Handle("TransactGetItems", typed(s.transactGetItems))
	s.mux.Handle("UpdateTimeToLive", typed(s.updateTimeToLive))
	s.mux.Handle("DescribeTimeToLive", typed(s.describeTimeToLive))
	s.mux.Handle("TagResource", typed(s.tagResource))
	s.mux.Handle("UntagResource", typed(s.untagResource))
	s.mux.Handle("ListTagsOfResource", typed(s.listTagsOfResource))
	s.mux.Handle("DescribeEndpoints", typed(s.describeEndpoints))
	s.mux.Handle("DescribeLimits", typed(s.describeLimits))
	s.mux.Handle("ExecuteStatement", typed(s.executeStatement))
	s.mux.Handle("BatchExecuteStatement", typed(s.batchExecuteStatement))
	s.mux.Handle("ExecuteTransaction", typed(s.executeTransaction))
	s.streamsMux = awsproto.NewMux(awsproto.DynamoDBStreams, awsproto.JSON10DynamoDBStreams)
	s.streamsMux.Handle("ListStreams", typed(s.listStreams))
	s.streamsMux.Handle("DescribeStream", typed(s.describeStream))
	s.streamsMux.Handle("GetShardIterator", typed(s.getShardIterator))
	s.streamsMux.Handle("GetRecords", typed(s.getRecords))
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Streams returns the handler of DynamoDB Streams, which reads the change
// records of the tables whose stream is enabled.
func (s *Service) Streams() http.Handler { return s.streamsMux }

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
	s.dropLocked(t)
	return true
}

// dropLocked forgets a deleted table and its items.
func (s *Service) dropLocked(t *table) {
	if s.tables[t.name] == t {
		delete(s.tables, t.name)
	}
	if err := s.backend.DropTable(context.Background(), t.name); err != nil && !errors.Is(err, ErrNoTable) {
		s.log.Warn("drop table", "table", t.name, "err", err)
	}
	s.streams.closeTable(t.name, s.now())
}

// lookup returns the table called name in any status.
func (s *Service) lookup(name string) (*table, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tables[name]
	if !ok || s.goneLocked(t, s.now()) {
		return nil, false
	}
	return t, true
}

// activeTable returns the table for an item operation: it must exist and not
// be CREATING or DELETING, or the answer is ResourceNotFoundException as on
// AWS.
func (s *Service) activeTable(name string) (*table, error) {
	t, ok := s.lookup(name)
	if !ok {
		return nil, awsproto.NotFound(msgNotFound)
	}
	if st := s.statusOf(t, s.now()); st == statusCreating || st == statusDeleting {
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

// backendErr turns a Backend's error into the protocol's: a table dropped
// between the lookup and the read is not found.
func backendErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *awsproto.Error
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, ErrNoTable) {
		return awsproto.NotFound(msgNotFound)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return awsproto.Errorf(http.StatusBadRequest, "RequestCanceled", "request cancelled: %v", err)
	}
	return err
}

type describeEndpointsOutput struct {
	Endpoints []endpoint `json:"Endpoints"`
}

type endpoint struct {
	Address              string `json:"Address"`
	CachePeriodInMinutes int64  `json:"CachePeriodInMinutes"`
}

func (s *Service) describeEndpoints(ctx context.Context, _ *struct{}) (*describeEndpointsOutput, error) {
	return &describeEndpointsOutput{Endpoints: []endpoint{{Address: "dynamodb." + Region + ".amazonaws.com", CachePeriodInMinutes: 1440}}}, nil
}

type describeLimitsOutput struct {
	AccountMaxReadCapacityUnits  int64 `json:"AccountMaxReadCapacityUnits"`
	AccountMaxWriteCapacityUnits int64 `json:"AccountMaxWriteCapacityUnits"`
	TableMaxReadCapacityUnits    int64 `json:"TableMaxReadCapacityUnits"`
	TableMaxWriteCapacityUnits   int64 `json:"TableMaxWriteCapacityUnits"`
}

func (s *Service) describeLimits(ctx context.Context, _ *struct{}) (*describeLimitsOutput, error) {
	return &describeLimitsOutput{80000, 80000, 40000, 40000}, nil
}
