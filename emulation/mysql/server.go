package mysql

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"

	gms "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	vmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/sirupsen/logrus"

	"github.com/mldatalake/mldatalake/emulation/mysql/colstore"
)

// Server is an embedded MySQL-compatible server on a loopback port.
type Server struct {
	cfg      config
	listener net.Listener
	srv      *server.Server
	pro      sql.DatabaseProvider
	done     chan struct{}

	closeOnce sync.Once
	closeErr  error
}

type config struct {
	addr    string
	log     *slog.Logger
	storage Storage
}

// Storage is how the server keeps the rows of the tables it creates.
type Storage int

const (
	// StorageCompact keeps rows in typed column chunks (package
	// emulation/mysql/colstore), and falls back to go-mysql-server's memory
	// tables for tables it cannot hold. The default.
	StorageCompact Storage = iota
	// StorageMemory keeps every table in go-mysql-server's memory tables,
	// which box each value and copy rows on each statement.
	StorageMemory
)

func (s Storage) String() string {
	switch s {
	case StorageCompact:
		return "compact"
	case StorageMemory:
		return "memory"
	}
	return fmt.Sprintf("Storage(%d)", int(s))
}

// Option configures a Server.
type Option func(*config)

// WithAddr sets the listen address; the default is 127.0.0.1:0.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithStorage chooses how tables keep their rows; the default is
// StorageCompact.
func WithStorage(st Storage) Option { return func(c *config) { c.storage = st } }

// WithLogger receives go-mysql-server's log entries; the default discards them.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// Run starts a server and returns once it accepts connections. On error the
// returned *Server, if not nil, holds what was acquired: Close it.
func Run(ctx context.Context, opts ...Option) (*Server, error) {
	c := config{addr: "127.0.0.1:0", log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&c)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start embedded mysql: %w", err)
	}
	quietLogrus()
	// LOAD DATA INFILE and LOAD_FILE read only under the system's temporary
	// folder, where loaders stage their files, and not every file this
	// process can read. (A process-wide setting of go-mysql-server.)
	if err := sql.SystemVariables.AssignValues(map[string]any{"secure_file_priv": os.TempDir()}); err != nil {
		return nil, fmt.Errorf("start embedded mysql: secure_file_priv: %w", err)
	}

	var pro sql.DatabaseProvider
	var session func(*sql.BaseSession) sql.Session
	switch c.storage {
	case StorageMemory:
		mp := memory.NewDBProvider()
		pro, session = mp, func(b *sql.BaseSession) sql.Session { return memory.NewSession(b, mp) }
	case StorageCompact:
		cp := colstore.NewProvider(c.log)
		pro, session = cp, func(b *sql.BaseSession) sql.Session { return cp.NewSession(b) }
	default:
		return nil, fmt.Errorf("start embedded mysql: unknown storage %v", c.storage)
	}

	s := &Server{cfg: c, pro: pro, done: make(chan struct{})}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("start embedded mysql: listen %s: %w", c.addr, err)
	}
	s.listener = ln
	forward.add(s, c.log)

	// go-mysql-server's New resets process-wide status variables: one
	// server at a time.
	engineMu.Lock()
	engine := gms.NewDefault(pro)
	engineMu.Unlock()
	engine.Parser = newParser()
	builder := func(_ context.Context, conn *vmysql.Conn, addr string) (sql.Session, error) {
		var client sql.Client
		if u, ok := conn.UserData.(sql.MysqlConnectionUser); ok {
			client = sql.Client{Address: u.Host, User: u.User, Capabilities: conn.Capabilities}
		}
		return session(sql.NewBaseSessionWithClientServer(addr, client, conn.ConnectionID)), nil
	}
	srv, err := server.NewServerWithHandler(server.Config{Protocol: "tcp", Listener: ln}, engine, sql.NewContext, builder, nil,
		func(h vmysql.Handler) (vmysql.Handler, error) { return streaming{h}, nil })
	if err != nil {
		close(s.done)
		return s, fmt.Errorf("start embedded mysql on %s: %w", ln.Addr(), err)
	}
	s.srv = srv
	go func() {
		defer close(s.done)
		if err := srv.Start(); err != nil {
			c.log.Error("embedded mysql stopped", "err", err)
		}
	}()
	c.log.Debug("embedded mysql listening", "addr", ln.Addr().String())
	return s, nil
}

// NewTestServer starts a server for a test and closes it when the test ends.
func NewTestServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Run(context.Background(), opts...)
	if s != nil {
		tb.Cleanup(func() {
			if err := s.Close(); err != nil {
				tb.Errorf("close embedded mysql: %v", err)
			}
		})
	}
	if err != nil {
		tb.Fatalf("start embedded mysql: %v", err)
	}
	return s
}

// Addr is the address the server listens on, "127.0.0.1:PORT".
func (s *Server) Addr() string { return s.listener.Addr().String() }

// DSN returns a go-sql-driver/mysql data source name for database (which may
// be empty: no default database), for user root without a password, e.g.
// "root@tcp(127.0.0.1:PORT)/db?parseTime=false&multiStatements=true&interpolateParams=true".
func (s *Server) DSN(database string) string {
	return fmt.Sprintf("root@tcp(%s)/%s?parseTime=false&multiStatements=true&interpolateParams=true",
		s.Addr(), database)
}

// DropDatabase drops database name, as DROP DATABASE IF EXISTS does, and
// with it the rows its tables held.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	sctx := sql.NewContext(ctx)
	if !s.pro.HasDatabase(sctx, name) {
		return nil
	}
	mp, ok := s.pro.(sql.MutableDatabaseProvider)
	if !ok {
		return fmt.Errorf("drop database %s: the %v storage cannot drop databases", name, s.cfg.storage)
	}
	if err := mp.DropDatabase(sctx, name); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// Close stops accepting connections and waits for the accept loop to end.
// Connections already open are closed by their clients.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		forward.remove(s)
		switch {
		case s.srv != nil:
			s.closeErr = s.srv.Close()
			<-s.done
		case s.listener != nil:
			s.closeErr = s.listener.Close()
		}
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close embedded mysql: %w", s.closeErr)
		}
	})
	return s.closeErr
}

var engineMu sync.Mutex

// quietLogrus turns off logrus's standard output once per process and routes
// its entries to the servers' slog loggers instead.
var quietOnce sync.Once

func quietLogrus() {
	quietOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.AddHook(forward)
	})
}

// forward is the logrus hook that hands entries to every live server's logger.
var forward = &forwarder{loggers: map[*Server]*slog.Logger{}}

type forwarder struct {
	mu      sync.Mutex
	loggers map[*Server]*slog.Logger
}

func (f *forwarder) add(s *Server, l *slog.Logger) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loggers[s] = l
}

func (f *forwarder) remove(s *Server) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.loggers, s)
}

func (f *forwarder) Levels() []logrus.Level { return logrus.AllLevels }

func (f *forwarder) Fire(e *logrus.Entry) error {
	// The server's info lines (every connection opened and closed) are
	// debug detail for us, and so is a failed query: its client gets the
	// error.
	level := slog.LevelDebug
	switch {
	case e.Message == "error running query":
	case e.Level <= logrus.ErrorLevel:
		level = slog.LevelError
	case e.Level == logrus.WarnLevel:
		level = slog.LevelWarn
	}
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	f.mu.Lock()
	loggers := make([]*slog.Logger, 0, len(f.loggers))
	for _, l := range f.loggers {
		if l.Enabled(ctx, level) {
			loggers = append(loggers, l)
		}
	}
	f.mu.Unlock()
	if len(loggers) == 0 {
		return nil
	}
	attrs := make([]slog.Attr, 0, len(e.Data)+1)
	attrs = append(attrs, slog.String("component", "go-mysql-server"))
	for k, v := range e.Data {
		attrs = append(attrs, slog.Any(k, v))
	}
	for _, l := range loggers {
		l.LogAttrs(ctx, level, e.Message, attrs...)
	}
	return nil
}
