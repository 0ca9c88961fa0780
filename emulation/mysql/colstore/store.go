package colstore

import (
	"fmt"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
)

// Rows live in chunks of chunkRows rows; row position p is row p&chunkMask
// of chunk p>>chunkBits.
const (
	chunkBits = 16
	chunkRows = 1 << chunkBits
	chunkMask = chunkRows - 1
	firstCap  = 64 // a new chunk's room, doubled as it fills
)

// chunk is up to chunkRows rows, one vec per column.
type chunk struct {
	n     int
	room  int
	vecs  []vec
	nulls [][]bool // per column; nil until a NULL is stored in this chunk
}

// view returns a read-only copy of c's headers holding its first n rows.
func (c *chunk) view(n int) *chunk {
	v := &chunk{n: n, room: n, vecs: make([]vec, len(c.vecs)), nulls: make([][]bool, len(c.nulls))}
	for i, x := range c.vecs {
		v.vecs[i] = x.view()
	}
	for i, x := range c.nulls {
		if x != nil {
			v.nulls[i] = x[:min(n, len(x))]
		}
	}
	return v
}

func (c *chunk) isNull(col, i int) bool {
	nl := c.nulls[col]
	return nl != nil && i < len(nl) && nl[i]
}

func (c *chunk) size() int {
	s := 0
	for i, v := range c.vecs {
		s += v.size() + cap(c.nulls[i])
	}
	return s
}

// store is a table's rows and schema, shared by every *Table value of it.
//
// Concurrency: one statement writes at a time (wmu, held from its first
// write to its end). Readers copy the chunks' headers under mu and then
// read without locks the rows below the committed count, which no writer
// touches again: appends go past them and deletions build new chunks.
// Writers change headers (append, truncate, replace chunks) under mu.
type store struct {
	db        *Database
	schema    sql.PrimaryKeySchema
	collation sql.CollationID
	comment   string
	pk        []int // key columns in key order; nil when keyless

	mu        sync.RWMutex
	name      string
	chunks    []*chunk
	n         int // rows stored, with those of the running statement
	committed int // rows readers see

	wmu    sync.Mutex // held by the writing statement
	stmtMu sync.Mutex
	stmts  map[uint32]*stmt // the running statement of each session
	index  *hashIndex       // primary key: position of every stored row; writer only
	newVec []func() vec
}

func newStore(db *Database, name string, sch sql.PrimaryKeySchema, collation sql.CollationID, comment string) (*store, error) {
	s := &store{db: db, name: name, schema: sch, collation: collation, comment: comment, stmts: map[uint32]*stmt{}}
	for _, col := range sch.Schema {
		if _, err := newVec(col); err != nil {
			return nil, err
		}
		s.newVec = append(s.newVec, func() vec { v, _ := newVec(col); return v })
	}
	if len(sch.PkOrdinals) > 0 {
		s.pk = append([]int(nil), sch.PkOrdinals...)
		s.index = newHashIndex(s.hashCols(s.pk), s.eqCols(s.pk, false))
	}
	return s, nil
}

func (s *store) tableName() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.name
}

func (s *store) newChunk() *chunk {
	c := &chunk{vecs: make([]vec, len(s.newVec)), nulls: make([][]bool, len(s.newVec))}
	for i, f := range s.newVec {
		c.vecs[i] = f()
	}
	return c
}

// at returns the chunk and row of position p.
func (s *store) at(p int) (*chunk, int) { return s.chunks[p>>chunkBits], p & chunkMask }

// appendRow stores row at position s.n, unseen by readers until the
// statement commits. On error nothing is stored.
func (s *store) appendRow(ctx *sql.Context, row sql.Row) (int, error) {
	if len(row) != len(s.schema.Schema) {
		return 0, fmt.Errorf("table %s: row of %d values for %d columns", s.name, len(row), len(s.schema.Schema))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.n
	ci, i := p>>chunkBits, p&chunkMask
	if ci == len(s.chunks) {
		s.chunks = append(s.chunks, s.newChunk())
	}
	c := s.chunks[ci]
	if i == c.room {
		room := min(max(2*c.room, firstCap), chunkRows)
		for _, v := range c.vecs {
			v.resize(room)
		}
		for k, nl := range c.nulls {
			if nl != nil {
				c.nulls[k] = append(make([]bool, 0, room), nl...)
			}
		}
		c.room = room
	}
	for k, v := range row {
		col := s.schema.Schema[k]
		if w, ok := v.(sql.AnyWrapper); ok {
			var err error
			if v, err = w.UnwrapAny(ctx); err != nil {
				s.undo(c, i, k)
				return 0, fmt.Errorf("table %s, column %s: %w", s.name, col.Name, err)
			}
		}
		if v == nil {
			if !col.Nullable {
				s.undo(c, i, k)
				return 0, sql.ErrInsertIntoNonNullableProvidedNull.New(col.Name)
			}
			if c.nulls[k] == nil {
				c.nulls[k] = make([]bool, i, c.room)
			}
			c.vecs[k].pushZero()
			c.nulls[k] = append(c.nulls[k], true)
			continue
		}
		if err := c.vecs[k].push(v); err != nil {
			s.undo(c, i, k)
			return 0, fmt.Errorf("table %s, column %s (%s): %w", s.name, col.Name, col.Type, err)
		}
		if c.nulls[k] != nil {
			c.nulls[k] = append(c.nulls[k], false)
		}
	}
	c.n++
	s.n++
	if c.n == chunkRows {
		for _, v := range c.vecs {
			v.seal()
		}
	}
	return p, nil
}

// undo drops the values of row i already pushed to columns before k.
func (s *store) undo(c *chunk, i, k int) {
	for j := range k {
		c.vecs[j].truncate(i)
		if c.nulls[j] != nil {
			c.nulls[j] = c.nulls[j][:i]
		}
	}
}

// truncate keeps the first n rows (n >= committed).
func (s *store) truncate(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := (n + chunkMask) >> chunkBits
	clear(s.chunks[keep:])
	s.chunks = s.chunks[:keep]
	if n&chunkMask != 0 {
		c := s.chunks[keep-1]
		i := n & chunkMask
		for k, v := range c.vecs {
			v.truncate(i)
			if c.nulls[k] != nil {
				c.nulls[k] = c.nulls[k][:i]
			}
		}
		c.n = i
	}
	s.n = n
}

// row returns position p's values, boxed.
func (s *store) row(p int) sql.Row {
	c, i := s.at(p)
	r := make(sql.Row, len(c.vecs))
	for k, v := range c.vecs {
		if !c.isNull(k, i) {
			r[k] = v.value(i)
		}
	}
	return r
}

// hashCols and eqCols compare positions on cols: as the columns' types
// compare keys, or (exact) byte for byte with NULL equal to NULL.
func (s *store) hashCols(cols []int) func(p int) uint64 {
	return func(p int) uint64 {
		c, i := s.at(p)
		h := uint64(len(cols))
		for _, k := range cols {
			x := uint64(0x9e3779b97f4a7c15)
			if !c.isNull(k, i) {
				x = c.vecs[k].hash(i)
			}
			h = mix(h ^ x)
		}
		return h
	}
}

func (s *store) eqCols(cols []int, exact bool) func(p, q int) bool {
	return func(p, q int) bool {
		a, i := s.at(p)
		b, j := s.at(q)
		for _, k := range cols {
			na, nb := a.isNull(k, i), b.isNull(k, j)
			switch {
			case na || nb:
				if na != nb {
					return false
				}
			case exact:
				if !a.vecs[k].same(i, b.vecs[k], j) {
					return false
				}
			default:
				if !a.vecs[k].equal(i, b.vecs[k], j) {
					return false
				}
			}
		}
		return true
	}
}

// keyString prints position p's key columns for a duplicate-key error.
func (s *store) keyString(p int) string {
	r := s.row(p)
	parts := make([]string, len(s.pk))
	for i, k := range s.pk {
		parts[i] = fmt.Sprint(r[k])
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// snapshot returns views of the committed rows, one per chunk.
func (s *store) snapshot() []*chunk {
	s.mu.RLock()
	defer s.mu.RUnlock()
	views := make([]*chunk, 0, (s.committed+chunkMask)>>chunkBits)
	for ci, c := range s.chunks {
		n := min(c.n, s.committed-ci<<chunkBits)
		if n <= 0 {
			break
		}
		views = append(views, c.view(n))
	}
	return views
}

func (s *store) rowCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.committed
}

func (s *store) dataLength() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, c := range s.chunks {
		n += c.size()
	}
	if s.index != nil {
		n += 5 * len(s.index.slots)
	}
	return n
}

// compact rebuilds the chunks without the rows in gone, from the first
// chunk that loses a row, and returns how many rows are left. Readers keep
// the chunks they hold.
func (s *store) compact(gone *bitset) int {
	first := gone.first()
	if first < 0 {
		return s.n
	}
	from := first &^ chunkMask
	var rebuilt []*chunk
	var c *chunk
	n := from
	for p := from; p < s.n; p++ {
		if gone.has(p) {
			continue
		}
		if c == nil || c.n == chunkRows {
			c = s.newChunk()
			c.room = min(chunkRows, s.n-p) // at most the rows left
			for _, v := range c.vecs {
				v.resize(c.room)
			}
			rebuilt = append(rebuilt, c)
		}
		src, i := s.at(p)
		for k, v := range c.vecs {
			v.pushFrom(src.vecs[k], i)
			if src.isNull(k, i) {
				if c.nulls[k] == nil {
					c.nulls[k] = make([]bool, c.n, c.room)
				}
				c.nulls[k] = append(c.nulls[k], true)
			} else if c.nulls[k] != nil {
				c.nulls[k] = append(c.nulls[k], false)
			}
		}
		c.n++
		n++
	}
	for _, c := range rebuilt {
		for _, v := range c.vecs {
			v.seal()
		}
	}
	s.mu.Lock()
	s.chunks = append(s.chunks[:from>>chunkBits:from>>chunkBits], rebuilt...)
	s.n = n
	s.mu.Unlock()
	return n
}

// reindex rebuilds the primary key index from the stored rows.
func (s *store) reindex() {
	if s.index == nil {
		return
	}
	s.index.reset(s.n)
	for p := range s.n {
		s.index.insert(p)
	}
}

// truncateAll removes every row (TRUNCATE, or DELETE without WHERE).
func (s *store) truncateAll() int {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	n := s.committed
	s.chunks, s.n, s.committed = nil, 0, 0
	s.mu.Unlock()
	if s.index != nil {
		s.index.reset(0)
	}
	return n
}
