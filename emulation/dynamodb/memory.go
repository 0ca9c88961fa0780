package dynamodb

import (
	"context"
	"slices"
	"sync"
)

// Memory is the in-memory Backend: each table's items in a compact store
// (store.go), each secondary index in a memIndex (index.go), one
// reader-writer lock per table.
type Memory struct {
	mu     sync.Mutex
	tables map[string]*memTable
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory Backend.
func NewMemory() *Memory { return &Memory{tables: map[string]*memTable{}} }

type memTable struct {
	mu      sync.RWMutex
	schema  Schema
	st      *store
	indexes []*memIndex
}

func (t *memTable) index(name string) *memIndex {
	for _, ix := range t.indexes {
		if ix.schema.Name == name {
			return ix
		}
	}
	return nil
}

// CreateTable implements Backend.
func (m *Memory) CreateTable(ctx context.Context, name string, s Schema) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tables[name]; ok {
		return ErrTableExists
	}
	t := &memTable{schema: s, st: newStore(s.Hash.Name, keyTag(s.Hash.Type), s.Range.Name, keyTag(s.Range.Type))}
	for _, ix := range s.Indexes {
		t.indexes = append(t.indexes, newMemIndex(ix, s))
	}
	m.tables[name] = t
	return nil
}

// DropTable implements Backend.
func (m *Memory) DropTable(ctx context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tables[name]; !ok {
		return ErrNoTable
	}
	delete(m.tables, name)
	return nil
}

// CreateIndex implements Backend.
func (m *Memory) CreateIndex(ctx context.Context, table string, ix IndexSchema) error {
	return m.Update(ctx, []string{table}, func(tx WriteTx) error {
		t := tx.(*memTx).tabs[0]
		if t.index(ix.Name) != nil {
			return ErrTableExists
		}
		mi := newMemIndex(ix, t.schema)
		var c cursor
		for {
			e, ok := t.st.next(&c)
			if !ok {
				break
			}
			r := t.st.record(t.st.arena.get(e.ref))
			pk, sk := t.st.recordKey(r.b)
			mi.add(t.st, &t.schema, Key{PK: pk, SK: sk}, r)
		}
		t.indexes = append(t.indexes, mi)
		t.schema.Indexes = append(slices.Clone(t.schema.Indexes), ix)
		return nil
	})
}

// DropIndex implements Backend.
func (m *Memory) DropIndex(ctx context.Context, table, index string) error {
	return m.Update(ctx, []string{table}, func(tx WriteTx) error {
		t := tx.(*memTx).tabs[0]
		i := slices.IndexFunc(t.indexes, func(ix *memIndex) bool { return ix.schema.Name == index })
		if i < 0 {
			return ErrNoIndex
		}
		t.indexes = slices.Delete(slices.Clone(t.indexes), i, i+1)
		t.schema.Indexes = slices.DeleteFunc(slices.Clone(t.schema.Indexes), func(s IndexSchema) bool { return s.Name == index })
		return nil
	})
}

// open finds the tables, each once, in name order (the lock order).
func (m *Memory) open(ctx context.Context, names []string) (*memTx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tx := &memTx{}
	if len(names) == 1 {
		tx.names = names
	} else {
		tx.names = slices.Clone(names)
		slices.Sort(tx.names)
		tx.names = slices.Compact(tx.names)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tx.tabs = make([]*memTable, len(tx.names))
	for i, n := range tx.names {
		t, ok := m.tables[n]
		if !ok {
			return nil, ErrNoTable
		}
		tx.tabs[i] = t
	}
	return tx, nil
}

// View implements Backend.
func (m *Memory) View(ctx context.Context, tables []string, fn func(ReadTx) error) error {
	tx, err := m.open(ctx, tables)
	if err != nil {
		return err
	}
	for _, t := range tx.tabs {
		t.mu.RLock()
	}
	defer func() {
		for _, t := range tx.tabs {
			t.mu.RUnlock()
		}
	}()
	return fn(tx)
}

// Update implements Backend.
func (m *Memory) Update(ctx context.Context, tables []string, fn func(WriteTx) error) error {
	tx, err := m.open(ctx, tables)
	if err != nil {
		return err
	}
	for _, t := range tx.tabs {
		t.mu.Lock()
	}
	defer func() {
		for _, t := range tx.tabs {
			t.mu.Unlock()
		}
	}()
	return fn(tx)
}

// memTx is a View's or an Update's access to its tables.
type memTx struct {
	names []string
	tabs  []*memTable
}

func (tx *memTx) table(name string) *memTable {
	for i, n := range tx.names {
		if n == name {
			return tx.tabs[i]
		}
	}
	panic("dynamodb: table " + name + " used outside the View or Update that opened it")
}

func (tx *memTx) Get(table string, k Key) (Record, bool) {
	t := tx.table(table)
	b, ok := t.st.find(k.PK, k.SK)
	return t.st.record(b), ok
}

func (tx *memTx) Scan(table, index string, r ScanRange, fn func(Record) bool) {
	t := tx.table(table)
	if index == "" {
		t.st.scan(r, fn)
		return
	}
	if ix := t.index(index); ix != nil {
		ix.scan(t.st, r, fn)
	}
}

func (tx *memTx) Query(table, index string, q QueryRange, fn func(Record) bool) {
	t := tx.table(table)
	if index == "" {
		t.st.query(q, fn)
		return
	}
	if ix := t.index(index); ix != nil {
		ix.query(t.st, q, fn)
	}
}

func (tx *memTx) Stats(table, index string) (int64, int64) {
	t := tx.table(table)
	if index == "" {
		return int64(t.st.count), t.st.size
	}
	if ix := t.index(index); ix != nil {
		return ix.count, ix.size
	}
	return 0, 0
}

func (tx *memTx) Put(table string, k Key, it Item) (Record, bool) {
	t := tx.table(table)
	old, replaced := t.st.put(t.st.encode(it), k.PK, k.SK)
	if len(t.indexes) > 0 {
		nb, _ := t.st.find(k.PK, k.SK)
		for _, ix := range t.indexes {
			if replaced {
				ix.remove(t.st, k, t.st.record(old))
			}
			ix.add(t.st, &t.schema, k, t.st.record(nb))
		}
	}
	return t.st.record(old), replaced
}

func (tx *memTx) Delete(table string, k Key) (Record, bool) {
	t := tx.table(table)
	old, ok := t.st.remove(k.PK, k.SK)
	if ok {
		for _, ix := range t.indexes {
			ix.remove(t.st, k, t.st.record(old))
		}
	}
	return t.st.record(old), ok
}
