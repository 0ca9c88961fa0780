package colstore

import (
	"fmt"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestProvider checks databases, the column store's and the memory
// tables' tables in one database, and a table-function copy of the
// provider, which sees the same databases.
func TestProvider(t *testing.T) {
	t.Parallel()
	p := NewProvider(nil)
	ctx := sql.NewContext(t.Context(), sql.WithSession(p.NewSession(sql.NewBaseSession())))
	if err := p.CreateDatabase(ctx, "Shop"); err != nil {
		t.Fatal(err)
	}
	if !p.HasDatabase(ctx, "shop") || len(p.AllDatabases(ctx)) != 1 {
		t.Fatalf("database Shop not found as shop")
	}
	db, err := p.Database(ctx, "SHOP")
	if err != nil {
		t.Fatal(err)
	}
	d := db.(*Database)
	compact := sql.NewPrimaryKeySchema(sql.Schema{{Name: "id", Type: types.Int64, Source: "items"}})
	dated := sql.NewPrimaryKeySchema(sql.Schema{{Name: "at", Type: types.Datetime, Source: "events"}})
	for name, sch := range map[string]sql.PrimaryKeySchema{"Items": compact, "events": dated} {
		if err := d.CreateTable(ctx, name, sch, sql.Collation_Default, ""); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	if err := d.CreateTable(ctx, "items", compact, sql.Collation_Default, ""); !sql.ErrTableAlreadyExists.Is(err) {
		t.Errorf("create items again: err = %v", err)
	}
	for name, want := range map[string]string{"ITEMS": "*colstore.Table", "events": "*memory.Table"} {
		tbl, ok, err := d.GetTableInsensitive(ctx, name)
		if err != nil || !ok {
			t.Fatalf("table %s: %v %v", name, ok, err)
		}
		if got := fmt.Sprintf("%T", tbl); got != want {
			t.Errorf("table %s is a %s, want a %s", name, got, want)
		}
	}
	names, err := d.GetTableNames(ctx)
	if err != nil || len(names) != 2 {
		t.Errorf("table names %v (%v), want Items and events", names, err)
	}
	tf, err := p.WithTableFunctions()
	if err != nil {
		t.Fatal(err)
	}
	if !tf.(Provider).HasDatabase(ctx, "shop") {
		t.Errorf("the table-function copy does not see database shop")
	}
	if err := d.DropTable(ctx, "items"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.GetTableInsensitive(ctx, "items"); ok {
		t.Errorf("items still there after DropTable")
	}
	if err := p.DropDatabase(ctx, "shop"); err != nil || p.HasDatabase(ctx, "shop") {
		t.Errorf("DropDatabase: %v, still there: %v", err, p.HasDatabase(ctx, "shop"))
	}
}
