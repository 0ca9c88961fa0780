package migrate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

func TestLoadMappingFeatures(t *testing.T) {
	m, err := migrate.LoadMapping("testdata/mapping-features.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(m.Rules); got != 5 {
		t.Fatalf("rules = %d, want 5", got)
	}
	r := m.Rules[1]
	if r.Type != migrate.RuleObjectMapping || r.ID != "2" || r.Name != "ratings" || r.TargetTable != "ratings_t" ||
		r.PartitionKey != "Id" || r.SortKey != "movieId" || len(r.ExcludeColumns) != 4 || len(r.AttributeMappings) != 5 {
		t.Errorf("ratings rule = %+v", r)
	}
	if am := r.AttributeMappings[0]; am.Name != "Id" || am.Value != "${userId}X${movieId}" || am.SubType != "string" || am.Type != "scalar" {
		t.Errorf("Id mapping = %+v", am)
	}
}

func TestLoadMappingMissingFile(t *testing.T) {
	_, err := migrate.LoadMapping("testdata/nope.json")
	if err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Fatalf("err = %v, want one naming the file", err)
	}
}

// rule wraps rule objects into a mapping document with a selection rule.
func rules(objs ...string) []byte {
	all := append([]string{`{"rule-type":"selection","rule-id":"1","rule-name":"sel","object-locator":{"schema-name":"s","table-name":"%"},"rule-action":"include"}`}, objs...)
	return []byte(`{"rules":[` + strings.Join(all, ",") + `]}`)
}

func TestParseMappingErrors(t *testing.T) {
	om := func(action, params string) string {
		return `{"rule-type":"object-mapping","rule-id":"7","rule-name":"seven","rule-action":"` + action +
			`","object-locator":{"schema-name":"s","table-name":"t"},"target-table-name":"t_t","mapping-parameters":` + params + `}`
	}
	tests := []struct {
		name        string
		doc         []byte
		unsupported bool     // errors.Is(err, ErrUnsupported)
		want        []string // substrings of the message
	}{
		{"transformation rule", rules(`{"rule-type":"transformation","rule-id":"9","rule-name":"lower","rule-action":"convert-lowercase","rule-target":"table","object-locator":{"schema-name":"s","table-name":"%"}}`),
			true, []string{`rule-id 9 `, `rule-name "lower"`, `"transformation"`}},
		{"table-settings rule", rules(`{"rule-type":"table-settings","rule-id":"3","rule-name":"parallel","object-locator":{"schema-name":"s","table-name":"t"},"parallel-load":{"type":"partitions-auto"}}`),
			true, []string{`rule-id 3 `, `rule-name "parallel"`, `"table-settings"`}},
		{"unknown rule type", rules(`{"rule-type":"magic","rule-id":"4","rule-name":"m"}`),
			true, []string{`rule-id 4 `, `unknown rule-type "magic"`}},
		{"map-record-to-document", rules(om("map-record-to-document", `{"partition-key-name":"a"}`)),
			true, []string{`rule-id 7 `, `rule-name "seven"`, "map-record-to-document"}},
		{"unknown object-mapping action", rules(om("map-sideways", `{}`)),
			true, []string{`rule-id 7 `, `"map-sideways"`}},
		{"document attribute", rules(om("map-record-to-record", `{"partition-key-name":"a","attribute-mappings":[{"target-attribute-name":"d","attribute-type":"document","attribute-sub-type":"dynamodb-map","value":{"M":{}}}]}`)),
			true, []string{`rule-id 7 `, `attribute-type "document"`}},
		{"condition expression", rules(om("map-record-to-record", `{"partition-key-name":"a","condition-expression":{"expression":"attribute_not_exists(a)"}}`)),
			true, []string{`rule-id 7 `, `"condition-expression"`}},
		{"boolean sub-type", rules(om("map-record-to-record", `{"partition-key-name":"a","attribute-mappings":[{"target-attribute-name":"b","attribute-type":"scalar","attribute-sub-type":"boolean","value":"${b}"}]}`)),
			true, []string{`rule-id 7 `, `attribute-sub-type "boolean"`}},
		{"selection filters", []byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"f","object-locator":{"schema-name":"s","table-name":"t"},"rule-action":"include","filters":[{"filter-type":"source","column-name":"a","filter-conditions":[{"filter-operator":"eq","value":"1"}]}]}]}`),
			true, []string{`rule-id 1 `, `rule-name "f"`, "filters"}},
		{"views", []byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"v","object-locator":{"schema-name":"s","table-name":"%","table-type":"view"},"rule-action":"include"}]}`),
			true, []string{`rule-id 1 `, `table-type "view"`}},
		{"unknown selection action", []byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"x","object-locator":{"schema-name":"s","table-name":"t"},"rule-action":"maybe"}]}`),
			true, []string{`rule-id 1 `, `"maybe"`}},
		{"unknown key", rules(om("map-record-to-record", `{"partition-key-name":"a","shard-count":3}`)),
			true, []string{`rule-id 7 `, `"shard-count"`}},
		{"unclosed template", rules(om("map-record-to-record", `{"partition-key-name":"a","attribute-mappings":[{"target-attribute-name":"a","attribute-type":"scalar","attribute-sub-type":"string","value":"${x"}]}`)),
			false, []string{`rule-id 7 `, "unclosed ${"}},
		{"sort key alone", rules(om("map-record-to-record", `{"sort-key-name":"a"}`)),
			false, []string{`rule-id 7 `, "sort-key-name without partition-key-name"}},
		{"missing rule-id", rules(`{"rule-type":"selection","rule-name":"n","object-locator":{"schema-name":"s","table-name":"t"},"rule-action":"include"}`),
			false, []string{"rule-id is missing"}},
		{"no include", []byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"x","object-locator":{"schema-name":"s","table-name":"%"},"rule-action":"exclude"}]}`),
			false, []string{"no selection rule includes"}},
		{"bad wildcard", []byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"x","object-locator":{"schema-name":"s","table-name":"t[ab"},"rule-action":"include"}]}`),
			false, []string{`rule-id 1 `, "unclosed ["}},
		{"not JSON", []byte(`{"rules": [`), false, []string{"parse table mapping"}},
		{"no rules", []byte(`{}`), false, []string{`no "rules"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := migrate.ParseMapping(tt.doc)
			if err == nil {
				t.Fatalf("ParseMapping succeeded: %+v", m)
			}
			if got := errors.Is(err, migrate.ErrUnsupported); got != tt.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v; err: %v", got, tt.unsupported, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseMappingRuleErrorNamesRule(t *testing.T) {
	_, err := migrate.ParseMapping(rules(`{"rule-type":"transformation","rule-id":"12","rule-name":"rename-it","rule-action":"rename","rule-target":"table","object-locator":{"schema-name":"s","table-name":"t"},"value":"u"}`))
	var re *migrate.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RuleError", err)
	}
	if re.ID != "12" || re.Name != "rename-it" || re.Index != 1 {
		t.Errorf("RuleError = %+v, want rule-id 12, rule-name rename-it at index 1", re)
	}
}

func TestParseMappingNumericIDs(t *testing.T) {
	m, err := migrate.ParseMapping([]byte(`{"rules":[{"rule-type":"selection","rule-id":1,"rule-name":1,"object-locator":{"schema-name":"s","table-name":"t"},"rule-action":"include","load-order":"3","filters":[]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Rules[0]; r.ID != "1" || r.Name != "1" || r.LoadOrder != 3 {
		t.Errorf("rule = %+v", r)
	}
}

func TestSelects(t *testing.T) {
	m, err := migrate.ParseMapping([]byte(`{"rules":[
		{"rule-type":"selection","rule-id":"1","rule-name":"all","object-locator":{"schema-name":"movielens","table-name":"%"},"rule-action":"include"},
		{"rule-type":"selection","rule-id":"2","rule-name":"no-tmp","object-locator":{"schema-name":"movielens","table-name":"tmp%"},"rule-action":"exclude"},
		{"rule-type":"selection","rule-id":"3","rule-name":"one-char","object-locator":{"schema-name":"other","table-name":"t_"},"rule-action":"include"},
		{"rule-type":"selection","rule-id":"4","rule-name":"underscore","object-locator":{"schema-name":"other","table-name":"u[_]v"},"rule-action":"include"},
		{"rule-type":"selection","rule-id":"5","rule-name":"range","object-locator":{"schema-name":"other","table-name":"r[a-c]"},"rule-action":"include", "load-order": 9},
		{"rule-type":"selection","rule-id":"6","rule-name":"set","object-locator":{"schema-name":"other","table-name":"s[xy]"},"rule-action":"include"},
		{"rule-type":"selection","rule-id":"7","rule-name":"explicit","object-locator":{"schema-name":"third","table-name":"a_%"},"rule-action":"explicit"},
		{"rule-type":"selection","rule-id":"0","rule-name":"exclude-first","object-locator":{"schema-name":"%","table-name":"secret"},"rule-action":"exclude"},
		{"rule-type":"selection","rule-id":"8","rule-name":"secret","object-locator":{"schema-name":"movielens","table-name":"secret"},"rule-action":"include"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		schema, table string
		want          bool
		order         int
	}{
		{"movielens", "ratings", true, 0},
		{"movielens", "tmp_ratings", false, 0}, // excluded
		{"movielens", "tmp", false, 0},
		{"MovieLens", "ratings", false, 0}, // case-sensitive
		{"other", "t1", true, 0},
		{"other", "t12", false, 0}, // _ is one character
		{"other", "t", false, 0},
		{"other", "u_v", true, 0},
		{"other", "uxv", false, 0}, // [_] is a literal underscore
		{"other", "rb", true, 9},
		{"other", "rd", false, 0},
		{"other", "sy", true, 0},
		{"other", "sz", false, 0},
		{"third", "a_%", true, 0}, // explicit: no wildcards
		{"third", "a_b", false, 0},
		{"movielens", "secret", false, 0}, // an exclude wins whatever the order
		{"nowhere", "ratings", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.schema+"."+tt.table, func(t *testing.T) {
			got, order := m.Selects(tt.schema, tt.table)
			if got != tt.want || order != tt.order {
				t.Errorf("Selects = %v, %d; want %v, %d", got, order, tt.want, tt.order)
			}
		})
	}
}

func TestParsePrepMode(t *testing.T) {
	for in, want := range map[string]migrate.PrepMode{
		"": migrate.DropAndCreate, "DROP_AND_CREATE": migrate.DropAndCreate,
		"TRUNCATE_BEFORE_LOAD": migrate.TruncateBeforeLoad, "DO_NOTHING": migrate.DoNothing,
	} {
		if got, err := migrate.ParsePrepMode(in); err != nil || got != want {
			t.Errorf("ParsePrepMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := migrate.ParsePrepMode("drop"); err == nil {
		t.Error(`ParsePrepMode("drop") succeeded`)
	}
}
