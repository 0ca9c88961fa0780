// Package mysql runs an embedded MySQL-compatible server for tests and local
// runs: go-mysql-server, listening on a loopback port and spoken to through
// github.com/go-sql-driver/mysql exactly like a real MySQL server.
//
// A Server feels like net/http/httptest: Run starts it on 127.0.0.1:0, DSN
// gives a go-sql-driver/mysql data source name, Close stops it, and
// NewTestServer does the same for a test and registers the cleanup.
//
// The server has no users or passwords (any user name is accepted) and keeps
// everything in memory: databases are created with CREATE DATABASE and are
// gone when the server closes.
//
// # Storage
//
// By default (StorageCompact) tables keep their rows in the column store of
// package emulation/mysql/colstore: typed column chunks, 18 bytes for a
// MovieLens rating plus about 10 for its primary-key index, where
// go-mysql-server's memory tables take about 190 (every value boxed in an
// interface) and copy a table's rows on each statement, so that inserts
// slow down as the table grows. MovieLens 20M's 16 million source rows take
// under 0.5 GiB. Primary keys are checked with a hash index (a duplicate is
// error 1062, as on MySQL), scans stream from a snapshot, and COUNT(*) of a
// keyed table is the stored count. Tables of other column types (dates,
// JSON, ...) or with AUTO_INCREMENT stay in the memory tables; secondary
// indexes, checks and ALTER TABLE move an empty table there and are refused
// on one with rows. The column store has no transactions: each statement is
// applied when it ends (see colstore). WithStorage(StorageMemory) keeps
// every table in the memory tables, as before.
//
// Multi-row INSERTs of literal values, what bulk loaders send, are parsed by
// a fast path that builds the same syntax tree as go-mysql-server's
// generated parser (which spends more time on such a statement than the
// insert does); other statements go to the generated parser. A multi-row
// INSERT then costs about 1.5 times the CPU of LOAD DATA INFILE per row
// (go-mysql-server binds every literal), and both take constant time per
// row as the table grows.
//
// Results stream: go-mysql-server keeps the text of every row of a
// text-protocol result until the query ends (its test for releasing the
// rows already sent is inverted), which a handler wrapper works around, so
// a full scan of MovieLens 20M's ratings holds a few MB of rows at a time
// rather than 400 (TestRatingsHeapPerRow checks it; BenchmarkScanRatings
// measures the rate, beside the memory tables).
//
// go-mysql-server logs through logrus's process-wide standard logger. This
// package silences it once, when the first server starts, and forwards its
// entries to the slog loggers given with WithLogger (the default discards).
// Its engine also resets process-wide status variables when it is built, so
// servers are built one at a time.
//
// Known limits of go-mysql-server v0.20.0's memory tables (StorageMemory),
// which the column store does not have:
//   - an INSERT into a table with a PRIMARY KEY or UNIQUE index scans the
//     whole table for every row, so loads slow down quadratically as a keyed
//     table grows (BenchmarkInsertKeys);
//   - within one statement, new rows are keyed by their primary key values
//     printed one after another, so a multi-row INSERT of (1, 2293) and
//     (12, 293) into PRIMARY KEY (a, b) fails as a duplicate
//     (TestKnownLimitCompositeKeys).
//
// The server identifies itself to clients with @@version_comment = "Dolt"
// and has no dolt_version() function.
//
// This package must not import fixtures/ or pipeline/.
package mysql
