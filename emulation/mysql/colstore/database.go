package colstore

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
)

// Provider is a sql.DatabaseProvider whose databases hold tables in the
// column store, and in go-mysql-server's memory tables the tables the
// column store cannot hold. Sessions must come from NewSession.
type Provider struct{ *shared }

type shared struct {
	mem *memory.DbProvider // the memory databases, one under each of ours
	log *slog.Logger
	mu  *sync.RWMutex
	dbs map[string]*Database // by lower-case name; shared with table-function copies
}

var (
	_ sql.MutableDatabaseProvider         = Provider{}
	_ sql.TableFunctionProvider           = Provider{}
	_ sql.ExternalStoredProcedureProvider = Provider{}
)

// NewProvider returns a provider without databases. log receives a debug
// line for each table left to the memory tables (nil discards).
func NewProvider(log *slog.Logger) Provider {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return Provider{&shared{mem: memory.NewDBProvider(), log: log, mu: &sync.RWMutex{}, dbs: map[string]*Database{}}}
}

// NewSession returns a session for a connection to the provider's
// databases. Its transactions cover the memory tables only: the column
// store applies each statement when it ends (as MyISAM does).
func (p Provider) NewSession(base *sql.BaseSession) *memory.Session {
	// The memory session commits a transaction's memory tables into the
	// memory databases, which it finds through the memory provider.
	return memory.NewSession(base, p.mem)
}

// Database implements sql.DatabaseProvider.
func (p Provider) Database(ctx *sql.Context, name string) (sql.Database, error) {
	p.mu.RLock()
	db, ok := p.dbs[strings.ToLower(name)]
	p.mu.RUnlock()
	if ok {
		return db, nil
	}
	return p.mem.Database(ctx, name) // for its error
}

// HasDatabase implements sql.DatabaseProvider.
func (p Provider) HasDatabase(_ *sql.Context, name string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.dbs[strings.ToLower(name)]
	return ok
}

// AllDatabases implements sql.DatabaseProvider, sorted by name.
func (p Provider) AllDatabases(*sql.Context) []sql.Database {
	p.mu.RLock()
	all := make([]sql.Database, 0, len(p.dbs))
	for _, db := range p.dbs {
		all = append(all, db)
	}
	p.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name() < all[j].Name() })
	return all
}

// CreateDatabase implements sql.MutableDatabaseProvider.
func (p Provider) CreateDatabase(ctx *sql.Context, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.mem.CreateDatabase(ctx, name); err != nil {
		return err
	}
	inner, err := p.mem.Database(ctx, name)
	if err != nil {
		return err
	}
	mdb, ok := inner.(*memory.Database)
	if !ok {
		return fmt.Errorf("colstore: create database %s: memory database of type %T", name, inner)
	}
	p.dbs[strings.ToLower(name)] = &Database{Database: mdb, log: p.log, tables: map[string]*store{}}
	return nil
}

// DropDatabase implements sql.MutableDatabaseProvider.
func (p Provider) DropDatabase(ctx *sql.Context, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.dbs, strings.ToLower(name))
	return p.mem.DropDatabase(ctx, name)
}

// TableFunction implements sql.TableFunctionProvider.
func (p Provider) TableFunction(ctx *sql.Context, name string) (sql.TableFunction, bool) {
	return p.mem.TableFunction(ctx, name)
}

// WithTableFunctions implements sql.TableFunctionProvider.
func (p Provider) WithTableFunctions(fns ...sql.TableFunction) (sql.TableFunctionProvider, error) {
	mp, err := p.mem.WithTableFunctions(fns...)
	if err != nil {
		return nil, err
	}
	mem, ok := mp.(*memory.DbProvider)
	if !ok {
		return nil, fmt.Errorf("colstore: table functions: memory provider of type %T", mp)
	}
	return Provider{&shared{mem: mem, log: p.log, mu: p.mu, dbs: p.dbs}}, nil
}

// ExternalStoredProcedure implements sql.ExternalStoredProcedureProvider.
func (p Provider) ExternalStoredProcedure(ctx *sql.Context, name string, numOfParams int) (*sql.ExternalStoredProcedureDetails, error) {
	return p.mem.ExternalStoredProcedure(ctx, name, numOfParams)
}

// ExternalStoredProcedures implements sql.ExternalStoredProcedureProvider.
func (p Provider) ExternalStoredProcedures(ctx *sql.Context, name string) ([]sql.ExternalStoredProcedureDetails, error) {
	return p.mem.ExternalStoredProcedures(ctx, name)
}

// Database is a memory database (views, triggers, procedures, events and
// the tables the column store cannot hold) with column-store tables.
type Database struct {
	*memory.Database
	log    *slog.Logger
	mu     sync.RWMutex
	tables map[string]*store // by lower-case name
}

var (
	_ sql.TableCreator        = (*Database)(nil)
	_ sql.IndexedTableCreator = (*Database)(nil)
	_ sql.TableDropper        = (*Database)(nil)
	_ sql.TableRenamer        = (*Database)(nil)
)

func (d *Database) compact(name string) *store {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.tables[strings.ToLower(name)]
}

// GetTableInsensitive implements sql.Database.
func (d *Database) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	if s := d.compact(name); s != nil {
		return newTable(s), true, nil
	}
	return d.Database.GetTableInsensitive(ctx, name)
}

// GetTableNames implements sql.Database.
func (d *Database) GetTableNames(ctx *sql.Context) ([]string, error) {
	names, err := d.Database.GetTableNames(ctx)
	if err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, s := range d.tables {
		names = append(names, s.tableName())
	}
	return names, nil
}

// exists reports whether a table (of either kind) or view is called name.
func (d *Database) exists(ctx *sql.Context, name string) (bool, error) {
	if d.compact(name) != nil {
		return true, nil
	}
	_, ok, err := d.Database.GetTableInsensitive(ctx, name)
	return ok, err
}

// CreateTable implements sql.TableCreator: in the column store when it
// holds every column, else in the memory tables.
func (d *Database) CreateTable(ctx *sql.Context, name string, sch sql.PrimaryKeySchema, collation sql.CollationID, comment string) error {
	return d.create(ctx, name, sch, collation, comment, nil)
}

// CreateIndexedTable implements sql.IndexedTableCreator, for tables with a
// primary key.
func (d *Database) CreateIndexedTable(ctx *sql.Context, name string, sch sql.PrimaryKeySchema, def sql.IndexDef, collation sql.CollationID) error {
	return d.create(ctx, name, sch, collation, "", &def)
}

func (d *Database) create(ctx *sql.Context, name string, sch sql.PrimaryKeySchema, collation sql.CollationID, comment string, pk *sql.IndexDef) error {
	if ok, err := d.exists(ctx, name); err != nil {
		return err
	} else if ok {
		return sql.ErrTableAlreadyExists.New(name)
	}
	s, reason := newStore(d, name, sch, collation, comment)
	if pk != nil && reason == nil {
		for _, c := range pk.Columns {
			if c.Length > 0 {
				reason = fmt.Errorf("primary key column %s has a prefix length", c.Name)
			}
		}
	}
	if reason != nil {
		d.log.Debug("table kept in go-mysql-server's memory tables", "component", "colstore",
			"database", d.Name(), "table", name, "reason", reason.Error())
		if pk != nil {
			return d.Database.CreateIndexedTable(ctx, name, sch, *pk, collation)
		}
		return d.Database.CreateTable(ctx, name, sch, collation, comment)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tables[strings.ToLower(name)] = s
	return nil
}

// DropTable implements sql.TableDropper. Readers that hold the table's rows
// finish with them.
func (d *Database) DropTable(ctx *sql.Context, name string) error {
	d.mu.Lock()
	if s := d.tables[strings.ToLower(name)]; s != nil {
		delete(d.tables, strings.ToLower(name))
		d.mu.Unlock()
		return nil
	}
	d.mu.Unlock()
	return d.Database.DropTable(ctx, name)
}

// RenameTable implements sql.TableRenamer.
func (d *Database) RenameTable(ctx *sql.Context, from, to string) error {
	if ok, err := d.exists(ctx, to); err != nil {
		return err
	} else if ok {
		return sql.ErrTableAlreadyExists.New(to)
	}
	d.mu.Lock()
	s := d.tables[strings.ToLower(from)]
	if s == nil {
		d.mu.Unlock()
		return d.Database.RenameTable(ctx, from, to)
	}
	delete(d.tables, strings.ToLower(from))
	d.tables[strings.ToLower(to)] = s
	d.mu.Unlock()
	s.mu.Lock()
	s.name = to
	sch := s.schema.Schema.Copy()
	for _, c := range sch {
		c.Source = to
	}
	s.schema = sql.NewPrimaryKeySchema(sch, s.schema.PkOrdinals...)
	s.mu.Unlock()
	return nil
}

// toMemory moves s, if it is still in the column store and empty, to a
// memory table of the same schema, and returns the memory table under its
// name (what asked for it, e.g. "CREATE INDEX i", names the change in the
// error when it holds rows).
func (d *Database) toMemory(ctx *sql.Context, s *store, what string) (sql.Table, error) {
	name := s.tableName()
	d.mu.Lock()
	if d.tables[strings.ToLower(name)] == s {
		if !s.wmu.TryLock() {
			d.mu.Unlock()
			return nil, fmt.Errorf("table %s: %s: the table is being written", name, what)
		}
		n := s.n
		s.wmu.Unlock()
		if n > 0 {
			d.mu.Unlock()
			return nil, fmt.Errorf("table %s holds %d rows in the embedded server's column store, which has no %s: "+
				"declare it when the table is created, or start the server with the memory storage", name, n, what)
		}
		delete(d.tables, strings.ToLower(name))
		d.mu.Unlock()
		var err error
		if len(s.pk) > 0 {
			cols := make([]sql.IndexColumn, len(s.pk))
			for i, k := range s.pk {
				cols[i] = sql.IndexColumn{Name: s.schema.Schema[k].Name}
			}
			err = d.Database.CreateIndexedTable(ctx, name, s.schema, sql.IndexDef{
				Name: "PRIMARY", Columns: cols, Constraint: sql.IndexConstraint_Primary}, s.collation)
		} else {
			err = d.Database.CreateTable(ctx, name, s.schema, s.collation, s.comment)
		}
		if err != nil {
			return nil, fmt.Errorf("table %s: %s: move to the memory tables: %w", name, what, err)
		}
		d.log.Debug("table moved to go-mysql-server's memory tables", "component", "colstore",
			"database", d.Name(), "table", name, "reason", what)
	} else {
		d.mu.Unlock()
	}
	mt, ok, err := d.Database.GetTableInsensitive(ctx, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sql.ErrTableNotFound.New(name)
	}
	return mt, nil
}

// moved returns the memory table s moved to, or nil.
func (d *Database) moved(ctx *sql.Context, s *store) sql.Table {
	name := s.tableName()
	if d.compact(name) == s {
		return nil
	}
	mt, ok, err := d.Database.GetTableInsensitive(ctx, name)
	if err != nil || !ok {
		return nil
	}
	return mt
}
