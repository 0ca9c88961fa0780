package verify

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// Check is a data test of one's own, in the spirit of dbt's: a query over
// the outputs and the catalog's tables that must return no rows. Every row
// it returns is a failure.
type Check struct {
	// Name is the check's file name ("titles_upper.sql"); its assertion is
	// "checks/" + Name.
	Name string
	SQL  string
}

// CheckRows is how many of a failing check's rows its assertion shows.
const CheckRows = 5

// ReadChecks reads the checks in dir: every .sql file directly in it, in
// name order. A folder that does not exist holds no checks.
func ReadChecks(dir string) ([]Check, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checks: %w", err)
	}
	var checks []Check
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read checks: %w", err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return nil, fmt.Errorf("check %s is empty: write a query that returns the rows that break a rule", filepath.Join(dir, e.Name()))
		}
		checks = append(checks, Check{Name: e.Name(), SQL: string(b)})
	}
	return checks, nil
}

// runChecks loads the tables the checks name into an in-memory DuckDB and
// runs each check as an assertion. The outputs (found by Run, in res.Keys)
// are tables rating_new, movies_new and links_new; the catalog's tables
// (database names.CatalogDatabase in catalogPath) go by their catalog
// names. Every column is VARCHAR, the values' text as the job reads them;
// cast where numbers are compared (rating::DOUBLE). Only the tables a check
// names are loaded.
func runChecks(ctx context.Context, cfg aws.Config, opts Options, names pipeline.Names, res *Result, check func(string, func() error)) error {
	dir, err := os.MkdirTemp("", "verify-checks-")
	if err != nil {
		return fmt.Errorf("checks: make work folder: %w", err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("checks: open DuckDB: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("checks: open DuckDB: %w", err)
	}
	defer conn.Close()
	limit := opts.MemoryLimit
	if limit == "" {
		limit = "4GB"
	}
	for _, q := range []string{"SET temp_directory = " + literal(filepath.Join(dir, "duckdb.tmp")), "SET memory_limit = " + literal(limit)} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("checks: %s: %w", q, err)
		}
	}

	var all strings.Builder
	for _, c := range opts.Checks {
		all.WriteString(c.SQL)
		all.WriteByte('\n')
	}
	named := func(table string) bool {
		return regexp.MustCompile(`(?i)(^|[^a-z0-9_])` + regexp.QuoteMeta(table) + `($|[^a-z0-9_])`).MatchString(all.String())
	}
	clients := pipeline.NewClients(cfg)
	loaded := map[string]bool{}
	for _, out := range Outputs {
		key, ok := res.Keys[out.Name]
		if !ok || !named(out.Name) {
			continue
		}
		file := filepath.Join(dir, out.Name+".csv")
		if err := pipeline.Download(ctx, clients.S3, names.Bucket, key, file, false); err != nil {
			return fmt.Errorf("checks: %w", err)
		}
		q := "CREATE TABLE " + ident(out.Name) + " AS SELECT * FROM read_csv(" + literal(file) +
			", header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("checks: load %s from s3://%s/%s: %w", out.Name, names.Bucket, key, err)
		}
		loaded[out.Name] = true
	}
	if opts.CatalogPath != "" {
		tables, err := catalogTables(ctx, opts.CatalogPath, names.CatalogDatabase)
		if err != nil {
			return fmt.Errorf("checks: %w", err)
		}
		for _, t := range tables {
			if loaded[t.Name] || !named(t.Name) {
				continue
			}
			if err := loadTable(ctx, conn, clients, t); err != nil {
				return fmt.Errorf("checks: load catalog table %s: %w", t.Name, err)
			}
			loaded[t.Name] = true
		}
	}
	for _, c := range opts.Checks {
		check("checks/"+c.Name, func() error { return runCheck(ctx, conn, c) })
	}
	return nil
}

// runCheck runs one check: no rows passes; rows fail, showing how many and
// the first CheckRows of them.
func runCheck(ctx context.Context, conn *sql.Conn, c Check) error {
	rows, err := conn.QueryContext(ctx, c.SQL)
	if err != nil {
		return fmt.Errorf("%s does not run: %w", c.Name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	var (
		n     int64
		first [][]string
	)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		n++
		if len(first) == CheckRows {
			continue
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = text(v)
		}
		first = append(first, row)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	if n == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s returned %d rows, want none; the first %d:\n", c.Name, n, len(first))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "    %s\n", strings.Join(cols, "\t"))
	for _, row := range first {
		fmt.Fprintf(tw, "    %s\n", strings.Join(row, "\t"))
	}
	tw.Flush()
	return errors.New(strings.TrimRight(b.String(), "\n"))
}

func text(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(v)
	}
}

func catalogTables(ctx context.Context, path, database string) (_ []datacatalog.Table, err error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	store, err := datacatalog.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	return store.Tables(ctx, database)
}

// loadTable loads a catalog table's data into a DuckDB table of its name,
// every column (data columns, then partition keys) VARCHAR: a DynamoDB
// table by Scan, an S3 table of JSON lines by reading every object under
// its location (a line that is not a JSON object is skipped; an attribute
// is matched to a column case-insensitively).
func loadTable(ctx context.Context, conn *sql.Conn, clients *pipeline.Clients, t datacatalog.Table) error {
	cols := make([]string, 0, len(t.Columns)+len(t.PartitionKeys))
	for _, c := range slices.Concat(t.Columns, t.PartitionKeys) {
		cols = append(cols, c.Name)
	}
	if len(cols) == 0 {
		cols = []string{"_empty"} // a table crawled with no records has no columns
	}
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = ident(c) + " VARCHAR"
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+ident(t.Name)+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return err
	}
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c] = i
	}
	return conn.Raw(func(dc any) (err error) {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("DuckDB connection is a %T", dc)
		}
		app, err := duckdb.NewAppender(dconn, "", "", t.Name)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, app.Close()) }()
		row := make([]driver.Value, len(cols))
		switch t.Classification {
		case datacatalog.ClassificationDynamoDB:
			table := datacatalog.DynamoDBTableName(t.Location)
			// One segment: the Appender is not safe for concurrent use.
			_, err := pipeline.ScanItems(ctx, clients.DynamoDB, table, 1, func(_ context.Context, _ int, items []map[string]types.AttributeValue) error {
				for _, item := range items {
					clear(row)
					for name, av := range item {
						if i, ok := index[strings.ToLower(name)]; ok && row[i] == nil {
							if s, ok := datacatalog.ItemText(av); ok {
								row[i] = s
							}
						}
					}
					if err := app.AppendRow(row...); err != nil {
						return err
					}
				}
				return nil
			})
			return err
		case datacatalog.ClassificationJSON:
			return appendJSON(ctx, clients.S3, t, index, row, app)
		default:
			return fmt.Errorf("classification %q: checks read dynamodb and json tables", t.Classification)
		}
	})
}

// appendJSON appends the JSON lines of every object under the table's
// location, with the partition keys from the folders below it.
func appendJSON(ctx context.Context, api pipeline.S3API, t datacatalog.Table, index map[string]int, row []driver.Value, app *duckdb.Appender) error {
	bucket, prefix, err := pipeline.ParseS3URI(t.Location)
	if err != nil {
		return err
	}
	objs, err := pipeline.ListObjects(ctx, api, bucket, prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		parts := strings.Split(path.Dir(strings.TrimPrefix(o.Key, prefix)), "/")
		err := pipeline.ReadObject(ctx, api, bucket, o.Key, func(r io.Reader, _ string) error {
			return pipeline.EachLine(r, func(_ int64, line []byte) error {
				var rec map[string]json.RawMessage
				if json.Unmarshal(line, &rec) != nil {
					return nil
				}
				clear(row)
				for k, v := range rec {
					if i, ok := index[strings.ToLower(k)]; ok && row[i] == nil {
						row[i] = jsonText(v)
					}
				}
				for i, pk := range t.PartitionKeys {
					if i < len(parts) && parts[0] != "." {
						row[index[pk.Name]] = parts[i]
					}
				}
				return app.AppendRow(row...)
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonText is a JSON value's text: a string's content, null as NULL, and
// anything else as written.
func jsonText(v json.RawMessage) driver.Value {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if string(v) == "null" {
		return nil
	}
	return string(v)
}

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
func ident(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
