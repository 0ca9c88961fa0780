package migrate_test

import (
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

// movielensTables describes the source tables as the fixtures declare them.
func movielensTables(schema string) []migrate.Table {
	return []migrate.Table{
		{Schema: schema, Name: "ratings", PrimaryKey: []string{"userId", "movieId"}, Columns: []migrate.Column{
			{"userId", "int"}, {"movieId", "int"}, {"rating", "decimal"}, {"timestamp", "bigint"}}},
		{Schema: schema, Name: "movies", PrimaryKey: []string{"movieId"}, Columns: []migrate.Column{
			{"movieId", "int"}, {"title", "varchar"}, {"genres", "varchar"}}},
		{Schema: schema, Name: "links", PrimaryKey: []string{"movieId"}, Columns: []migrate.Column{
			{"movieId", "int"}, {"imdbId", "char"}, {"tmdbId", "varchar"}}},
		{Schema: schema, Name: "tags", PrimaryKey: nil, Columns: []migrate.Column{
			{"userId", "int"}, {"movieId", "int"}, {"tag", "varchar"}, {"timestamp", "bigint"}}},
	}
}

func workshopPlans(t *testing.T) map[string]*migrate.TablePlan {
	t.Helper()
	m, err := migrate.LoadMapping("testdata/mapping-features.json")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := m.Plan(movielensTables("movielens"))
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string]*migrate.TablePlan{}
	for _, p := range plans {
		byTarget[p.Target] = p
	}
	return byTarget
}

// row builds a row; "\x00NULL" stands for SQL NULL.
func row(vals ...string) []sql.NullString {
	r := make([]sql.NullString, len(vals))
	for i, v := range vals {
		r[i] = sql.NullString{String: v, Valid: v != null}
	}
	return r
}

const null = "\x00NULL"

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// valuesByColumn orders named values as the plan reads its columns.
func valuesByColumn(t *testing.T, p *migrate.TablePlan, vals map[string]string) []sql.NullString {
	t.Helper()
	var out []string
	for _, c := range p.Columns {
		v, ok := vals[c]
		if !ok {
			t.Fatalf("plan for %s reads column %s, not given", p.Target, c)
		}
		out = append(out, v)
	}
	return row(out...)
}

func TestPlanWorkshopKeys(t *testing.T) {
	plans := workshopPlans(t)
	tests := []struct {
		target  string
		rule    string
		pk, sk  migrate.KeyAttribute
		columns []string
	}{
		{"ratings_t", "ratings", migrate.KeyAttribute{Name: "Id", Type: "S"}, migrate.KeyAttribute{Name: "movieId", Type: "S"},
			[]string{"userId", "movieId", "rating", "timestamp"}},
		{"movies_t", "movies", migrate.KeyAttribute{Name: "movieId", Type: "N"}, migrate.KeyAttribute{Name: "genres", Type: "S"},
			[]string{"movieId", "title", "genres"}},
		{"links_t", "links", migrate.KeyAttribute{Name: "movieId", Type: "S"}, migrate.KeyAttribute{Name: "imdbId", Type: "S"},
			[]string{"movieId", "imdbId", "tmdbId"}},
		{"tags_t", "tags", migrate.KeyAttribute{Name: "Id", Type: "S"}, migrate.KeyAttribute{Name: "timestamp", Type: "N"},
			[]string{"userId", "movieId", "tag", "timestamp"}},
	}
	if len(plans) != len(tests) {
		t.Fatalf("plans for %d tables, want %d", len(plans), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			p := plans[tt.target]
			if p == nil {
				t.Fatalf("no plan for %s", tt.target)
			}
			if p.RuleName != tt.rule || p.PartitionKey != tt.pk || p.SortKey != tt.sk {
				t.Errorf("rule %q keys %v %v; want %q %v %v", p.RuleName, p.PartitionKey, p.SortKey, tt.rule, tt.pk, tt.sk)
			}
			if !reflect.DeepEqual(p.Columns, tt.columns) {
				t.Errorf("columns read = %v, want %v", p.Columns, tt.columns)
			}
		})
	}
}

func TestItem(t *testing.T) {
	plans := workshopPlans(t)
	tests := []struct {
		name   string
		target string
		vals   map[string]string
		want   map[string]types.AttributeValue
	}{
		{"ratings: templates, excludes, text kept", "ratings_t",
			map[string]string{"userId": "1", "movieId": "31", "rating": "3.0", "timestamp": "1260759144"},
			map[string]types.AttributeValue{"Id": s("1X31"), "userId": s("1"), "movieId": s("31"), "rating": s("3.0"), "timestamp_c": s("1260759144")}},
		{"ratings: NULL column gives no attribute", "ratings_t",
			map[string]string{"userId": "1", "movieId": "31", "rating": null, "timestamp": "1260759144"},
			map[string]types.AttributeValue{"Id": s("1X31"), "userId": s("1"), "movieId": s("31"), "timestamp_c": s("1260759144")}},
		{"movies: columns as-is, numbers by type", "movies_t",
			map[string]string{"movieId": "1", "title": `Toy Story (1995), "the" film – ü`, "genres": "Adventure|Animation"},
			map[string]types.AttributeValue{"movieId": n("1"), "title": s(`Toy Story (1995), "the" film – ü`), "genres": s("Adventure|Animation")}},
		{"links: leading zeros kept, NULL dropped", "links_t",
			map[string]string{"movieId": "1", "imdbId": "0114709", "tmdbId": null},
			map[string]types.AttributeValue{"movieId": s("1"), "imdbId": s("0114709")}},
		{"links: empty text is kept", "links_t",
			map[string]string{"movieId": "2", "imdbId": "0113497", "tmdbId": ""},
			map[string]types.AttributeValue{"movieId": s("2"), "imdbId": s("0113497"), "tmdbId": s("")}},
		{"tags: template half NULL reads empty", "tags_t",
			map[string]string{"userId": "15", "movieId": null, "tag": "dark", "timestamp": "1138537770"},
			map[string]types.AttributeValue{"Id": s("15X"), "userId": n("15"), "tag": s("dark"), "timestamp": n("1138537770")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plans[tt.target]
			got, err := p.Item(valuesByColumn(t, p, tt.vals))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("item =\n%#v\nwant\n%#v", render(got), render(tt.want))
			}
		})
	}
}

func render(item map[string]types.AttributeValue) map[string]string {
	out := map[string]string{}
	for k, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = "S:" + v.Value
		case *types.AttributeValueMemberN:
			out[k] = "N:" + v.Value
		default:
			out[k] = "?"
		}
	}
	return out
}

func TestItemRejects(t *testing.T) {
	plans := workshopPlans(t)
	tests := []struct {
		name   string
		target string
		vals   map[string]string
		reason string
	}{
		{"partition key from NULLs only", "ratings_t",
			map[string]string{"userId": null, "movieId": null, "rating": "3.0", "timestamp": "1"}, "partition key attribute Id is missing"},
		{"empty sort key", "movies_t",
			map[string]string{"movieId": "5", "title": "t", "genres": ""}, "sort key attribute genres is empty"},
		{"sort key NULL", "links_t",
			map[string]string{"movieId": "5", "imdbId": null, "tmdbId": "1"}, "sort key attribute imdbId is missing"},
		{"item over 400 KB", "movies_t",
			map[string]string{"movieId": "7", "title": strings.Repeat("x", 400*1024), "genres": "Drama"}, "exceeds DynamoDB's limit of 409600 bytes"},
		{"partition key over 2048 bytes", "ratings_t",
			map[string]string{"userId": strings.Repeat("1", 2048), "movieId": "2", "rating": "1.0", "timestamp": "1"}, "over DynamoDB's limit of 2048"},
		{"not a number", "movies_t",
			map[string]string{"movieId": "abc", "title": "t", "genres": "Drama"}, `attribute movieId: "abc" is not a number`},
		{"too many digits", "movies_t",
			map[string]string{"movieId": "1" + strings.Repeat("2", 38), "title": "t", "genres": "Drama"}, "39 significant digits"},
		{"invalid UTF-8", "movies_t",
			map[string]string{"movieId": "8", "title": "caf\xe9", "genres": "Drama"}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plans[tt.target]
			item, err := p.Item(valuesByColumn(t, p, tt.vals))
			var re *migrate.RowError
			if !errors.As(err, &re) {
				t.Fatalf("Item = %v, %v; want a *RowError", render(item), err)
			}
			if !strings.Contains(re.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", re.Reason, tt.reason)
			}
		})
	}
}

func TestItemJustUnder400KB(t *testing.T) {
	p := workshopPlans(t)["movies_t"]
	// movieId (7) + N "7" (2) + title (5) + genres (6) + "Drama" (5) = 25 bytes besides the title's value.
	title := strings.Repeat("y", migrate.MaxItemSize-25)
	item, err := p.Item(valuesByColumn(t, p, map[string]string{"movieId": "7", "title": title, "genres": "Drama"}))
	if err != nil {
		t.Fatalf("an item of exactly 400 KB is refused: %v", err)
	}
	if got := migrate.ItemSize(item); got != migrate.MaxItemSize {
		t.Errorf("ItemSize = %d, want %d", got, migrate.MaxItemSize)
	}
	_, err = p.Item(valuesByColumn(t, p, map[string]string{"movieId": "7", "title": title + "y", "genres": "Drama"}))
	if err == nil {
		t.Error("an item one byte over 400 KB is accepted")
	}
}

func TestItemSize(t *testing.T) {
	tests := []struct {
		item map[string]types.AttributeValue
		want int
	}{
		{map[string]types.AttributeValue{"a": s("xyz")}, 4},
		{map[string]types.AttributeValue{"bb": n("123.45")}, 2 + 4}, // 5 digits: 3 bytes + 1
		{map[string]types.AttributeValue{"bb": n("0.0012")}, 2 + 2}, // 1 significant digit
		{map[string]types.AttributeValue{"ü": s("é")}, 2 + 2},       // UTF-8 bytes
		{map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}}, 2},
		{map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": s("v")}}}, 1 + 3 + 1 + 1 + 1},
	}
	for _, tt := range tests {
		if got := migrate.ItemSize(tt.item); got != tt.want {
			t.Errorf("ItemSize(%v) = %d, want %d", render(tt.item), got, tt.want)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	base := movielensTables("movielens")
	om := func(params string) string {
		return `{"rule-type":"object-mapping","rule-id":"7","rule-name":"seven","rule-action":"map-record-to-record","object-locator":{"schema-name":"movielens","table-name":"ratings"},"target-table-name":"r_t","mapping-parameters":` + params + `}`
	}
	sel := `{"rule-type":"selection","rule-id":"1","rule-name":"sel","object-locator":{"schema-name":"movielens","table-name":"ratings"},"rule-action":"include"}`
	doc := func(objs ...string) []byte {
		return []byte(`{"rules":[` + strings.Join(append([]string{sel}, objs...), ",") + `]}`)
	}
	tests := []struct {
		name   string
		doc    []byte
		tables []migrate.Table
		want   []string
	}{
		{"unknown template column", doc(om(`{"partition-key-name":"Id","attribute-mappings":[{"target-attribute-name":"Id","attribute-type":"scalar","attribute-sub-type":"string","value":"${user}"}]}`)),
			base, []string{"rule-id 7", `"seven"`, "${user}"}},
		{"unknown excluded column", doc(om(`{"partition-key-name":"userId","exclude-columns":["rated"]}`)),
			base, []string{"rule-id 7", `"rated"`}},
		{"partition key excluded", doc(om(`{"partition-key-name":"userId","exclude-columns":["userId"]}`)),
			base, []string{"rule-id 7", `partition-key-name "userId"`}},
		{"two rules for one table", doc(om(`{"partition-key-name":"userId"}`),
			`{"rule-type":"object-mapping","rule-id":"8","rule-name":"eight","rule-action":"map-record-to-record","object-locator":{"schema-name":"movielens","table-name":"rat%"},"target-table-name":"r2","mapping-parameters":{"partition-key-name":"userId"}}`),
			base, []string{"two object-mapping rules", `"seven"`, `"eight"`}},
		{"unmapped table with composite key", doc(), base, []string{"movielens.ratings", "composite", "userId, movieId"}},
		{"unmapped table without key", []byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"sel","object-locator":{"schema-name":"movielens","table-name":"tags"},"rule-action":"include"}]}`),
			base, []string{"movielens.tags", "no primary key"}},
		{"blob column", doc(om(`{"partition-key-name":"userId"}`)),
			[]migrate.Table{{Schema: "movielens", Name: "ratings", Columns: []migrate.Column{{"userId", "int"}, {"photo", "blob"}}}},
			[]string{"rule-id 7", "photo", "blob"}},
		{"invalid target name", doc(`{"rule-type":"object-mapping","rule-id":"7","rule-name":"seven","rule-action":"map-record-to-record","object-locator":{"schema-name":"movielens","table-name":"ratings"},"target-table-name":"r t","mapping-parameters":{"partition-key-name":"userId"}}`),
			base, []string{"rule-id 7", `"r t"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := migrate.ParseMapping(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			plans, err := m.Plan(tt.tables)
			if err == nil {
				t.Fatalf("Plan succeeded with %d plans", len(plans))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestPlanUnmappedTable(t *testing.T) {
	m, err := migrate.ParseMapping([]byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"sel","object-locator":{"schema-name":"movielens","table-name":"m%"},"rule-action":"include"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	plans, err := m.Plan(movielensTables("movielens"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 {
		t.Fatalf("%d plans, want 1 (movies)", len(plans))
	}
	p := plans[0]
	if p.Target != "movies" || p.RuleID != "" || p.PartitionKey != (migrate.KeyAttribute{Name: "movieId", Type: "N"}) || p.SortKey.Name != "" {
		t.Errorf("plan = target %s rule %q keys %v %v", p.Target, p.RuleID, p.PartitionKey, p.SortKey)
	}
	item, err := p.Item(row("3", "Heat (1995)", null))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]types.AttributeValue{"movieId": n("3"), "title": s("Heat (1995)")}; !reflect.DeepEqual(item, want) {
		t.Errorf("item = %v, want %v", render(item), render(want))
	}
}

func TestPlanLoadOrder(t *testing.T) {
	m, err := migrate.ParseMapping([]byte(`{"rules":[
		{"rule-type":"selection","rule-id":"1","rule-name":"a","object-locator":{"schema-name":"movielens","table-name":"movies"},"rule-action":"include","load-order":"1"},
		{"rule-type":"selection","rule-id":"2","rule-name":"b","object-locator":{"schema-name":"movielens","table-name":"links"},"rule-action":"include","load-order":"2"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	plans, err := m.Plan(movielensTables("movielens"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plans {
		got = append(got, p.Target)
	}
	if want := []string{"links", "movies"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v (higher load-order first)", got, want)
	}
}

// TestWorkshopMapping checks the workshop's table mapping, read as the file
// a user would pass with PIPELINE_MAPPING, against the source tables as the
// fixtures' loader declares them.
func TestWorkshopMapping(t *testing.T) {
	m, err := migrate.LoadMapping("table-mappings.json")
	if err != nil {
		t.Fatal(err)
	}
	tables := []migrate.Table{
		{Schema: "movielens", Name: "movies", Columns: []migrate.Column{{"movieId", "int"}, {"title", "varchar"}, {"genres", "varchar"}}},
		{Schema: "movielens", Name: "links", Columns: []migrate.Column{{"movieId", "int"}, {"imdbId", "varchar"}, {"tmdbId", "int"}}},
		{Schema: "movielens", Name: "ratings", Columns: []migrate.Column{{"userId", "int"}, {"movieId", "int"}, {"rating", "decimal"}, {"timestamp", "bigint"}}},
		{Schema: "movielens", Name: "tags", Columns: []migrate.Column{{"userId", "int"}, {"movieId", "int"}, {"tag", "varchar"}, {"timestamp", "bigint"}}},
	}
	plans, err := m.Plan(tables)
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string]*migrate.TablePlan{}
	for _, p := range plans {
		byTarget[p.Target] = p
	}
	for _, target := range []string{"ratings_t", "movies_t", "links_t", "tags_t"} {
		if byTarget[target] == nil {
			t.Errorf("no plan loads %s", target)
		}
	}
	if p := byTarget["ratings_t"]; p != nil {
		if p.PartitionKey.Name != "Id" || p.SortKey.Name != "movieId" {
			t.Errorf("ratings_t keys %v %v, want Id and movieId", p.PartitionKey, p.SortKey)
		}
		item, err := p.Item(valuesByColumn(t, p, map[string]string{"userId": "1", "movieId": "31", "rating": "3.0", "timestamp": "1260759144"}))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := str(item, "Id"); got != "1X31" {
			t.Errorf("Id = %q, want 1X31", got)
		}
		if got, _ := str(item, "rating"); got != "3.0" {
			t.Errorf("rating = %q, want 3.0", got)
		}
	}
}

// A mapping built by hand is checked as a parsed one is: nothing is ignored.
func TestPlanHandBuiltMapping(t *testing.T) {
	m := &migrate.Mapping{Rules: []migrate.Rule{
		{Type: "selection", ID: "1", Name: "all", Action: "include", Schema: "movielens", Table: "%"},
		{Type: "object-mapping", ID: "2", Name: "doc", Action: "map-record-to-document", Schema: "movielens", Table: "movies", PartitionKey: "movieId"},
	}}
	_, err := m.Plan(movielensTables("movielens"))
	var re *migrate.RuleError
	if !errors.As(err, &re) || re.ID != "2" || !errors.Is(err, migrate.ErrUnsupported) {
		t.Fatalf("err = %v, want an unsupported RuleError for rule 2", err)
	}
	m.Rules[1].Action = "map-record-to-record"
	plans, err := m.Plan(movielensTables("movielens"))
	if err == nil {
		t.Fatalf("plans %v: the unmapped ratings table has a composite key and should fail", plans)
	}
	if !strings.Contains(err.Error(), "movielens.ratings") {
		t.Errorf("err = %v, want it to name movielens.ratings", err)
	}
}
