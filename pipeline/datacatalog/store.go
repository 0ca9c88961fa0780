package datacatalog

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// Classifications of catalog tables, as Glue names them.
const (
	ClassificationJSON     = "json"
	ClassificationDynamoDB = "dynamodb"
)

// ErrNotFound is returned (wrapped) by Store.Table for a table the catalog
// does not have.
var ErrNotFound = errors.New("catalog table not found")

// Column is one column of a catalog table: a lower-cased name and a Glue
// type ("string", "int", "bigint", "double", "boolean", "binary",
// "array<...>", "struct<...>").
type Column struct {
	Name string
	Type string
}

// Table is one table of a catalog database, as a Glue crawler records it.
type Table struct {
	// Database is the catalog database the table belongs to.
	Database string
	// Name is the table's name as Glue gives it: the crawled folder for S3
	// ("firehose"), the table name for DynamoDB, lower-cased with characters
	// other than letters, digits and '_' replaced by '_'.
	Name string
	// Location is "s3://bucket/folder/" for S3 data and the table ARN (or,
	// where the service reports none, the table name) for DynamoDB.
	Location string
	// Classification is ClassificationJSON or ClassificationDynamoDB.
	Classification string
	// Compression is "gzip" when the S3 objects are gzipped, else "none".
	Compression string
	// Columns are the data columns in order.
	Columns []Column
	// PartitionKeys are the folder levels below Location (partition_0,
	// partition_1, ... as Glue names them), all of type string.
	PartitionKeys []Column
	// RecordCount counts the JSON records or DynamoDB items read by the crawl.
	RecordCount int64
	// ObjectCount and SizeBytes describe the S3 objects (zero for DynamoDB).
	ObjectCount int64
	SizeBytes   int64
	// CrawledAt is when the crawl that wrote the table ended (UTC).
	CrawledAt time.Time
}

// Column returns the column named name, if the table has it.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

//go:embed schema.sql
var schemaSQL string

// Store is a catalog kept in a DuckDB file. DuckDB lets one process at a
// time open a file for writing, so close a Store before another stage opens
// the same path.
type Store struct {
	db *sql.DB
}

// Open opens (creating if needed) the catalog in the DuckDB file at path,
// creating its parent folder too.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open catalog: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open catalog %s: %w", path, err)
		}
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errors.Join(fmt.Errorf("open catalog %s: create schema: %w", path, err), db.Close())
	}
	return &Store{db: db}, nil
}

// Close closes the DuckDB file.
func (s *Store) Close() error { return s.db.Close() }

// Put writes tables, replacing any table of the same database and name, all
// in one transaction.
func (s *Store) Put(ctx context.Context, tables ...Table) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put catalog tables: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	for _, t := range tables {
		if t.Database == "" || t.Name == "" {
			return fmt.Errorf("put catalog table %q.%q: database and name are required", t.Database, t.Name)
		}
		if err := deleteTable(ctx, tx, t.Database, t.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Database, t.Name, t.Location, t.Classification, t.Compression,
			t.RecordCount, t.ObjectCount, t.SizeBytes, t.CrawledAt.UTC()); err != nil {
			return fmt.Errorf("put catalog table %s.%s: %w", t.Database, t.Name, err)
		}
		pos := 0
		for _, group := range []struct {
			cols      []Column
			partition bool
		}{{t.Columns, false}, {t.PartitionKeys, true}} {
			for _, c := range group.cols {
				if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_columns VALUES (?, ?, ?, ?, ?, ?)`,
					t.Database, t.Name, pos, c.Name, c.Type, group.partition); err != nil {
					return fmt.Errorf("put catalog table %s.%s column %s: %w", t.Database, t.Name, c.Name, err)
				}
				pos++
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put catalog tables: commit: %w", err)
	}
	return nil
}

// Delete removes the named tables of database; names it does not have are
// ignored.
func (s *Store) Delete(ctx context.Context, database string, names ...string) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete catalog tables: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	for _, name := range names {
		if err := deleteTable(ctx, tx, database, name); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete catalog tables: commit: %w", err)
	}
	return nil
}

func deleteTable(ctx context.Context, tx *sql.Tx, database, name string) error {
	for _, q := range []string{
		`DELETE FROM catalog_columns WHERE database = ? AND table_name = ?`,
		`DELETE FROM catalog_tables WHERE database = ? AND name = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, database, name); err != nil {
			return fmt.Errorf("delete catalog table %s.%s: %w", database, name, err)
		}
	}
	return nil
}

// Table returns one table of database; the error wraps ErrNotFound when the
// catalog has no such table.
func (s *Store) Table(ctx context.Context, database, name string) (Table, error) {
	tables, err := s.query(ctx, database, name)
	if err != nil {
		return Table{}, err
	}
	if len(tables) == 0 {
		return Table{}, fmt.Errorf("table %s in catalog database %s: %w", name, database, ErrNotFound)
	}
	return tables[0], nil
}

// Tables returns every table of database, ordered by name; none is an empty
// slice and no error.
func (s *Store) Tables(ctx context.Context, database string) ([]Table, error) {
	return s.query(ctx, database, "")
}

// query reads the tables of database, or only the one named name when name
// is not empty.
func (s *Store) query(ctx context.Context, database, name string) ([]Table, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT name, location, classification, compression, record_count, object_count, size_bytes, crawled_at
		FROM catalog_tables
		WHERE database = ? AND (? = '' OR name = ?)
		ORDER BY name`, database, name, name)
	if err != nil {
		return nil, fmt.Errorf("read catalog database %s: %w", database, err)
	}
	var tables []Table
	index := map[string]int{}
	for rows.Next() {
		t := Table{Database: database}
		if err := rows.Scan(&t.Name, &t.Location, &t.Classification, &t.Compression,
			&t.RecordCount, &t.ObjectCount, &t.SizeBytes, &t.CrawledAt); err != nil {
			return nil, errors.Join(fmt.Errorf("read catalog database %s: %w", database, err), rows.Close())
		}
		t.CrawledAt = t.CrawledAt.UTC()
		index[t.Name] = len(tables)
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read catalog database %s: %w", database, err)
	}

	rows, err = s.db.QueryContext(ctx, `
		SELECT table_name, name, type, partition_key
		FROM catalog_columns
		WHERE database = ? AND (? = '' OR table_name = ?)
		ORDER BY table_name, position`, database, name, name)
	if err != nil {
		return nil, fmt.Errorf("read catalog columns of %s: %w", database, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			table     string
			c         Column
			partition bool
		)
		if err := rows.Scan(&table, &c.Name, &c.Type, &partition); err != nil {
			return nil, fmt.Errorf("read catalog columns of %s: %w", database, err)
		}
		i, ok := index[table]
		if !ok {
			continue // columns of a table row that is gone: ignore
		}
		if partition {
			tables[i].PartitionKeys = append(tables[i].PartitionKeys, c)
		} else {
			tables[i].Columns = append(tables[i].Columns, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read catalog columns of %s: %w", database, err)
	}
	if tables == nil {
		tables = []Table{}
	}
	return tables, nil
}
