package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// backends are the Backend implementations every backend test runs
// against; a new store joins this list.
var backends = []struct {
	name string
	new  func() Backend
}{
	{"memory", func() Backend { return NewMemory() }},
}

// backendItem is the rating-like item i of the backend tests: partition
// p<i%3>, sort key i (N), and g (S) on even items only.
func backendItem(i int) (Key, Item) {
	pk := fmt.Sprintf("p%d", i%3)
	sk := fmt.Sprint(i)
	it := Item{"pk": sv(pk), "sk": nv(sk), "v": sv(strings.Repeat("x", i))}
	if i%2 == 0 {
		it["g"] = sv(fmt.Sprint("g", i%4))
	}
	return Key{PK: []byte(pk), SK: []byte(sk)}, it
}

func TestBackends(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testBackend(t, b.new())
		})
	}
}

func testBackend(t *testing.T, be Backend) {
	ctx := t.Context()
	schema := Schema{Hash: KeyAttr{"pk", "S"}, Range: KeyAttr{"sk", "N"},
		Indexes: []IndexSchema{{Name: "byG", Hash: KeyAttr{"g", "S"}, Range: KeyAttr{"sk", "N"}, Projection: "KEYS_ONLY"}}}
	if err := be.CreateTable(ctx, "t", schema); err != nil {
		t.Fatal(err)
	}
	if err := be.CreateTable(ctx, "t", schema); !errors.Is(err, ErrTableExists) {
		t.Errorf("second CreateTable: %v, want ErrTableExists", err)
	}
	if err := be.View(ctx, []string{"missing"}, func(ReadTx) error { return nil }); !errors.Is(err, ErrNoTable) {
		t.Errorf("View of a missing table: %v, want ErrNoTable", err)
	}
	const n = 30
	err := be.Update(ctx, []string{"t"}, func(tx WriteTx) error {
		for i := range n {
			k, it := backendItem(i)
			if _, replaced := tx.Put("t", k, it); replaced {
				return fmt.Errorf("item %d replaced on first put", i)
			}
		}
		k, it := backendItem(4)
		it["v"] = sv("replaced")
		old, replaced := tx.Put("t", k, it)
		if !replaced || *old.Item()["v"].S != "xxxx" {
			return fmt.Errorf("replacing item 4 returned %v %v", old.Item(), replaced)
		}
		k, _ = backendItem(5)
		if _, ok := tx.Delete("t", k); !ok {
			return errors.New("delete of item 5 found nothing")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T, fn func(tx ReadTx)) {
		t.Helper()
		if err := be.View(ctx, []string{"t"}, func(tx ReadTx) error { fn(tx); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	sks := func(recs []Record) []string {
		var out []string
		for _, r := range recs {
			out = append(out, *r.Item()["sk"].N)
		}
		return out
	}
	collect := func(out *[]Record) func(Record) bool {
		return func(r Record) bool {
			*out = append(*out, MakeRecord(slices.Clone(r.b), r.names))
			return true
		}
	}
	t.Run("get", func(t *testing.T) {
		read(t, func(tx ReadTx) {
			k, _ := backendItem(4)
			r, ok := tx.Get("t", k)
			if !ok || *r.Item()["v"].S != "replaced" {
				t.Errorf("item 4: %v %v", ok, r.Item())
			}
			k, _ = backendItem(5)
			if _, ok := tx.Get("t", k); ok {
				t.Error("deleted item 5 found")
			}
			if items, _ := tx.Stats("t", ""); items != n-1 {
				t.Errorf("%d items, want %d", items, n-1)
			}
		})
	})
	t.Run("query", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    QueryRange
			want string
		}{
			{"whole partition", QueryRange{PK: []byte("p1"), Forward: true}, "[1 4 7 10 13 16 19 22 25 28]"},
			{"backwards", QueryRange{PK: []byte("p2"), Forward: false}, "[29 26 23 20 17 14 11 8 2]"},
			{"between", QueryRange{PK: []byte("p0"), Forward: true, Sort: SortCond{Op: "BETWEEN", Args: [2][]byte{[]byte("3"), []byte("12")}}}, "[3 6 9 12]"},
			{"after a start", QueryRange{PK: []byte("p0"), Forward: true, Sort: SortCond{Op: ">", Args: [2][]byte{[]byte("0")}},
				Start: &Position{Item: Key{PK: []byte("p0"), SK: []byte("15")}}}, "[18 21 24 27]"},
			{"index, keys only", QueryRange{PK: []byte("g2"), Forward: true}, "[2 6 10 14 18 22 26]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []Record
				index := ""
				if strings.HasPrefix(string(tc.q.PK), "g") {
					index = "byG"
				}
				read(t, func(tx ReadTx) { tx.Query("t", index, tc.q, collect(&got)) })
				if s := fmt.Sprint(sks(got)); s != tc.want {
					t.Errorf("sort keys %s, want %s", s, tc.want)
				}
				if index != "" && len(got) > 0 {
					if _, ok := got[0].Item()["v"]; ok {
						t.Error("KEYS_ONLY index returned a non-key attribute")
					}
				}
			})
		}
	})
	t.Run("scan segments and resume", func(t *testing.T) {
		for _, index := range []string{"", "byG"} {
			var all []Record
			for seg := range 4 {
				var part []Record
				read(t, func(tx ReadTx) { tx.Scan("t", index, ScanRange{Segment: seg, TotalSegments: 4}, collect(&part)) })
				all = append(all, part...)
			}
			var whole []Record
			read(t, func(tx ReadTx) { tx.Scan("t", index, ScanRange{}, collect(&whole)) })
			if fmt.Sprint(sks(all)) != fmt.Sprint(sks(whole)) {
				t.Errorf("index %q: segments %v, whole %v", index, sks(all), sks(whole))
			}
			// Resume after the 5th record of the whole scan.
			at := whole[4]
			start := &Position{Item: Key{PK: []byte(*at.Item()["pk"].S), SK: []byte(*at.Item()["sk"].N)}}
			if index != "" {
				start.Index = Key{PK: []byte(*at.Item()["g"].S), SK: start.Item.SK}
			}
			var rest []Record
			read(t, func(tx ReadTx) { tx.Scan("t", index, ScanRange{Start: start}, collect(&rest)) })
			if fmt.Sprint(sks(rest)) != fmt.Sprint(sks(whole[5:])) {
				t.Errorf("index %q: resumed %v, want %v", index, sks(rest), sks(whole[5:]))
			}
		}
	})
	t.Run("indexes added and dropped", func(t *testing.T) {
		if err := be.CreateIndex(ctx, "t", IndexSchema{Name: "byV", Hash: KeyAttr{"v", "S"}, Projection: "ALL"}); err != nil {
			t.Fatal(err)
		}
		var got []Record
		read(t, func(tx ReadTx) {
			tx.Query("t", "byV", QueryRange{PK: []byte("replaced"), Forward: true}, collect(&got))
		})
		if fmt.Sprint(sks(got)) != "[4]" {
			t.Errorf("backfilled index holds %v, want [4]", sks(got))
		}
		if err := be.DropIndex(ctx, "t", "byV"); err != nil {
			t.Fatal(err)
		}
		if err := be.DropIndex(ctx, "t", "byV"); !errors.Is(err, ErrNoIndex) {
			t.Errorf("second DropIndex: %v, want ErrNoIndex", err)
		}
	})
	t.Run("drop", func(t *testing.T) {
		if err := be.DropTable(context.Background(), "t"); err != nil {
			t.Fatal(err)
		}
		if err := be.DropTable(context.Background(), "t"); !errors.Is(err, ErrNoTable) {
			t.Errorf("second DropTable: %v, want ErrNoTable", err)
		}
	})
}
