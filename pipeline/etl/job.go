package etl

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// Labels of the job's inputs in the SQL, and the staging table of each
// DynamoDB input.
const (
	labelRatings = "ratings"
	labelMovies  = "movies"
	labelLinks   = "links"
	labelStream  = "stream"
)

// required lists, per input, the columns the workshop's script selects.
var required = map[string][]string{
	labelRatings: {"userid", "movieid", "rating", "timestamp_c"},
	labelMovies:  {"movieid", "title", "genres"},
	labelLinks:   {"movieid", "imdbid", "tmdbid"},
	labelStream:  {"userid", "movieid", "ratingid", "timestamp"},
}

// outputs are the job's outputs in the order it writes them, each with the
// header the workshop's script gives it.
var outputs = []struct {
	name   string
	header string
	inputs []string
}{
	{pipeline.RatingNew, "userid,movieid,rating,timestamp_c", []string{labelRatings, labelStream}},
	{pipeline.MoviesNew, "movieid,title,genres", []string{labelMovies}},
	{pipeline.LinksNew, "movieid,imdbid,tmdbid", []string{labelLinks}},
}

func stagingTable(label string) string { return "src_" + label }

// job is one ETL run's DuckDB work: an in-memory database with one pinned
// connection, since the temporary tables, macros and variables belong to it.
type job struct {
	db   *sql.DB
	conn *sql.Conn
	dir  string
	log  *slog.Logger
	// scripts are the transform; the built-in one unless Run was given
	// another.
	scripts []Script
}

// newJob opens the job's database; DuckDB spills to dir/duckdb.tmp when it
// needs more than memoryLimit.
func newJob(ctx context.Context, dir, memoryLimit string, log *slog.Logger) (*job, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open DuckDB: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open DuckDB connection: %w", err), db.Close())
	}
	j := &job{db: db, conn: conn, dir: dir, log: log, scripts: BuiltinScripts()}
	if _, err := conn.ExecContext(ctx, "SET temp_directory = "+quoteLiteral(filepath.Join(dir, "duckdb.tmp"))); err != nil {
		return nil, errors.Join(fmt.Errorf("set DuckDB temp_directory: %w", err), j.close())
	}
	if _, err := conn.ExecContext(ctx, "SET memory_limit = "+quoteLiteral(memoryLimit)); err != nil {
		return nil, errors.Join(fmt.Errorf("set DuckDB memory_limit %q: %w", memoryLimit, err), j.close())
	}
	if _, err := conn.ExecContext(ctx, jobScript("prelude.sql")); err != nil {
		return nil, errors.Join(fmt.Errorf("run the job's prelude: %w", err), j.close())
	}
	return j, nil
}

func (j *job) close() error { return errors.Join(j.conn.Close(), j.db.Close()) }

// exec runs one script of the transform.
func (j *job) exec(ctx context.Context, s Script) error {
	if _, err := j.conn.ExecContext(ctx, s.SQL); err != nil {
		return fmt.Errorf("run %s: %w", s.Name, err)
	}
	return nil
}

// setVar sets a DuckDB variable to a string the scripts read with getvariable.
func (j *job) setVar(ctx context.Context, name, value string) error {
	q := "SET VARIABLE " + name + " = " + quoteLiteral(value)
	if _, err := j.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("set %s: %w", name, err)
	}
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// addSource records which catalog table an input label comes from.
func (j *job) addSource(ctx context.Context, label, table, location string) error {
	if _, err := j.conn.ExecContext(ctx, `INSERT INTO sources VALUES (?, ?, ?)`, label, table, location); err != nil {
		return fmt.Errorf("record source %s: %w", table, err)
	}
	return nil
}

// createStaging creates the staging table of a DynamoDB input with every
// column VARCHAR: values keep their text, and only the SQL casts the ids.
func (j *job) createStaging(ctx context.Context, label string, cols []string) error {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quoteIdent(c) + " VARCHAR"
	}
	q := "CREATE OR REPLACE TEMP TABLE " + stagingTable(label) + " (" + strings.Join(defs, ", ") + ")"
	if _, err := j.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create staging table for %s: %w", label, err)
	}
	return nil
}

// appendItems loads pages of DynamoDB items into the staging table of label
// (created with cols) through DuckDB's Appender, until pages is closed. An
// attribute goes to the column of its lower-cased name; attributes without a
// column are dropped, columns without an attribute are NULL. It returns how
// many items it appended.
func (j *job) appendItems(ctx context.Context, label string, cols []string, pages <-chan []map[string]types.AttributeValue) (int64, error) {
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c] = i
	}
	var n int64
	err := j.conn.Raw(func(dc any) (err error) {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("DuckDB connection is a %T", dc)
		}
		app, err := duckdb.NewAppender(conn, "temp", "main", stagingTable(label))
		if err != nil {
			return fmt.Errorf("appender for %s: %w", label, err)
		}
		defer func() {
			// Close flushes: its error is the load's error.
			if cerr := app.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("flush %s: %w", label, cerr))
			}
		}()
		row := make([]driver.Value, len(cols))
		for {
			var (
				page []map[string]types.AttributeValue
				more bool
			)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case page, more = <-pages:
			}
			if !more {
				return nil
			}
			for _, item := range page {
				clear(row)
				for name, av := range item {
					i, ok := index[strings.ToLower(name)]
					if !ok || row[i] != nil {
						continue
					}
					if s, ok := datacatalog.ItemText(av); ok {
						row[i] = s
					}
				}
				if err := app.AppendRow(row...); err != nil {
					return fmt.Errorf("append %s item: %w", label, err)
				}
				n++
			}
		}
	})
	return n, err
}

// stagedFile is a stream object downloaded (and gunzipped) to Path.
type stagedFile struct {
	Path string
	URI  string
}

// loadStream stages the non-blank lines of the downloaded stream objects in
// src_stream through DuckDB's Appender, one object at a time, each line with
// its origin "<uri>:<line number>". Reading line by line keeps memory flat
// however large an object is.
func (j *job) loadStream(ctx context.Context, files []stagedFile) error {
	return j.conn.Raw(func(dc any) (err error) {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("DuckDB connection is a %T", dc)
		}
		app, err := duckdb.NewAppender(conn, "temp", "main", "src_stream")
		if err != nil {
			return fmt.Errorf("appender for the stream: %w", err)
		}
		defer func() {
			if cerr := app.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("flush the stream: %w", cerr))
			}
		}()
		var seq int64
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := appendLines(app, f, &seq); err != nil {
				return err
			}
		}
		return nil
	})
}

func appendLines(app *duckdb.Appender, f stagedFile, seq *int64) error {
	r, err := os.Open(f.Path)
	if err != nil {
		return fmt.Errorf("stream object %s: %w", f.URI, err)
	}
	defer r.Close()
	err = pipeline.EachLine(r, func(n int64, line []byte) error {
		*seq++
		return app.AppendRow(*seq, f.URI+":"+strconv.FormatInt(n, 10), string(line))
	})
	if err != nil {
		return fmt.Errorf("stage stream object %s: %w", f.URI, err)
	}
	return nil
}

// counts are the rows of each input, each output and the rejects.
type counts struct {
	read     map[string]int64 // per input label
	rejected map[string]int64 // per input label
	written  map[string]int64 // per output
	// duplicates counts the stream's deliveries beyond the first of an
	// event id, which the job drops.
	duplicates int64
}

// transform runs the transform's scripts, which write each output to
// dir/<output>.csv, then counts what they read, wrote and dropped, and
// writes the rejects to dir/_rejects.csv (when there are any).
func (j *job) transform(ctx context.Context, dir string) (counts, error) {
	c := counts{read: map[string]int64{}, rejected: map[string]int64{}, written: map[string]int64{}}
	for _, label := range []string{labelRatings, labelMovies, labelLinks, labelStream} {
		n, err := j.count(ctx, stagingTable(label))
		if err != nil {
			return c, err
		}
		c.read[label] = n
	}
	if err := j.conn.QueryRowContext(ctx, jobScript("duplicates.sql")).Scan(&c.duplicates); err != nil {
		return c, fmt.Errorf("count duplicate stream records: %w", err)
	}
	for _, o := range outputs {
		if err := j.setVar(ctx, o.name+"_csv", filepath.Join(dir, o.name+".csv")); err != nil {
			return c, err
		}
	}
	for _, s := range j.scripts {
		if err := j.exec(ctx, s); err != nil {
			return c, err
		}
	}
	for _, o := range outputs {
		n, err := j.countCSV(ctx, o.name, filepath.Join(dir, o.name+".csv"))
		if err != nil {
			return c, err
		}
		c.written[o.name] = n
	}
	total, err := j.countRejects(ctx, c.rejected)
	if err != nil {
		return c, err
	}
	if total > 0 {
		if err := j.setVar(ctx, "rejects_csv", filepath.Join(dir, rejectsFile)); err != nil {
			return c, err
		}
		if _, err := j.conn.ExecContext(ctx, jobScript("rejects.sql")); err != nil {
			return c, fmt.Errorf("write the rejects: %w", err)
		}
	}
	return c, nil
}

// countCSV counts the data rows of the CSV an output's script wrote; none
// written is an error that says where it should be.
func (j *job) countCSV(ctx context.Context, output, path string) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("the transform wrote no %s: its SQL must COPY it TO getvariable('%s_csv') (FORMAT csv, HEADER true): %w", output, output, err)
	}
	var n int64
	q := "SELECT count(*) FROM read_csv(" + quoteLiteral(path) + ", header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"
	if err := j.conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the rows of %s: %w", output, err)
	}
	return n, nil
}

const rejectsFile = "_rejects.csv"

// countRejects fills per with the rejected rows per input label and returns
// their total.
func (j *job) countRejects(ctx context.Context, per map[string]int64) (int64, error) {
	rows, err := j.conn.QueryContext(ctx, `SELECT source, count(*) FROM rejects GROUP BY source`)
	if err != nil {
		return 0, fmt.Errorf("count rejects: %w", err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var (
			label string
			n     int64
		)
		if err := rows.Scan(&label, &n); err != nil {
			return 0, fmt.Errorf("count rejects: %w", err)
		}
		per[label] = n
		total += n
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("count rejects: %w", err)
	}
	return total, nil
}

func (j *job) count(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := j.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}
