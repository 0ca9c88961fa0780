package colstore

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"
)

// Table is a table held in typed column chunks. Values of it share the
// rows; a projected value reads only some columns.
type Table struct {
	*store
	proj       []string // nil: every column
	cols       []int    // the columns rows hold, in order
	projSchema sql.Schema
}

var (
	_ sql.Table                    = (*Table)(nil)
	_ sql.ProjectedTable           = (*Table)(nil)
	_ sql.InsertableTable          = (*Table)(nil)
	_ sql.ReplaceableTable         = (*Table)(nil)
	_ sql.UpdatableTable           = (*Table)(nil)
	_ sql.DeletableTable           = (*Table)(nil)
	_ sql.TruncateableTable        = (*Table)(nil)
	_ sql.StatisticsTable          = (*Table)(nil)
	_ sql.CommentedTable           = (*Table)(nil)
	_ sql.PrimaryKeyTable          = (*Table)(nil)
	_ sql.IndexAddressableTable    = (*Table)(nil)
	_ sql.IndexAlterableTable      = (*Table)(nil)
	_ sql.CheckAlterableTable      = (*Table)(nil)
	_ sql.CheckTable               = (*Table)(nil)
	_ sql.AlterableTable           = (*Table)(nil)
	_ sql.PrimaryKeyAlterableTable = (*Table)(nil)
)

func newTable(s *store) *Table {
	t := &Table{store: s}
	t.cols = make([]int, len(s.schema.Schema))
	for i := range t.cols {
		t.cols[i] = i
	}
	return t
}

// Name implements sql.Nameable.
func (t *Table) Name() string { return t.tableName() }

func (t *Table) String() string { return t.tableName() }

// Schema returns the table's columns, or the projected ones.
func (t *Table) Schema() sql.Schema {
	if t.projSchema != nil {
		return t.projSchema
	}
	return t.schema.Schema
}

// Collation implements sql.Table.
func (t *Table) Collation() sql.CollationID { return t.collation }

// Comment implements sql.CommentedTable.
func (t *Table) Comment() string { return t.comment }

// PrimaryKeySchema implements sql.PrimaryKeyTable.
func (t *Table) PrimaryKeySchema() sql.PrimaryKeySchema { return t.schema }

// WithProjections implements sql.ProjectedTable.
func (t *Table) WithProjections(names []string) sql.Table {
	nt := *t
	if names == nil {
		nt.proj, nt.projSchema = nil, nil
		nt.cols = newTable(t.store).cols
		return &nt
	}
	nt.proj = names
	nt.cols = make([]int, len(names))
	nt.projSchema = make(sql.Schema, len(names))
	for i, name := range names {
		k := t.schema.Schema.IndexOfColName(name)
		if k < 0 {
			// The analyzer projects only columns it resolved against
			// this schema.
			panic(fmt.Sprintf("colstore: table %s has no column %s", t.tableName(), name))
		}
		nt.cols[i] = k
		nt.projSchema[i] = t.schema.Schema[k]
	}
	return &nt
}

// Projections implements sql.ProjectedTable.
func (t *Table) Projections() []string { return t.proj }

// partition is a view of one chunk's committed rows.
type partition struct {
	c   *chunk
	key [8]byte
}

func (p *partition) Key() []byte { return p.key[:] }

// Partitions returns one partition per chunk, from a snapshot of the
// committed rows: rows written later are not seen.
func (t *Table) Partitions(*sql.Context) (sql.PartitionIter, error) {
	views := t.snapshot()
	parts := make([]sql.Partition, len(views))
	for i, c := range views {
		p := &partition{c: c}
		binary.BigEndian.PutUint64(p.key[:], uint64(i))
		parts[i] = p
	}
	return sql.PartitionsToPartitionIter(parts...), nil
}

// PartitionRows streams a partition's rows.
func (t *Table) PartitionRows(_ *sql.Context, part sql.Partition) (sql.RowIter, error) {
	p, ok := part.(*partition)
	if !ok {
		return nil, fmt.Errorf("colstore: table %s: partition of type %T", t.tableName(), part)
	}
	return &rowIter{c: p.c, cols: t.cols}, nil
}

type rowIter struct {
	c    *chunk
	i    int
	cols []int
}

func (it *rowIter) Next(*sql.Context) (sql.Row, error) {
	c := it.c
	if it.i >= c.n {
		return nil, io.EOF
	}
	i := it.i
	it.i++
	row := make(sql.Row, len(it.cols))
	for k, col := range it.cols {
		if !c.isNull(col, i) {
			row[k] = c.vecs[col].value(i)
		}
	}
	return row, nil
}

func (it *rowIter) Close(*sql.Context) error { return nil }

// Inserter implements sql.InsertableTable.
func (t *Table) Inserter(*sql.Context) sql.RowInserter { return t.editor() }

// Replacer implements sql.ReplaceableTable.
func (t *Table) Replacer(*sql.Context) sql.RowReplacer { return t.editor() }

// Updater implements sql.UpdatableTable.
func (t *Table) Updater(*sql.Context) sql.RowUpdater { return t.editor() }

// Deleter implements sql.DeletableTable.
func (t *Table) Deleter(*sql.Context) sql.RowDeleter { return t.editor() }

// Truncate implements sql.TruncateableTable.
func (t *Table) Truncate(*sql.Context) (int, error) { return t.truncateAll(), nil }

// RowCount implements sql.StatisticsTable: the committed rows, exactly.
func (t *Table) RowCount(*sql.Context) (uint64, bool, error) { return uint64(t.rowCount()), true, nil }

// DataLength implements sql.StatisticsTable: the bytes the rows and the
// key index hold.
func (t *Table) DataLength(*sql.Context) (uint64, error) { return uint64(t.dataLength()), nil }

// The column store has no secondary indexes, checks or schema changes. A
// table asked for one while it is empty moves to go-mysql-server's memory
// tables, which have them; a table with rows refuses.

// GetIndexes implements sql.IndexAddressable: none, until the table moves.
func (t *Table) GetIndexes(ctx *sql.Context) ([]sql.Index, error) {
	if mt := t.db.moved(ctx, t.store); mt != nil {
		if ia, ok := mt.(sql.IndexAddressable); ok {
			return ia.GetIndexes(ctx)
		}
	}
	return nil, nil
}

// IndexedAccess implements sql.IndexAddressable.
func (t *Table) IndexedAccess(ctx *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	if mt := t.db.moved(ctx, t.store); mt != nil {
		if ia, ok := mt.(sql.IndexAddressable); ok {
			return ia.IndexedAccess(ctx, lookup)
		}
	}
	return nil
}

// PreciseMatch implements sql.IndexAddressable.
func (t *Table) PreciseMatch() bool { return false }

// GetChecks implements sql.CheckTable: none, until the table moves.
func (t *Table) GetChecks(ctx *sql.Context) ([]sql.CheckDefinition, error) {
	if mt := t.db.moved(ctx, t.store); mt != nil {
		if ct, ok := mt.(sql.CheckTable); ok {
			return ct.GetChecks(ctx)
		}
	}
	return nil, nil
}

// alter moves t to the memory tables (see toMemory) and does the change
// there.
func alter[I any](ctx *sql.Context, t *Table, what string, do func(I) error) error {
	mt, err := t.db.toMemory(ctx, t.store, what)
	if err != nil {
		return err
	}
	i, ok := mt.(I)
	if !ok {
		return fmt.Errorf("table %s: %s: %T does not support it", t.tableName(), what, mt)
	}
	return do(i)
}

// CreateIndex implements sql.IndexAlterableTable.
func (t *Table) CreateIndex(ctx *sql.Context, def sql.IndexDef) error {
	return alter(ctx, t, "CREATE INDEX "+def.Name, func(mt sql.IndexAlterableTable) error { return mt.CreateIndex(ctx, def) })
}

// DropIndex implements sql.IndexAlterableTable.
func (t *Table) DropIndex(ctx *sql.Context, name string) error {
	return alter(ctx, t, "DROP INDEX "+name, func(mt sql.IndexAlterableTable) error { return mt.DropIndex(ctx, name) })
}

// RenameIndex implements sql.IndexAlterableTable.
func (t *Table) RenameIndex(ctx *sql.Context, from, to string) error {
	return alter(ctx, t, "RENAME INDEX "+from, func(mt sql.IndexAlterableTable) error { return mt.RenameIndex(ctx, from, to) })
}

// CreateCheck implements sql.CheckAlterableTable.
func (t *Table) CreateCheck(ctx *sql.Context, check *sql.CheckDefinition) error {
	return alter(ctx, t, "CHECK "+check.Name, func(mt sql.CheckAlterableTable) error { return mt.CreateCheck(ctx, check) })
}

// DropCheck implements sql.CheckAlterableTable.
func (t *Table) DropCheck(ctx *sql.Context, name string) error {
	return alter(ctx, t, "DROP CHECK "+name, func(mt sql.CheckAlterableTable) error { return mt.DropCheck(ctx, name) })
}

// AddColumn implements sql.AlterableTable.
func (t *Table) AddColumn(ctx *sql.Context, col *sql.Column, order *sql.ColumnOrder) error {
	return alter(ctx, t, "ADD COLUMN "+col.Name, func(mt sql.AlterableTable) error { return mt.AddColumn(ctx, col, order) })
}

// DropColumn implements sql.AlterableTable.
func (t *Table) DropColumn(ctx *sql.Context, name string) error {
	return alter(ctx, t, "DROP COLUMN "+name, func(mt sql.AlterableTable) error { return mt.DropColumn(ctx, name) })
}

// ModifyColumn implements sql.AlterableTable.
func (t *Table) ModifyColumn(ctx *sql.Context, name string, col *sql.Column, order *sql.ColumnOrder) error {
	return alter(ctx, t, "MODIFY COLUMN "+name, func(mt sql.AlterableTable) error { return mt.ModifyColumn(ctx, name, col, order) })
}

// CreatePrimaryKey implements sql.PrimaryKeyAlterableTable.
func (t *Table) CreatePrimaryKey(ctx *sql.Context, cols []sql.IndexColumn) error {
	return alter(ctx, t, "ADD PRIMARY KEY", func(mt sql.PrimaryKeyAlterableTable) error { return mt.CreatePrimaryKey(ctx, cols) })
}

// DropPrimaryKey implements sql.PrimaryKeyAlterableTable.
func (t *Table) DropPrimaryKey(ctx *sql.Context) error {
	return alter(ctx, t, "DROP PRIMARY KEY", func(mt sql.PrimaryKeyAlterableTable) error { return mt.DropPrimaryKey(ctx) })
}
