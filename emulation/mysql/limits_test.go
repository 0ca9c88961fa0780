package mysql_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation/mysql"
)

// TestKnownLimitCompositeKeys pins a go-mysql-server v0.20.0 bug of its
// memory tables (StorageMemory), which the column store does not have
// (TestStorageDifferences): within one statement a memory table keys the
// new rows by their primary key values printed one after another, so
// (1, 2293) and (12, 293) collide and a multi-row INSERT of both is
// refused as a duplicate. If this test fails, the bug is fixed: update
// this package's documentation.
func TestKnownLimitCompositeKeys(t *testing.T) {
	t.Parallel()
	srv := mysql.NewTestServer(t, mysql.WithStorage(mysql.StorageMemory))
	db := open(t, srv.DSN(""))
	ctx := t.Context()
	for _, q := range []string{
		"CREATE DATABASE k",
		"CREATE TABLE k.r (userId INT NOT NULL, movieId INT NOT NULL, PRIMARY KEY (userId, movieId))",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// One row at a time is fine: a row already in the table is compared
	// column by column.
	for _, q := range []string{"INSERT INTO k.r VALUES (1, 2293)", "INSERT INTO k.r VALUES (12, 293)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err := db.ExecContext(ctx, "INSERT INTO k.r VALUES (3, 4455), (34, 455)")
	if err == nil || !strings.Contains(err.Error(), "duplicate primary key") {
		t.Fatalf("inserting (3, 4455) and (34, 455) in one statement: err = %v; go-mysql-server no longer conflates them, update the docs", err)
	}
}

// BenchmarkInsertKeys loads 20,000 rows in 1,000-row INSERTs into a table
// without and with a primary key, in each storage: a keyed memory table
// scans all its rows for every row inserted; the column store checks the
// key with a hash index.
func BenchmarkInsertKeys(b *testing.B) {
	const rows, batch = 20_000, 1_000
	for _, tc := range []struct {
		name    string
		storage mysql.Storage
		ddl     string
	}{
		{"memory/keyless", mysql.StorageMemory, "CREATE TABLE t (id INT NOT NULL, v VARCHAR(20))"},
		{"memory/primary-key", mysql.StorageMemory, "CREATE TABLE t (id INT NOT NULL, v VARCHAR(20), PRIMARY KEY (id))"},
		{"compact/keyless", mysql.StorageCompact, "CREATE TABLE t (id INT NOT NULL, v VARCHAR(20))"},
		{"compact/primary-key", mysql.StorageCompact, "CREATE TABLE t (id INT NOT NULL, v VARCHAR(20), PRIMARY KEY (id))"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := mysql.NewTestServer(b, mysql.WithStorage(tc.storage))
			db := open(b, srv.DSN(""))
			if _, err := db.Exec("CREATE DATABASE d"); err != nil {
				b.Fatal(err)
			}
			db = open(b, srv.DSN("d"))
			var stmts []string
			for start := 0; start < rows; start += batch {
				var q strings.Builder
				q.WriteString("INSERT INTO t VALUES ")
				for i := start; i < start+batch; i++ {
					if i > start {
						q.WriteByte(',')
					}
					fmt.Fprintf(&q, "(%d,'v%d')", i, i)
				}
				stmts = append(stmts, q.String())
			}
			n := 0
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				if _, err := db.Exec("DROP TABLE IF EXISTS t"); err != nil {
					b.Fatal(err)
				}
				if _, err := db.Exec(tc.ddl); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				for _, q := range stmts {
					if _, err := db.Exec(q); err != nil {
						b.Fatal(err)
					}
				}
				elapsed += time.Since(start)
				n += rows
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		})
	}
}
