package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/mldatalake/mldatalake/emulation/mysql"
)

func open(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestRoundTrip10000Rows(t *testing.T) {
	srv := mysql.NewTestServer(t)
	ctx := t.Context()
	root := open(t, srv.DSN(""))
	if _, err := root.ExecContext(ctx, "CREATE DATABASE shop"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	db := open(t, srv.DSN("shop"))
	if _, err := db.ExecContext(ctx, "CREATE TABLE items (id INT NOT NULL, name VARCHAR(64) NOT NULL, price DECIMAL(4,1), code VARCHAR(7) NULL)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	const n, batch = 10000, 1000
	want := func(i int) (string, string, sql.NullString) {
		var code sql.NullString
		if i%7 != 0 {
			code = sql.NullString{String: fmt.Sprintf("%07d", i), Valid: true}
		}
		return fmt.Sprintf("item, \"%d\" é", i), fmt.Sprintf("%d.%d", i%100, i%2*5), code
	}
	for start := 0; start < n; start += batch {
		var q strings.Builder
		q.WriteString("INSERT INTO items (id, name, price, code) VALUES ")
		args := make([]any, 0, 4*batch)
		for i := start; i < start+batch; i++ {
			if i > start {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?)")
			name, price, code := want(i)
			args = append(args, i, name, price, code)
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			t.Fatalf("insert rows from %d: %v", start, err)
		}
	}
	rows, err := db.QueryContext(ctx, "SELECT id, name, price, code FROM items ORDER BY id")
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		var id int
		var name, price string
		var code sql.NullString
		if err := rows.Scan(&id, &name, &price, &code); err != nil {
			t.Fatalf("scan: %v", err)
		}
		wn, wp, wc := want(id)
		if id != got || name != wn || price != wp || code != wc {
			t.Fatalf("row %d: got (%d,%q,%q,%v), want (%d,%q,%q,%v)", got, id, name, price, code, got, wn, wp, wc)
		}
		got++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	if got != n {
		t.Fatalf("read %d rows, want %d", got, n)
	}
}

func TestIdentifiesItself(t *testing.T) {
	srv := mysql.NewTestServer(t)
	db := open(t, srv.DSN(""))
	var comment string
	if err := db.QueryRowContext(t.Context(), "SELECT @@version_comment").Scan(&comment); err != nil {
		t.Fatalf("version_comment: %v", err)
	}
	if comment != "Dolt" {
		t.Errorf("@@version_comment = %q, want %q", comment, "Dolt")
	}
	if _, err := db.ExecContext(t.Context(), "SELECT dolt_version()"); err == nil {
		t.Errorf("dolt_version() succeeded; the embedded server must be told apart from Dolt")
	}
}

func TestAddrAndDSN(t *testing.T) {
	srv := mysql.NewTestServer(t)
	host, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatalf("Addr %q: %v", srv.Addr(), err)
	}
	if host != "127.0.0.1" || port == "0" {
		t.Errorf("Addr = %q, want 127.0.0.1 and a real port", srv.Addr())
	}
	if want := "root@tcp(" + srv.Addr() + ")/db?"; !strings.HasPrefix(srv.DSN("db"), want) {
		t.Errorf("DSN = %q, want prefix %q", srv.DSN("db"), want)
	}
	// Two servers never fight over a port.
	other := mysql.NewTestServer(t)
	if other.Addr() == srv.Addr() {
		t.Errorf("two servers share %s", srv.Addr())
	}
}

func TestCloseStopsAccepting(t *testing.T) {
	srv, err := mysql.Run(t.Context())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	addr := srv.Addr()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("dial %s after Close succeeded", addr)
	}
}

func TestRunErrors(t *testing.T) {
	t.Run("bad address", func(t *testing.T) {
		srv, err := mysql.Run(t.Context(), mysql.WithAddr("127.0.0.1:-1"))
		if srv != nil {
			defer srv.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "listen") {
			t.Fatalf("err = %v, want a listen error", err)
		}
	})
	t.Run("unknown storage", func(t *testing.T) {
		srv, err := mysql.Run(t.Context(), mysql.WithStorage(mysql.Storage(9)))
		if srv != nil {
			defer srv.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "storage") {
			t.Fatalf("err = %v, want an unknown storage error", err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		srv, err := mysql.Run(ctx)
		if srv != nil {
			defer srv.Close()
		}
		if err == nil {
			t.Fatal("Run with a canceled context succeeded")
		}
	})
}

// logSink records slog messages.
type logSink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, r.Message)
	return nil
}
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *logSink) WithGroup(string) slog.Handler      { return s }

func TestWithLoggerReceivesServerLogs(t *testing.T) {
	sink := &logSink{}
	srv := mysql.NewTestServer(t, mysql.WithLogger(slog.New(sink)))
	db := open(t, srv.DSN(""))
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	db.Close()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.msgs) == 0 {
		t.Fatal("the logger got no go-mysql-server entries for a connection")
	}
}

func BenchmarkEmbeddedMySQLStart(b *testing.B) {
	for b.Loop() {
		srv, err := mysql.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		db, err := sql.Open("mysql", srv.DSN(""))
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Ping(); err != nil {
			b.Fatal(err)
		}
		db.Close()
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMultiStatementResults reads two result sets of one query, large
// enough to be sent in several batches, value by value: the rows the
// server already sent are released as it streams (see streaming), never
// before.
func TestMultiStatementResults(t *testing.T) {
	t.Parallel()
	srv := mysql.NewTestServer(t)
	db := open(t, srv.DSN(""))
	ctx := t.Context()
	q := "SELECT CONCAT('row ', a.n * 100 + b.n) FROM (" + digits(100) + ") a, (" + digits(100) + ") b ORDER BY a.n, b.n; SELECT 'second'"
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var s string
	for i := 0; rows.Next(); i++ {
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("row %d", i); s != want {
			t.Fatalf("row %d = %q, want %q", i, s, want)
		}
	}
	if !rows.NextResultSet() || !rows.Next() {
		t.Fatalf("no second result set: %v", rows.Err())
	}
	if err := rows.Scan(&s); err != nil || s != "second" {
		t.Fatalf("second result = %q, %v", s, err)
	}
	if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatalf("a query after: %v", err)
	}
}

// digits is a derived table of n rows, column n from 0 to n-1.
func digits(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		fmt.Fprintf(&b, "SELECT %d AS n", i)
	}
	return b.String()
}
