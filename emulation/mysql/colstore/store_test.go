package colstore

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	sqltypes "github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// testStore is a table (id INT primary key, v VARCHAR(20) NULL,
// d DECIMAL(5,2) NOT NULL), or without its key.
func testStore(tb testing.TB, keyed bool) *Table {
	tb.Helper()
	sch := sql.Schema{
		{Name: "id", Type: types.Int32, Source: "t", PrimaryKey: keyed},
		{Name: "v", Type: types.MustCreateStringWithDefaults(sqltypes.VarChar, 20), Source: "t", Nullable: true},
		{Name: "d", Type: types.MustCreateDecimalType(5, 2), Source: "t"},
	}
	var pk []int
	if keyed {
		pk = []int{0}
	}
	s, err := newStore(nil, "t", sql.NewPrimaryKeySchema(sch, pk...), sql.Collation_Default, "")
	if err != nil {
		tb.Fatal(err)
	}
	return newTable(s)
}

func testRow(id int) sql.Row {
	var v any
	if id%5 != 0 {
		v = fmt.Sprintf("v%d é", id)
	}
	return sql.Row{int32(id), v, decimal.New(int64(id%10000), -2)}
}

// rowsOf reads a table's committed rows by id, from a fresh snapshot, and
// the number of partitions.
func rowsOf(tb testing.TB, ctx *sql.Context, t sql.Table) (map[int32]string, int) {
	tb.Helper()
	parts, err := t.Partitions(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return readParts(tb, ctx, t, parts)
}

func readParts(tb testing.TB, ctx *sql.Context, t sql.Table, parts sql.PartitionIter) (map[int32]string, int) {
	tb.Helper()
	got := map[int32]string{}
	n := 0
	for {
		p, err := parts.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
		it, err := t.PartitionRows(ctx, p)
		if err != nil {
			tb.Fatal(err)
		}
		for {
			r, err := it.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			id := r[0].(int32)
			if _, dup := got[id]; dup {
				tb.Fatalf("id %d read twice", id)
			}
			got[id] = fmt.Sprint(r)
		}
	}
	return got, n
}

func insertAll(tb testing.TB, ctx *sql.Context, t *Table, ids ...int) error {
	tb.Helper()
	ed := t.Inserter(ctx)
	ed.StatementBegin(ctx)
	for _, id := range ids {
		if err := ed.Insert(ctx, testRow(id)); err != nil {
			if derr := ed.DiscardChanges(ctx, err); derr != nil {
				tb.Fatal(derr)
			}
			return err
		}
	}
	if err := ed.StatementComplete(ctx); err != nil {
		tb.Fatal(err)
	}
	return ed.Close(ctx)
}

// TestStoreAcrossChunks writes and rewrites more rows than three chunks
// hold and checks every row against a model, and that a snapshot taken
// before a statement still reads what it saw.
func TestStoreAcrossChunks(t *testing.T) {
	t.Parallel()
	for _, keyed := range []bool{true, false} {
		t.Run(fmt.Sprintf("keyed=%v", keyed), func(t *testing.T) {
			t.Parallel()
			ctx := sql.NewEmptyContext()
			tbl := testStore(t, keyed)
			model := map[int32]string{}
			const n = 3*chunkRows + 123
			ids := make([]int, n)
			for i := range ids {
				ids[i] = i
				model[int32(i)] = fmt.Sprint(testRow(i))
			}
			if err := insertAll(t, ctx, tbl, ids...); err != nil {
				t.Fatal(err)
			}
			got, parts := rowsOf(t, ctx, tbl)
			if !maps.Equal(got, model) || parts != 4 {
				t.Fatalf("after the load: %d rows in %d partitions, want %d in 4", len(got), parts, len(model))
			}
			if c, exact, _ := tbl.RowCount(ctx); c != n || !exact {
				t.Fatalf("RowCount = %d (exact %v), want %d", c, exact, n)
			}

			before, err := tbl.Partitions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			oldModel := maps.Clone(model)

			// A statement that fails on a repeated key leaves nothing.
			if keyed {
				err := insertAll(t, ctx, tbl, n, n+1, n+2, 5, n+3)
				if !sql.ErrPrimaryKeyViolation.Is(err) {
					t.Fatalf("repeated key: err = %v", err)
				}
				if err.Error() != "duplicate primary key given: [5]" {
					t.Errorf("repeated key: %q", err.Error())
				}
				if c, _, _ := tbl.RowCount(ctx); c != n {
					t.Fatalf("after a failed statement RowCount = %d, want %d", c, n)
				}
			}

			// Delete every third row, update every seventh, add some.
			ed := tbl.Updater(ctx).(*editor)
			ed.StatementBegin(ctx)
			for i := 0; i < n; i += 3 {
				if err := ed.Delete(ctx, testRow(i)); err != nil {
					t.Fatalf("delete %d: %v", i, err)
				}
				delete(model, int32(i))
			}
			if err := ed.Delete(ctx, testRow(0)); !sql.ErrDeleteRowNotFound.Is(err) {
				t.Fatalf("deleting a deleted row: err = %v", err)
			}
			for i := 1; i < n; i += 7 {
				if i%3 == 0 {
					continue
				}
				nr := sql.Row{int32(i), "updated", decimal.New(-1, 0)}
				if err := ed.Update(ctx, testRow(i), nr); err != nil {
					t.Fatalf("update %d: %v", i, err)
				}
				model[int32(i)] = fmt.Sprint(sql.Row{int32(i), "updated", decimal.New(-100, -2)})
			}
			for i := n; i < n+1000; i++ {
				if err := ed.Insert(ctx, testRow(i)); err != nil {
					t.Fatal(err)
				}
				model[int32(i)] = fmt.Sprint(testRow(i))
			}
			if err := ed.StatementComplete(ctx); err != nil {
				t.Fatal(err)
			}
			got, _ = rowsOf(t, ctx, tbl)
			if !maps.Equal(got, model) {
				t.Fatalf("after deletes and updates: %d rows, want %d; first differences %v", len(got), len(model), diff(got, model))
			}
			old, _ := readParts(t, ctx, tbl, before)
			if !maps.Equal(old, oldModel) {
				t.Fatalf("the snapshot taken before changed: %v", diff(old, oldModel))
			}

			// The index follows the rebuilt positions.
			if keyed {
				if err := insertAll(t, ctx, tbl, 1); !sql.ErrPrimaryKeyViolation.Is(err) {
					t.Fatalf("key 1 after the rebuild: err = %v", err)
				}
				if err := insertAll(t, ctx, tbl, 0, 3); err != nil {
					t.Fatalf("deleted keys 0 and 3: %v", err)
				}
				model[0], model[3] = fmt.Sprint(testRow(0)), fmt.Sprint(testRow(3))
			}
			if removed, _ := tbl.Truncate(ctx); removed != len(model) {
				t.Errorf("Truncate removed %d rows, want %d", removed, len(model))
			}
			if got, parts := rowsOf(t, ctx, tbl); len(got) != 0 || parts != 0 {
				t.Errorf("after Truncate: %d rows in %d partitions", len(got), parts)
			}
		})
	}
}

func diff(got, want map[int32]string) []string {
	var out []string
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			out = append(out, fmt.Sprintf("%d: got %q want %q", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%d: got %q, not wanted", k, g))
		}
	}
	slices.Sort(out)
	return out[:min(5, len(out))]
}

// TestStoreRefusesBadValues checks that a value of the wrong type or a
// NULL in a NOT NULL column leaves the row out and names the column.
func TestStoreRefusesBadValues(t *testing.T) {
	t.Parallel()
	ctx := sql.NewEmptyContext()
	tbl := testStore(t, true)
	for _, tc := range []struct {
		row  sql.Row
		want string
	}{
		{sql.Row{int64(1), "x", decimal.New(1, 0)}, "table t, column id (int): value 1 is a int64, want a int32"},
		{sql.Row{int32(1), "x", nil}, "column name 'd' is non-nullable but attempted to set a value of null"},
		{sql.Row{int32(1), "x", decimal.New(1, -3)}, "table t, column d (decimal(5,2)): value 0.001 has more than 2 decimals"},
		{sql.Row{int32(1), "x"}, "table t: row of 2 values for 3 columns"},
	} {
		err := insertAll(t, ctx, tbl, 0) // a good row first
		if err != nil {
			t.Fatal(err)
		}
		ed := tbl.Inserter(ctx)
		ed.StatementBegin(ctx)
		err = ed.Insert(ctx, tc.row)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Insert(%v) = %v, want %q", tc.row, err, tc.want)
		}
		if derr := ed.DiscardChanges(ctx, err); derr != nil {
			t.Fatal(derr)
		}
		if got, _ := rowsOf(t, ctx, tbl); len(got) != 1 {
			t.Errorf("after Insert(%v): %d rows, want 1", tc.row, len(got))
		}
		tbl.Truncate(ctx)
	}
}

// TestStoreBytesPerRow checks the memory a MovieLens rating takes.
func TestStoreBytesPerRow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		keyed bool
		max   float64
	}{{false, 18.1}, {true, 18 + 5*float64(roomFor(4*chunkRows))/(4*chunkRows) + 0.1}} {
		sch := sql.Schema{
			{Name: "userId", Type: types.Int32, Source: "r", PrimaryKey: tc.keyed},
			{Name: "movieId", Type: types.Int32, Source: "r", PrimaryKey: tc.keyed},
			{Name: "rating", Type: types.MustCreateDecimalType(2, 1), Source: "r"},
			{Name: "timestamp", Type: types.Int64, Source: "r"},
		}
		var pk []int
		if tc.keyed {
			pk = []int{0, 1}
		}
		s, err := newStore(nil, "r", sql.NewPrimaryKeySchema(sch, pk...), sql.Collation_Default, "")
		if err != nil {
			t.Fatal(err)
		}
		tbl := newTable(s)
		ctx := sql.NewEmptyContext()
		ed := tbl.Inserter(ctx)
		ed.StatementBegin(ctx)
		for i := range 4 * chunkRows {
			if err := ed.Insert(ctx, sql.Row{int32(i / 100), int32(i % 100), decimal.New(int64(i%10), -1), int64(1e9 + i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ed.StatementComplete(ctx); err != nil {
			t.Fatal(err)
		}
		n, _ := tbl.DataLength(ctx)
		if per := float64(n) / (4 * chunkRows); per > tc.max {
			t.Errorf("keyed=%v: %.1f bytes a rating, want at most %.1f", tc.keyed, per, tc.max)
		}
	}
}

// TestStoreReadersDuringWrites reads while statements append: a reader
// sees whole statements (a multiple of 1,000 rows, ids 0 to n-1), and the
// race detector sees no unsynchronised access.
func TestStoreReadersDuringWrites(t *testing.T) {
	t.Parallel()
	tbl := testStore(t, true)
	const stmts, per = 150, 1000
	done := make(chan error, 1)
	go func() {
		ctx := sql.NewEmptyContext()
		for s := range stmts {
			ids := make([]int, per)
			for i := range ids {
				ids[i] = s*per + i
			}
			if err := insertAll(t, ctx, tbl, ids...); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	ctx := sql.NewEmptyContext()
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		got, _ := rowsOf(t, ctx, tbl)
		if len(got)%per != 0 {
			t.Fatalf("a reader saw %d rows: part of a statement", len(got))
		}
		for id := range int32(len(got)) {
			if _, ok := got[id]; !ok {
				t.Fatalf("a reader saw %d rows without id %d", len(got), id)
			}
		}
	}
	if got, _ := rowsOf(t, ctx, tbl); len(got) != stmts*per {
		t.Errorf("%d rows, want %d", len(got), stmts*per)
	}
}

// BenchmarkStoreInsert stores ratings through a table's inserter, without
// the SQL engine: what the column store itself costs a row.
func BenchmarkStoreInsert(b *testing.B) {
	for _, keyed := range []bool{false, true} {
		b.Run(map[bool]string{false: "keyless", true: "primary-key"}[keyed], func(b *testing.B) {
			sch := sql.Schema{
				{Name: "userId", Type: types.Int32, Source: "r", PrimaryKey: keyed},
				{Name: "movieId", Type: types.Int32, Source: "r", PrimaryKey: keyed},
				{Name: "rating", Type: types.MustCreateDecimalType(2, 1), Source: "r"},
				{Name: "timestamp", Type: types.Int64, Source: "r"},
			}
			var pk []int
			if keyed {
				pk = []int{0, 1}
			}
			const n = 1 << 20
			rows := make([]sql.Row, n)
			for i := range rows {
				rows[i] = sql.Row{int32(i / 128), int32(i % 128 * 7), decimal.New(int64(i%10), -1), int64(1e9 + i)}
			}
			ctx := sql.NewEmptyContext()
			for b.Loop() {
				s, err := newStore(nil, "r", sql.NewPrimaryKeySchema(sch, pk...), sql.Collation_Default, "")
				if err != nil {
					b.Fatal(err)
				}
				ed := newTable(s).Inserter(ctx)
				ed.StatementBegin(ctx)
				for _, r := range rows {
					if err := ed.Insert(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
				if err := ed.StatementComplete(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
