// Package mysql runs an embedded MySQL-compatible server for tests and local
// runs: go-mysql-server with its in-memory storage, listening on a loopback
// port and spoken to through github.com/go-sql-driver/mysql exactly like a
// real MySQL server.
//
// A Server feels like net/http/httptest: Run starts it on 127.0.0.1:0, DSN
// gives a go-sql-driver/mysql data source name, Close stops it, and
// NewTestServer does the same for a test and registers the cleanup.
//
// The server has no users or passwords (any user name is accepted) and keeps
// everything in memory: databases are created with CREATE DATABASE and are
// gone when the server closes.
//
// go-mysql-server logs through logrus's process-wide standard logger. This
// package silences it once, when the first server starts, and forwards its
// entries to the slog loggers given with WithLogger (the default discards).
//
// Known limits of go-mysql-server v0.20.0's memory tables:
//   - an INSERT into a table with a PRIMARY KEY or UNIQUE index scans the
//     whole table for every row, so loads slow down quadratically as a keyed
//     table grows (BenchmarkInsertKeys: about 300,000 rows/s keyless, 8,500
//     with a key, at 20,000 rows);
//   - within one statement, new rows are keyed by their primary key values
//     printed one after another, so a multi-row INSERT of (1, 2293) and
//     (12, 293) into PRIMARY KEY (a, b) fails as a duplicate
//     (TestKnownLimitCompositeKeys).
//
// Bulk loaders therefore declare keyless tables on this server and check
// uniqueness themselves (see fixtures/sqlsource). The server identifies
// itself to clients with @@version_comment = "Dolt" and has no
// dolt_version() function.
//
// This package must not import fixtures/ or pipeline/.
package mysql
