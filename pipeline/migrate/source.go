package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
)

// systemSchemas are never loaded, as DMS never selects them.
var systemSchemas = map[string]bool{
	"information_schema": true, "mysql": true, "performance_schema": true, "sys": true,
}

// discover lists the source's base tables that m selects, with their
// columns and primary keys.
func discover(ctx context.Context, db *sql.DB, m *Mapping) ([]Table, error) {
	rows, err := db.QueryContext(ctx,
		"SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'")
	if err != nil {
		return nil, fmt.Errorf("list source tables: %w", err)
	}
	var tables []Table
	for rows.Next() {
		var t Table
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list source tables: %w", err)
		}
		if systemSchemas[strings.ToLower(t.Schema)] {
			continue
		}
		if ok, _ := m.Selects(t.Schema, t.Name); ok {
			tables = append(tables, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list source tables: %w", err)
	}
	rows.Close()
	for i := range tables {
		if err := describe(ctx, db, &tables[i]); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

// describe reads a table's columns and primary key from information_schema.
func describe(ctx context.Context, db *sql.DB, t *Table) error {
	rows, err := db.QueryContext(ctx,
		`SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
		 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, t.Schema, t.Name)
	if err != nil {
		return fmt.Errorf("describe %s.%s: %w", t.Schema, t.Name, err)
	}
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			rows.Close()
			return fmt.Errorf("describe %s.%s: %w", t.Schema, t.Name, err)
		}
		c.Type = strings.ToLower(c.Type)
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("describe %s.%s: %w", t.Schema, t.Name, err)
	}
	rows.Close()
	// The primary key in key order; servers whose KEY_COLUMN_USAGE is empty
	// (go-mysql-server) fall back to COLUMNS.COLUMN_KEY, in column order.
	for _, q := range []string{
		`SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
		`SELECT COLUMN_NAME FROM information_schema.COLUMNS
		 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_KEY = 'PRI' ORDER BY ORDINAL_POSITION`,
	} {
		if err := queryStrings(ctx, db, &t.PrimaryKey, q, t.Schema, t.Name); err != nil {
			return fmt.Errorf("primary key of %s.%s: %w", t.Schema, t.Name, err)
		}
		if len(t.PrimaryKey) > 0 {
			break
		}
	}
	return nil
}

// queryStrings appends the first column of every row to dst.
func queryStrings(ctx context.Context, db *sql.DB, dst *[]string, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*dst = append(*dst, s)
	}
	return rows.Err()
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// selectSQL is the query that streams a plan's columns.
func (p *TablePlan) selectSQL() string {
	cols := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		cols[i] = quoteIdent(c)
	}
	return fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(cols, ", "), quoteIdent(p.Source.Schema), quoteIdent(p.Source.Name))
}

// rowValue is a column's value as the server sent it, as text: b is valid
// until the next row is read; null marks NULL.
type rowValue struct {
	b    []byte
	null bool
	own  []byte // b's storage when the driver's value was not bytes
}

// Scan implements sql.Scanner: the driver's bytes are used as they are,
// anything else converted to text as sql.NullString converts it.
func (v *rowValue) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		v.b, v.null = nil, true
	case []byte:
		v.b, v.null = s, false
	case string:
		v.own = append(v.own[:0], s...)
		v.b, v.null = v.own, false
	default:
		var ns sql.NullString
		if err := ns.Scan(src); err != nil {
			return err
		}
		v.own = append(v.own[:0], ns.String...)
		v.b, v.null = v.own, !ns.Valid
	}
	return nil
}

// nullStrings copies a row as sql.NullStrings.
func nullStrings(row []rowValue) []sql.NullString {
	out := make([]sql.NullString, len(row))
	for i, v := range row {
		out[i] = sql.NullString{String: string(v.b), Valid: !v.null}
	}
	return out
}

// streamRows runs the plan's query on its own connection and calls fn for
// each row, one at a time: the table is never held in memory. Values are read
// as text, exactly as the server sends them, and are valid only until fn
// returns.
func streamRows(ctx context.Context, db *sql.DB, p *TablePlan, log *slog.Logger, fn func([]rowValue) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read %s.%s: %w", p.Source.Schema, p.Source.Name, err)
	}
	defer conn.Close()
	// The result set streams while DynamoDB may make the writers wait; keep
	// the server from giving up on a slow reader. Servers that lack the
	// variable are fine without it.
	if _, err := conn.ExecContext(ctx, "SET SESSION net_write_timeout = 3600"); err != nil {
		log.Debug("set net_write_timeout", "stage", "migrate", "err", err)
	}
	rows, err := conn.QueryContext(ctx, p.selectSQL())
	if err != nil {
		return fmt.Errorf("read %s.%s: %w", p.Source.Schema, p.Source.Name, err)
	}
	defer rows.Close()
	row := make([]rowValue, len(p.Columns))
	dest := make([]any, len(row))
	for i := range row {
		dest[i] = &row[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read %s.%s: %w", p.Source.Schema, p.Source.Name, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s.%s: %w", p.Source.Schema, p.Source.Name, err)
	}
	return nil
}

// countRows is the source side of validation.
func countRows(ctx context.Context, db *sql.DB, t Table) (int64, error) {
	var n int64
	q := fmt.Sprintf("SELECT COUNT(*) FROM %s.%s", quoteIdent(t.Schema), quoteIdent(t.Name))
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s.%s: %w", t.Schema, t.Name, err)
	}
	return n, nil
}
