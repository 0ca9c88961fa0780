package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrUnsupported is wrapped by the RuleError of a rule, rule action or
// parameter that is valid DMS but that this load does not implement.
var ErrUnsupported = errors.New("not supported by this DMS full load")

// RuleError is a problem with one table-mapping rule. It names the rule by
// rule-id and rule-name, as the DMS console does.
type RuleError struct {
	// Index is the rule's position in the "rules" array, from 0.
	Index int
	// ID and Name are the rule's rule-id and rule-name, empty if missing.
	ID, Name string
	// Err says what is wrong; errors.Is(err, ErrUnsupported) when the rule is
	// valid DMS that this load does not implement.
	Err error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("table mapping rule-id %s rule-name %q (rules[%d]): %v", e.ID, e.Name, e.Index, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// Mapping is a DMS table mapping: the JSON document with a "rules" array that
// a DMS task takes as its table mappings.
type Mapping struct {
	Rules []Rule
}

// Rule is one table-mapping rule. Only the fields this load implements are
// kept; a rule that uses anything else fails ParseMapping.
type Rule struct {
	// Type is rule-type: "selection" or "object-mapping".
	Type string
	// ID and Name are rule-id and rule-name.
	ID, Name string
	// Action is rule-action: include, exclude or explicit for selection
	// rules; map-record-to-record for object-mapping rules.
	Action string
	// Schema and Table are the object-locator's schema-name and table-name,
	// with DMS's wildcards (% _ [_] [ab] [a-d]) except for explicit rules.
	Schema, Table string
	// LoadOrder is a selection rule's load-order: tables with a higher value
	// are loaded first.
	LoadOrder int
	// TargetTable is an object-mapping rule's target-table-name; empty means
	// the source table's name.
	TargetTable string
	// PartitionKey and SortKey are mapping-parameters' partition-key-name and
	// sort-key-name.
	PartitionKey, SortKey string
	// ExcludeColumns are mapping-parameters' exclude-columns.
	ExcludeColumns []string
	// AttributeMappings are mapping-parameters' attribute-mappings.
	AttributeMappings []AttributeMapping

	schemaRE, tableRE *regexp.Regexp
}

// AttributeMapping builds one attribute from a template.
type AttributeMapping struct {
	// Name is target-attribute-name.
	Name string
	// Type is attribute-type; only "scalar" is implemented.
	Type string
	// SubType is attribute-sub-type: "string" (the default) or "number".
	SubType string
	// Value is the template: literal text with ${column} references.
	Value string

	parts []templatePart
}

type templatePart struct {
	literal string
	column  string // set for a ${column} reference
}

// The rule types, actions and attribute types this load implements.
const (
	RuleSelection     = "selection"
	RuleObjectMapping = "object-mapping"

	ActionInclude           = "include"
	ActionExclude           = "exclude"
	ActionExplicit          = "explicit"
	ActionMapRecordToRecord = "map-record-to-record"

	AttributeScalar = "scalar"
	SubTypeString   = "string"
	SubTypeNumber   = "number"
)

// LoadMapping reads and parses a table-mapping file.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read table mapping: %w", err)
	}
	m, err := ParseMapping(b)
	if err != nil {
		return nil, fmt.Errorf("table mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping parses a DMS table mapping and checks every rule.
//
// Implemented: selection rules (rule-action include, exclude or explicit;
// object-locator schema-name and table-name with the wildcards %, _, [_],
// [ab] and [a-d]; table-type "table"; load-order; an empty filters list) and
// object-mapping rules with rule-action map-record-to-record
// (target-table-name; mapping-parameters partition-key-name, sort-key-name,
// exclude-columns and attribute-mappings of attribute-type scalar with
// attribute-sub-type string or number and a ${column} template as value).
//
// Anything else is an error naming the rule: transformation, table-settings
// and other rule types, map-record-to-document, filters, views,
// condition-expression, document attributes, and any key this list does not
// name. All problems are reported together (errors.Join of *RuleError).
func ParseMapping(data []byte) (*Mapping, error) {
	var doc map[string]json.RawMessage
	if err := strictUnmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse table mapping: %w", err)
	}
	var errs []error
	for k := range doc {
		if k != "rules" {
			errs = append(errs, fmt.Errorf("table mapping: unknown top-level key %q: %w", k, ErrUnsupported))
		}
	}
	raw, ok := doc["rules"]
	if !ok {
		return nil, errors.Join(append(errs, errors.New(`table mapping: no "rules" array`))...)
	}
	var rules []map[string]json.RawMessage
	if err := strictUnmarshal(raw, &rules); err != nil {
		return nil, fmt.Errorf(`parse table mapping "rules": %w`, err)
	}
	m := &Mapping{}
	for i, r := range rules {
		rule, err := parseRule(i, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.Rules = append(m.Rules, rule)
	}
	if len(errs) == 0 && !slices.ContainsFunc(m.Rules, func(r Rule) bool {
		return r.Type == RuleSelection && r.Action != ActionExclude
	}) {
		errs = append(errs, errors.New("table mapping: no selection rule includes a table (DMS needs at least one)"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// strictUnmarshal decodes JSON, keeping numbers exact.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// ruleFields reads a rule object's keys, remembering which were consumed.
type ruleFields struct {
	raw  map[string]json.RawMessage
	used map[string]bool
	errs []error
}

func (f *ruleFields) has(key string) bool { _, ok := f.raw[key]; return ok }

// str reads a string (or, for ids and orders, a number written without quotes).
func (f *ruleFields) str(key string, numberOK bool) string {
	v, ok := f.raw[key]
	f.used[key] = true
	if !ok || string(v) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	if numberOK {
		var n json.Number
		if err := json.Unmarshal(v, &n); err == nil {
			return n.String()
		}
	}
	f.errs = append(f.errs, fmt.Errorf("%s must be a string, got %s", key, v))
	return ""
}

func (f *ruleFields) object(key string) *ruleFields {
	v, ok := f.raw[key]
	f.used[key] = true
	if !ok || string(v) == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := strictUnmarshal(v, &obj); err != nil {
		f.errs = append(f.errs, fmt.Errorf("%s must be an object: %v", key, err))
		return nil
	}
	return &ruleFields{raw: obj, used: map[string]bool{}}
}

// unknown reports keys that were not consumed, under the given path.
func (f *ruleFields) unknown(path string) []error {
	var keys []string
	for k := range f.raw {
		if !f.used[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		errs = append(errs, fmt.Errorf("%s%q: %w", path, k, ErrUnsupported))
	}
	return errs
}

func parseRule(i int, raw map[string]json.RawMessage) (Rule, error) {
	f := &ruleFields{raw: raw, used: map[string]bool{}}
	r := Rule{
		Type:   f.str("rule-type", false),
		ID:     f.str("rule-id", true),
		Name:   f.str("rule-name", true),
		Action: f.str("rule-action", false),
	}
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	if r.ID == "" {
		fail(errors.New("rule-id is missing"))
	} else if _, err := strconv.ParseUint(r.ID, 10, 64); err != nil {
		fail(fmt.Errorf("rule-id %q is not a number", r.ID))
	}
	if r.Name == "" {
		fail(errors.New("rule-name is missing"))
	}

	switch r.Type {
	case RuleSelection:
		switch r.Action {
		case ActionInclude, ActionExclude, ActionExplicit:
		case "":
			fail(errors.New("rule-action is missing"))
		default:
			fail(fmt.Errorf("selection rule-action %q: %w (include, exclude and explicit are)", r.Action, ErrUnsupported))
		}
		errs = append(errs, r.parseLocator(f, r.Action == ActionExplicit)...)
		if s := f.str("load-order", true); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				fail(fmt.Errorf("load-order %q is not an integer", s))
			}
			r.LoadOrder = n
		}
		if v, ok := raw["filters"]; ok {
			f.used["filters"] = true
			var filters []json.RawMessage
			if err := json.Unmarshal(v, &filters); err != nil && string(v) != "null" {
				fail(fmt.Errorf("filters must be an array: %v", err))
			} else if len(filters) > 0 {
				fail(fmt.Errorf("selection filters: %w", ErrUnsupported))
			}
		}
	case RuleObjectMapping:
		switch r.Action {
		case ActionMapRecordToRecord:
		case "":
			fail(errors.New("rule-action is missing"))
		case "map-record-to-document":
			fail(fmt.Errorf("object-mapping rule-action %q: %w (map-record-to-record is)", r.Action, ErrUnsupported))
		default:
			fail(fmt.Errorf("unknown object-mapping rule-action %q: %w (map-record-to-record is)", r.Action, ErrUnsupported))
		}
		errs = append(errs, r.parseLocator(f, false)...)
		r.TargetTable = f.str("target-table-name", false)
		if p := f.object("mapping-parameters"); p != nil {
			errs = append(errs, r.parseMappingParameters(p)...)
		}
	case "":
		fail(errors.New("rule-type is missing"))
	case "transformation", "table-settings", "post-processing":
		fail(fmt.Errorf("rule-type %q: %w (selection and object-mapping are)", r.Type, ErrUnsupported))
	default:
		fail(fmt.Errorf("unknown rule-type %q: %w (selection and object-mapping are)", r.Type, ErrUnsupported))
	}
	if r.Type == RuleSelection || r.Type == RuleObjectMapping {
		errs = append(errs, f.unknown("key ")...)
	}
	errs = append(errs, f.errs...)
	if len(errs) > 0 {
		return r, &RuleError{Index: i, ID: r.ID, Name: r.Name, Err: errors.Join(errs...)}
	}
	return r, nil
}

func (r *Rule) parseLocator(f *ruleFields, literal bool) []error {
	loc := f.object("object-locator")
	if loc == nil {
		return []error{errors.New("object-locator is missing")}
	}
	r.Schema = loc.str("schema-name", false)
	r.Table = loc.str("table-name", false)
	var errs []error
	if r.Schema == "" {
		errs = append(errs, errors.New("object-locator schema-name is missing"))
	}
	if r.Table == "" {
		errs = append(errs, errors.New("object-locator table-name is missing"))
	}
	if tt := loc.str("table-type", false); tt != "" && tt != "table" {
		errs = append(errs, fmt.Errorf("object-locator table-type %q: %w (only tables are loaded)", tt, ErrUnsupported))
	}
	errs = append(errs, loc.unknown("object-locator key ")...)
	errs = append(errs, loc.errs...)
	var err error
	if r.schemaRE, err = compileWildcard(r.Schema, literal); err != nil {
		errs = append(errs, fmt.Errorf("schema-name: %w", err))
	}
	if r.tableRE, err = compileWildcard(r.Table, literal); err != nil {
		errs = append(errs, fmt.Errorf("table-name: %w", err))
	}
	return errs
}

func (r *Rule) parseMappingParameters(p *ruleFields) []error {
	var errs []error
	r.PartitionKey = p.str("partition-key-name", false)
	r.SortKey = p.str("sort-key-name", false)
	if r.SortKey != "" && r.PartitionKey == "" {
		errs = append(errs, errors.New("mapping-parameters: sort-key-name without partition-key-name"))
	}
	if v, ok := p.raw["exclude-columns"]; ok {
		p.used["exclude-columns"] = true
		if err := json.Unmarshal(v, &r.ExcludeColumns); err != nil {
			errs = append(errs, fmt.Errorf("exclude-columns must be an array of strings: %v", err))
		}
	}
	if v, ok := p.raw["attribute-mappings"]; ok {
		p.used["attribute-mappings"] = true
		var list []map[string]json.RawMessage
		if err := strictUnmarshal(v, &list); err != nil {
			errs = append(errs, fmt.Errorf("attribute-mappings must be an array of objects: %v", err))
		}
		seen := map[string]bool{}
		for j, am := range list {
			a, aerrs := parseAttributeMapping(am)
			for _, err := range aerrs {
				errs = append(errs, fmt.Errorf("attribute-mappings[%d] (%s): %w", j, a.Name, err))
			}
			if a.Name != "" && seen[a.Name] {
				errs = append(errs, fmt.Errorf("attribute-mappings[%d]: target-attribute-name %q appears twice", j, a.Name))
			}
			seen[a.Name] = true
			r.AttributeMappings = append(r.AttributeMappings, a)
		}
	}
	errs = append(errs, p.unknown("mapping-parameters key ")...)
	return append(errs, p.errs...)
}

func parseAttributeMapping(raw map[string]json.RawMessage) (AttributeMapping, []error) {
	f := &ruleFields{raw: raw, used: map[string]bool{}}
	a := AttributeMapping{
		Name:    f.str("target-attribute-name", false),
		Type:    f.str("attribute-type", false),
		SubType: f.str("attribute-sub-type", false),
	}
	var errs []error
	if a.Name == "" {
		errs = append(errs, errors.New("target-attribute-name is missing"))
	}
	switch a.Type {
	case AttributeScalar, "":
		a.Type = AttributeScalar
	default:
		errs = append(errs, fmt.Errorf("attribute-type %q: %w (scalar is)", a.Type, ErrUnsupported))
	}
	switch a.SubType {
	case SubTypeString, SubTypeNumber:
	case "":
		a.SubType = SubTypeString
	default:
		errs = append(errs, fmt.Errorf("attribute-sub-type %q: %w (string and number are)", a.SubType, ErrUnsupported))
	}
	if v, ok := raw["value"]; !ok {
		errs = append(errs, errors.New("value is missing"))
	} else if err := json.Unmarshal(v, &a.Value); err != nil {
		errs = append(errs, fmt.Errorf("value must be a template string (document values: %w)", ErrUnsupported))
	} else {
		var err error
		if a.parts, err = parseTemplate(a.Value); err != nil {
			errs = append(errs, err)
		}
	}
	f.used["value"] = true
	errs = append(errs, f.unknown("key ")...)
	return a, append(errs, f.errs...)
}

// parseTemplate splits "${a}X${b}" into literals and column references.
// A "$" not followed by "{" is literal text.
func parseTemplate(s string) ([]templatePart, error) {
	var parts []templatePart
	var lit strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "${") {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return nil, fmt.Errorf("value %q: unclosed ${ at offset %d", s, i)
			}
			col := s[i+2 : i+2+end]
			if col == "" {
				return nil, fmt.Errorf("value %q: empty ${} at offset %d", s, i)
			}
			if lit.Len() > 0 {
				parts = append(parts, templatePart{literal: lit.String()})
				lit.Reset()
			}
			parts = append(parts, templatePart{column: col})
			i += 2 + end + 1
			continue
		}
		lit.WriteByte(s[i])
		i++
	}
	if lit.Len() > 0 {
		parts = append(parts, templatePart{literal: lit.String()})
	}
	return parts, nil
}

// compileWildcard turns a DMS object-locator pattern into an anchored regexp:
// % is any run of characters, _ one character, [_] a literal underscore,
// [ab] and [a-d] sets and ranges. Matching is case-sensitive. With literal,
// the pattern is an exact name (explicit selection).
func compileWildcard(p string, literal bool) (*regexp.Regexp, error) {
	if literal {
		return regexp.Compile(`^` + regexp.QuoteMeta(p) + `$`)
	}
	var b strings.Builder
	b.WriteString(`^`)
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		case '[':
			end := -1
			for j := i + 1; j < len(rs); j++ {
				if rs[j] == ']' && j > i+1 {
					end = j
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("pattern %q: unclosed [ at %d", p, i)
			}
			b.WriteByte('[')
			class := rs[i+1 : end]
			for k, sc := range class {
				switch {
				case sc == '-' && k > 0 && k < len(class)-1:
					b.WriteByte('-') // a range such as a-d
				case strings.ContainsRune(`\\[]^-`, sc):
					b.WriteByte('\\')
					b.WriteRune(sc)
				default:
					b.WriteRune(sc)
				}
			}
			b.WriteByte(']')
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %v", p, err)
	}
	return re, nil
}

// matches reports whether the rule's object-locator matches schema.table.
// Patterns compiled by ParseMapping are reused; a rule built by hand is
// compiled here without being modified (a bad pattern matches nothing, and
// Plan reports it).
func (r *Rule) matches(schema, table string) bool {
	schemaRE, tableRE := r.schemaRE, r.tableRE
	var err error
	if schemaRE == nil {
		if schemaRE, err = compileWildcard(r.Schema, r.Action == ActionExplicit); err != nil {
			return false
		}
	}
	if tableRE == nil {
		if tableRE, err = compileWildcard(r.Table, r.Action == ActionExplicit); err != nil {
			return false
		}
	}
	return schemaRE.MatchString(schema) && tableRE.MatchString(table)
}

// check validates a mapping that may have been built by hand rather than
// parsed: every rule must be one this load implements.
func (m *Mapping) check() error {
	var errs []error
	for i := range m.Rules {
		r := &m.Rules[i]
		var err error
		switch {
		case r.Type == RuleSelection && (r.Action == ActionInclude || r.Action == ActionExclude || r.Action == ActionExplicit):
		case r.Type == RuleObjectMapping && r.Action == ActionMapRecordToRecord:
			for _, am := range r.AttributeMappings {
				if (am.Type != "" && am.Type != AttributeScalar) || (am.SubType != "" && am.SubType != SubTypeString && am.SubType != SubTypeNumber) {
					err = fmt.Errorf("attribute %q of attribute-type %q attribute-sub-type %q: %w", am.Name, am.Type, am.SubType, ErrUnsupported)
				}
			}
		default:
			err = fmt.Errorf("rule-type %q rule-action %q: %w", r.Type, r.Action, ErrUnsupported)
		}
		if err == nil {
			if _, perr := compileWildcard(r.Schema, r.Action == ActionExplicit); perr != nil {
				err = perr
			} else if _, perr := compileWildcard(r.Table, r.Action == ActionExplicit); perr != nil {
				err = perr
			}
		}
		if err != nil {
			errs = append(errs, &RuleError{Index: i, ID: r.ID, Name: r.Name, Err: err})
		}
	}
	return errors.Join(errs...)
}

// Selects reports whether the selection rules choose schema.table: some
// include or explicit rule matches it and no exclude rule does (an exclude
// wins whatever the rule order). It also returns the highest load-order of
// the including rules.
func (m *Mapping) Selects(schema, table string) (selected bool, loadOrder int) {
	included, excluded := false, false
	for i := range m.Rules {
		r := &m.Rules[i]
		if r.Type != RuleSelection || !r.matches(schema, table) {
			continue
		}
		switch r.Action {
		case ActionExclude:
			excluded = true
		default:
			if !included || r.LoadOrder > loadOrder {
				loadOrder = r.LoadOrder
			}
			included = true
		}
	}
	if !included || excluded {
		return false, 0
	}
	return true, loadOrder
}

// rename returns a copy of m in which locators whose schema-name is exactly
// fromSchema read toSchema instead, and object-mapping target tables are
// renamed by tables. Wildcard patterns are kept as they are.
func (m *Mapping) rename(fromSchema, toSchema string, tables map[string]string) *Mapping {
	c := &Mapping{Rules: make([]Rule, len(m.Rules))}
	for i, r := range m.Rules {
		if fromSchema != toSchema && r.Schema == fromSchema {
			r.Schema = toSchema
			r.schemaRE, _ = compileWildcard(toSchema, r.Action == ActionExplicit)
		}
		if to, ok := tables[r.TargetTable]; ok && r.Type == RuleObjectMapping {
			r.TargetTable = to
		}
		c.Rules[i] = r
	}
	return c
}
