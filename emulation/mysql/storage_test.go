package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/mldatalake/mldatalake/emulation/mysql"
)

// result is what a statement did, as text: its rows (NULL as "∅"), or its
// rows affected, or its MySQL error number.
func result(tb testing.TB, db *sql.DB, q string) string {
	tb.Helper()
	ctx := tb.Context()
	upper := strings.ToUpper(strings.TrimSpace(q))
	if strings.HasPrefix(upper, "SELECT") || strings.HasPrefix(upper, "SHOW") {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return errText(tb, err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var b strings.Builder
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatalf("%s: %v", q, err)
			}
			for i, v := range vals {
				if i > 0 {
					b.WriteString(" | ")
				}
				if v.Valid {
					b.WriteString(v.String)
				} else {
					b.WriteString("∅")
				}
			}
			b.WriteString("\n")
		}
		if err := rows.Err(); err != nil {
			return errText(tb, err)
		}
		return b.String()
	}
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		return errText(tb, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("ok, %d rows affected", n)
}

func errText(tb testing.TB, err error) string {
	tb.Helper()
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return fmt.Sprintf("error %d", me.Number)
	}
	return "error: " + err.Error()
}

// storageScript exercises the statements the loaders and DMS use, and the
// others a table answers, on every type the column store holds.
var storageScript = []string{
	"CREATE DATABASE s CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
	"USE s",
	`CREATE TABLE ratings (userId INT NOT NULL, movieId INT NOT NULL, rating DECIMAL(2,1) NOT NULL, ` + "`timestamp`" + ` BIGINT NOT NULL,
		PRIMARY KEY (userId, movieId)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	// Keys that print alike end to end, (1, 2293) and (12, 293), go in
	// separate statements: the memory tables conflate them within one
	// (TestKnownLimitCompositeKeys).
	"INSERT INTO ratings VALUES (1, 2293, 3.0, 964982703), (1, 3, '4.5', '964981247'), (2, 1, 0.5, 1)",
	"INSERT INTO ratings VALUES (12, 293, 5.0, 2)",
	"INSERT INTO ratings VALUES (2, 1, 1.0, 3)",
	"INSERT INTO ratings VALUES (3, 1, 1.0, 3), (3, 1, 2.0, 4)",
	"INSERT IGNORE INTO ratings VALUES (3, 1, 1.0, 3), (2, 1, 2.0, 4)",
	"INSERT INTO ratings VALUES (4, 4, 12.5, 1)",
	"INSERT INTO ratings VALUES (4, 4, NULL, 1)",
	"SELECT * FROM ratings ORDER BY userId, movieId",
	"SELECT COUNT(*) FROM ratings",
	"SELECT rating, `timestamp` FROM ratings WHERE userId = 1 ORDER BY movieId",
	"SELECT SUM(rating), MAX(`timestamp`), AVG(rating) FROM ratings",
	"SELECT userId, COUNT(*) FROM ratings GROUP BY userId ORDER BY userId",
	"REPLACE INTO ratings VALUES (2, 1, 2.5, 9), (5, 5, 1.5, 10)",
	"INSERT INTO ratings VALUES (5, 5, 1.0, 11) ON DUPLICATE KEY UPDATE rating = rating + 1",
	"UPDATE ratings SET rating = 4.0 WHERE userId = 1",
	"UPDATE ratings SET movieId = 3 WHERE userId = 1 AND movieId = 2293",
	"DELETE FROM ratings WHERE movieId = 1",
	"SELECT * FROM ratings ORDER BY userId, movieId",
	"SELECT COUNT(*) FROM ratings",

	`CREATE TABLE links (movieId INT NOT NULL, imdbId VARCHAR(8) NOT NULL, tmdbId INT NULL, PRIMARY KEY (movieId))
		DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	"INSERT INTO links VALUES (1, '0114709', 862), (2, '0113497', NULL), (3, '0000003', '')",
	"INSERT INTO links VALUES (3, '0000003', NULL), (4, '0211915', 194)",
	"SELECT * FROM links ORDER BY movieId",
	"SELECT movieId FROM links WHERE tmdbId IS NULL ORDER BY movieId",

	`CREATE TABLE movies (movieId INT NOT NULL, title VARCHAR(255) NOT NULL, genres VARCHAR(255) NOT NULL, PRIMARY KEY (movieId))
		DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	`INSERT INTO movies VALUES (1, 'Toy Story (1995)', 'Adventure|Animation'), (4, 'Amélie (Fabuleux destin d''Amélie Poulain, Le) (2001)', 'Comedy|Romance'),
		(5, '"Great" Movie, The (2001)', ''), (6, '千と千尋の神隠し 🐉', 'Animation')`,
	"SELECT * FROM movies ORDER BY movieId",
	"SELECT title, LENGTH(title), CHAR_LENGTH(title) FROM movies WHERE title LIKE '%Am%' ORDER BY title",
	"SELECT m.title, l.imdbId FROM movies m JOIN links l ON l.movieId = m.movieId ORDER BY m.movieId",

	// A keyless table of every type the column store holds, with NULLs.
	`CREATE TABLE every (a TINYINT, b SMALLINT, c MEDIUMINT, d INT, e BIGINT, f TINYINT UNSIGNED, g SMALLINT UNSIGNED,
		h MEDIUMINT UNSIGNED, i INT UNSIGNED, j BIGINT UNSIGNED, k FLOAT, l DOUBLE, m DECIMAL(4,2), n DECIMAL(9,3), o DECIMAL(18,6),
		p CHAR(5), q VARCHAR(20), r TEXT, s VARBINARY(10), t BLOB, u ENUM('x','y'), v SET('p','q'), w BIT(8), x YEAR, y BOOLEAN)`,
	`INSERT INTO every VALUES (-128, -32768, -8388608, -2147483648, -9223372036854775808, 255, 65535, 16777215, 4294967295, 18446744073709551615,
		1.5, 2.25, -99.99, 123456.789, 123456789012.345678, 'ab', 'cd ', 'long text', 'bin', 'blob', 'y', 'p,q', b'1010', 2024, true),
		(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -0.5, 1e300, 0.01, 0.001, 0.000001, '', '', '', '', '', 'x', '', 0, 1999, false)`,
	"SELECT * FROM every ORDER BY d",
	"SELECT COUNT(*), COUNT(d), COUNT(q) FROM every",
	"INSERT INTO every (a) VALUES (1000)",
	"DELETE FROM every WHERE d IS NULL",
	"UPDATE every SET q = 'changed' WHERE d = 4",
	"SELECT d, q FROM every ORDER BY d",
	"INSERT INTO every SELECT * FROM every",
	"SELECT COUNT(*) FROM every",
	"DELETE FROM every WHERE d = 4 LIMIT 1",
	"SELECT d, q FROM every ORDER BY d",

	// Keyless duplicates stay duplicates; deleting one of two equal rows.
	"CREATE TABLE tags (userId INT NOT NULL, movieId INT NOT NULL, tag VARCHAR(255) NOT NULL, `timestamp` BIGINT NOT NULL)",
	"INSERT INTO tags VALUES (15, 1, 'pixar', 1), (15, 1, 'pixar', 1), (18, 4, 'Paris ♥', 2)",
	"SELECT * FROM tags ORDER BY userId",
	"DELETE FROM tags WHERE userId = 15 LIMIT 1",
	"SELECT * FROM tags ORDER BY userId",
	"DELETE FROM tags",
	"SELECT COUNT(*) FROM tags",
	"INSERT INTO tags VALUES (1, 1, 'again', 1)",
	"TRUNCATE TABLE tags",
	"SELECT COUNT(*) FROM tags",

	// What the migration asks of information_schema.
	"SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 's' ORDER BY TABLE_NAME",
	"SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = 's' AND TABLE_NAME IN ('ratings', 'links') ORDER BY TABLE_NAME",
	`SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, CHARACTER_SET_NAME, COLLATION_NAME
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 's' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
	`SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = 's' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
	"SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 's' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
	"SHOW CREATE TABLE ratings",
	"SHOW CREATE TABLE every",
	"SHOW TABLES",

	// Tables with what the column store does not hold, and schema changes.
	"CREATE TABLE dated (id INT PRIMARY KEY, at DATETIME, doc JSON)",
	"INSERT INTO dated VALUES (1, '2024-01-02 03:04:05', '{\"a\": 1}')",
	"SELECT * FROM dated",
	"CREATE TABLE indexed (id INT PRIMARY KEY, v VARCHAR(10), KEY v_idx (v), UNIQUE KEY u (v))",
	"INSERT INTO indexed VALUES (1, 'a'), (2, 'b')",
	"INSERT INTO indexed VALUES (3, 'a')",
	"SELECT * FROM indexed WHERE v = 'b'",
	"CREATE TABLE checked (id INT, CHECK (id > 0))",
	"INSERT INTO checked VALUES (-1)",
	"INSERT INTO checked VALUES (1)",
	"SELECT * FROM checked",
	"CREATE TABLE grows (id INT)",
	"ALTER TABLE grows ADD COLUMN v VARCHAR(5)",
	"INSERT INTO grows VALUES (1, 'x')",
	"SELECT * FROM grows",
	"CREATE TABLE auto (id INT AUTO_INCREMENT PRIMARY KEY, v INT)",
	"INSERT INTO auto (v) VALUES (10), (20)",
	"SELECT * FROM auto",
	"RENAME TABLE links TO links2",
	"SELECT * FROM links2 ORDER BY movieId",
	"SELECT * FROM links",
	"DROP TABLE links2",
	"SELECT * FROM links2",
	"CREATE TABLE ratings (a INT)",
	"CREATE TABLE IF NOT EXISTS ratings (a INT)",
	"DROP TABLE ratings, movies",
	"SHOW TABLES",
}

// TestStorageMatchesMemoryTables runs storageScript on the column store
// and on go-mysql-server's memory tables and compares every result.
func TestStorageMatchesMemoryTables(t *testing.T) {
	t.Parallel()
	sink := &tableLog{}
	open2 := func(st mysql.Storage) *sql.DB {
		srv := mysql.NewTestServer(t, mysql.WithStorage(st), mysql.WithLogger(slog.New(sink)))
		db := open(t, srv.DSN(""))
		db.SetMaxOpenConns(1) // USE holds for the script
		return db
	}
	mem, col := open2(mysql.StorageMemory), open2(mysql.StorageCompact)
	for _, q := range storageScript {
		want, got := result(t, mem, q), result(t, col, q)
		if got != want {
			t.Errorf("%s\n column store:\n%s\n memory tables:\n%s", q, got, want)
		}
	}
	// Every other table was in the column store.
	want := map[string]string{
		"dated":   "kept",  // DATETIME, JSON
		"auto":    "kept",  // AUTO_INCREMENT
		"indexed": "moved", // an index
		"checked": "moved", // a check
		"grows":   "moved", // ALTER TABLE
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if !maps.Equal(sink.tables, want) {
		t.Errorf("tables out of the column store: %v, want %v", sink.tables, want)
	}
}

// tableLog records which tables the column store kept out or moved out.
type tableLog struct {
	mu     sync.Mutex
	tables map[string]string
}

func (s *tableLog) Enabled(context.Context, slog.Level) bool { return true }
func (s *tableLog) Handle(_ context.Context, r slog.Record) error {
	var how string
	switch r.Message {
	case "table kept in go-mysql-server's memory tables":
		how = "kept"
	case "table moved to go-mysql-server's memory tables":
		how = "moved"
	default:
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "table" {
			s.mu.Lock()
			if s.tables == nil {
				s.tables = map[string]string{}
			}
			s.tables[a.Value.String()] = how
			s.mu.Unlock()
		}
		return true
	})
	return nil
}
func (s *tableLog) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *tableLog) WithGroup(string) slog.Handler      { return s }

// TestStorageDifferences pins what the column store does differently from
// the memory tables.
func TestStorageDifferences(t *testing.T) {
	t.Parallel()
	srv := mysql.NewTestServer(t)
	db := open(t, srv.DSN(""))
	db.SetMaxOpenConns(1)
	for _, step := range []struct{ q, want string }{
		{"CREATE DATABASE d", "ok, 1 rows affected"},
		{"USE d", "ok, 0 rows affected"},
		{"CREATE TABLE r (userId INT NOT NULL, movieId INT NOT NULL, PRIMARY KEY (userId, movieId))", "ok, 0 rows affected"},
		// The memory tables take these for one key within a statement
		// (TestKnownLimitCompositeKeys).
		{"INSERT INTO r VALUES (1, 2293), (12, 293), (3, 4455), (34, 455)", "ok, 4 rows affected"},
		{"INSERT INTO r VALUES (1, 2293)", "error 1062"},
		{"SELECT COUNT(*) FROM r", "4\n"},
		// No transactions: each statement is applied when it ends.
		{"BEGIN", "ok, 0 rows affected"},
		{"INSERT INTO r VALUES (7, 7)", "ok, 1 rows affected"},
		{"ROLLBACK", "ok, 0 rows affected"},
		{"SELECT COUNT(*) FROM r", "5\n"},
		// Schema changes need an empty table.
		{"CREATE INDEX m ON r (movieId)", "error 1105"},
		{"ALTER TABLE r ADD COLUMN x INT", "error 1105"},
		{"DELETE FROM r", "ok, 5 rows affected"},
		{"ALTER TABLE r ADD COLUMN x INT", "ok, 0 rows affected"},
		{"INSERT INTO r VALUES (1, 1, 1)", "ok, 1 rows affected"},
		{"SELECT * FROM r", "1 | 1 | 1\n"},
	} {
		got := result(t, db, step.q)
		if got != step.want {
			t.Errorf("%s: got %q, want %q", step.q, got, step.want)
		}
	}
	if got := result(t, db, "CREATE INDEX m ON r (movieId)"); got != "ok, 0 rows affected" {
		t.Errorf("index on a moved table: %q", got)
	}
}

// TestStorageErrorNamesTable checks the error for a schema change on a
// column-store table with rows.
func TestStorageErrorNamesTable(t *testing.T) {
	t.Parallel()
	srv := mysql.NewTestServer(t)
	db := open(t, srv.DSN(""))
	ctx := t.Context()
	for _, q := range []string{"CREATE DATABASE e", "CREATE TABLE e.ratings (a INT)", "INSERT INTO e.ratings VALUES (1)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err := db.ExecContext(ctx, "CREATE INDEX a_idx ON e.ratings (a)")
	if err == nil || !strings.Contains(err.Error(), "ratings") || !strings.Contains(err.Error(), "1 rows") || !strings.Contains(err.Error(), "CREATE INDEX a_idx") {
		t.Errorf("err = %v, want it to name the table, its rows and the change", err)
	}
}

// TestStorageLoadData loads a file with LOAD DATA INFILE into both
// storages and compares the rows.
func TestStorageLoadData(t *testing.T) {
	t.Parallel()
	f, err := os.CreateTemp("", "storage-load-*.tsv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(f.Name()) })
	var b strings.Builder
	for i := range 1000 {
		// Keys of fixed widths: the memory tables conflate keys that
		// print alike end to end (TestKnownLimitCompositeKeys).
		fmt.Fprintf(&b, "%d\t%d\t%d.%d\t%d\n", 100+i%97, 1000+i, i%5, i%2*5, 1_000_000_000+i)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	path := filepath.ToSlash(f.Name())
	script := []string{
		"CREATE DATABASE l",
		"CREATE TABLE l.r (userId INT NOT NULL, movieId INT NOT NULL, rating DECIMAL(2,1) NOT NULL, `timestamp` BIGINT NOT NULL, PRIMARY KEY (userId, movieId))",
		"LOAD DATA INFILE '" + path + "' INTO TABLE l.r FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' (userId, movieId, rating, `timestamp`)",
		"SELECT COUNT(*), SUM(rating), SUM(`timestamp`) FROM l.r",
		"SELECT * FROM l.r ORDER BY movieId LIMIT 5",
		"LOAD DATA INFILE '" + path + "' INTO TABLE l.r FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' (userId, movieId, rating, `timestamp`)",
		"SELECT COUNT(*) FROM l.r",
	}
	mem := open(t, mysql.NewTestServer(t, mysql.WithStorage(mysql.StorageMemory)).DSN(""))
	col := open(t, mysql.NewTestServer(t).DSN(""))
	for _, q := range script {
		want, got := result(t, mem, q), result(t, col, q)
		if got != want {
			t.Errorf("%s\n column store:\n%s\n memory tables:\n%s", q, got, want)
		}
	}
}
