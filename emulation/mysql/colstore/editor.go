package colstore

import (
	"github.com/dolthub/go-mysql-server/sql"
)

// stmt is one session's running statement on a store. A statement may open
// several editors (an INSERT ... ON DUPLICATE KEY UPDATE has an inserter
// and an updater); they share it, and it ends when the last one ends.
type stmt struct {
	s       *store
	session uint32
	opened  int     // editors that began and have not ended
	start   int     // rows stored when the statement began
	gone    *bitset // positions deleted by the statement
	locate  *hashIndex
	failed  bool
}

// editor is the sql.RowInserter, RowDeleter, RowUpdater and RowReplacer
// of a Table.
type editor struct {
	s     *store
	st    *stmt // nil until the editor begins
	ended bool
}

var (
	_ sql.RowInserter = (*editor)(nil)
	_ sql.RowReplacer = (*editor)(nil)
	_ sql.RowUpdater  = (*editor)(nil)
)

func (s *store) editor() *editor { return &editor{s: s} }

func sessionID(ctx *sql.Context) uint32 {
	if ctx == nil || ctx.Session == nil {
		return 0
	}
	return ctx.Session.ID()
}

// StatementBegin joins the session's running statement on the table, or
// starts one, waiting for another session's to end.
func (e *editor) StatementBegin(ctx *sql.Context) {
	if e.st != nil && !e.ended {
		return
	}
	e.ended = false
	id := sessionID(ctx)
	s := e.s
	s.stmtMu.Lock()
	st := s.stmts[id]
	if st != nil {
		st.opened++
		s.stmtMu.Unlock()
		e.st = st
		return
	}
	s.stmtMu.Unlock()
	s.wmu.Lock()
	st = &stmt{s: s, session: id, opened: 1, start: s.n}
	s.stmtMu.Lock()
	s.stmts[id] = st
	s.stmtMu.Unlock()
	e.st = st
}

// begun returns the editor's statement, beginning one if needed.
func (e *editor) begun(ctx *sql.Context) *stmt {
	if e.st == nil || e.ended {
		e.StatementBegin(ctx)
	}
	return e.st
}

// end leaves the statement; the last editor out commits or rolls back.
func (e *editor) end(discard bool) error {
	if e.st == nil || e.ended {
		return nil
	}
	e.ended = true
	st, s := e.st, e.s
	if discard {
		st.failed = true
	}
	s.stmtMu.Lock()
	st.opened--
	last := st.opened == 0
	if last {
		delete(s.stmts, st.session)
	}
	s.stmtMu.Unlock()
	if !last {
		return nil
	}
	defer s.wmu.Unlock()
	if st.failed {
		st.rollback()
		return nil
	}
	st.commit()
	return nil
}

func (e *editor) StatementComplete(*sql.Context) error { return e.end(false) }

func (e *editor) DiscardChanges(_ *sql.Context, _ error) error { return e.end(true) }

// Close ends a statement the engine did not end (one begun by a first
// write rather than StatementBegin) by committing it.
func (e *editor) Close(*sql.Context) error { return e.end(false) }

func (st *stmt) commit() {
	s := st.s
	if st.gone != nil && st.gone.count > 0 {
		s.compact(st.gone)
		s.reindex()
	}
	s.mu.Lock()
	s.committed = s.n
	s.mu.Unlock()
}

func (st *stmt) rollback() {
	s := st.s
	if st.gone != nil && st.gone.count > 0 {
		s.truncate(st.start)
		s.reindex()
		return
	}
	if s.index != nil {
		for p := st.start; p < s.n; p++ {
			s.index.remove(p)
		}
	}
	s.truncate(st.start)
}

// Insert stores row, or returns a duplicate-key error holding the row
// already stored under its primary key.
func (e *editor) Insert(ctx *sql.Context, row sql.Row) error {
	e.begun(ctx)
	s := e.s
	p, err := s.appendRow(ctx, row)
	if err != nil {
		return err
	}
	if s.index != nil {
		if q := s.index.add(p); q >= 0 {
			key := s.keyString(p)
			s.truncate(p)
			return sql.NewUniqueKeyErr(key, true, s.row(q))
		}
	}
	return nil
}

// Delete removes a row equal to row: the one with its primary key, or on a
// keyless table one with the same values that the statement has not
// deleted yet.
func (e *editor) Delete(ctx *sql.Context, row sql.Row) error {
	st := e.begun(ctx)
	s := e.s
	if s.index == nil && st.locate == nil {
		// Every stored row but those deleted, by all their values.
		all := make([]int, len(s.schema.Schema))
		for i := range all {
			all[i] = i
		}
		st.locate = newHashIndex(s.hashCols(all), s.eqCols(all, true))
		st.locate.reset(s.n)
		for p := range s.n {
			if st.gone == nil || !st.gone.has(p) {
				st.locate.insert(p)
			}
		}
	}
	if st.gone == nil {
		st.gone = &bitset{}
	}
	// Store row as a probe past the end, look it up, and drop it.
	p, err := s.appendRow(ctx, row)
	if err != nil {
		return err
	}
	var q int
	if s.index != nil {
		q = s.index.find(p, nil)
	} else {
		q = st.locate.find(p, st.gone.has)
	}
	s.truncate(p)
	if q < 0 {
		return sql.ErrDeleteRowNotFound.New()
	}
	st.gone.set(q)
	if s.index != nil {
		s.index.remove(q)
	}
	return nil
}

// Update replaces old by new: new is stored at the end.
func (e *editor) Update(ctx *sql.Context, old, new sql.Row) error {
	if err := e.Delete(ctx, old); err != nil {
		return err
	}
	return e.Insert(ctx, new)
}
