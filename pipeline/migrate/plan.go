package migrate

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table describes a source table.
type Table struct {
	Schema, Name string
	// Columns in ordinal order.
	Columns []Column
	// PrimaryKey names the primary key's columns in key order.
	PrimaryKey []string
}

// Column is a source column and its MySQL data type (information_schema's
// DATA_TYPE, such as "int", "decimal", "varchar").
type Column struct {
	Name, Type string
}

// KeyAttribute is a DynamoDB key attribute: its name and type, "S" or "N".
type KeyAttribute struct {
	Name string
	Type types.ScalarAttributeType
}

// TablePlan is how one source table is loaded into one DynamoDB table.
type TablePlan struct {
	// Source is the source table.
	Source Table
	// Target is the DynamoDB table.
	Target string
	// RuleID and RuleName name the object-mapping rule; both are empty when
	// no rule maps the table and it is loaded as-is (same name, the source's
	// primary key as partition key).
	RuleID, RuleName string
	// PartitionKey is the hash key; SortKey the range key, with an empty Name
	// if there is none.
	PartitionKey, SortKey KeyAttribute
	// Columns are the source columns read, in the order Item expects them.
	Columns []string
	// LoadOrder is the selection's load-order: higher loads first.
	LoadOrder int

	attrs []planAttr
}

// planAttr builds one attribute of an item.
type planAttr struct {
	name  string
	typ   types.ScalarAttributeType
	col   int            // index into Columns for a direct column, or -1
	parts []templatePart // template, with column set to "#<index>"
	cols  []int          // the template's column indexes, parallel to parts (-1 for literals)
}

// Limits of DynamoDB items and keys, in bytes.
const (
	MaxItemSize         = 400 * 1024
	maxPartitionKeySize = 2048
	maxSortKeySize      = 1024
)

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// Plan decides, for the given source tables, which are loaded and how: the
// selection rules choose tables, an object-mapping rule whose locator matches
// a table maps it (two matching rules are an error), and a selected table no
// rule maps is loaded as DMS does without object mapping: into a table of the
// same name whose partition key is the source's single-column primary key.
//
// Attribute types follow DMS: a column copied as-is is a Number when its
// MySQL type is numeric (integers, decimal, float, double, year) and a String
// otherwise; an attribute mapping is a String unless its attribute-sub-type
// is number. Key attributes take the type of their attribute.
//
// The plans come in load order: higher load-order first, then by schema and
// table name.
func (m *Mapping) Plan(tables []Table) ([]*TablePlan, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	var plans []*TablePlan
	var errs []error
	targets := map[string]string{}
	for _, t := range tables {
		ok, order := m.Selects(t.Schema, t.Name)
		if !ok {
			continue
		}
		p, err := m.planTable(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.LoadOrder = order
		src := t.Schema + "." + t.Name
		if prev, dup := targets[p.Target]; dup {
			errs = append(errs, fmt.Errorf("source tables %s and %s both map to DynamoDB table %s", prev, src, p.Target))
			continue
		}
		targets[p.Target] = src
		plans = append(plans, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(plans, func(i, j int) bool {
		a, b := plans[i], plans[j]
		if a.LoadOrder != b.LoadOrder {
			return a.LoadOrder > b.LoadOrder
		}
		if a.Source.Schema != b.Source.Schema {
			return a.Source.Schema < b.Source.Schema
		}
		return a.Source.Name < b.Source.Name
	})
	return plans, nil
}

func (m *Mapping) planTable(t Table) (*TablePlan, error) {
	var rule *Rule
	var ruleIdx int
	for i := range m.Rules {
		r := &m.Rules[i]
		if r.Type != RuleObjectMapping || !r.matches(t.Schema, t.Name) {
			continue
		}
		if rule != nil {
			return nil, fmt.Errorf("table %s.%s: matched by two object-mapping rules, rule-id %s rule-name %q and rule-id %s rule-name %q",
				t.Schema, t.Name, rule.ID, rule.Name, r.ID, r.Name)
		}
		rule, ruleIdx = r, i
	}
	if rule == nil {
		return planUnmapped(t)
	}
	p, err := planMapped(t, rule)
	if err != nil {
		return nil, &RuleError{Index: ruleIdx, ID: rule.ID, Name: rule.Name, Err: fmt.Errorf("table %s.%s: %w", t.Schema, t.Name, err)}
	}
	p.RuleID, p.RuleName = rule.ID, rule.Name
	return p, nil
}

// planUnmapped loads t as-is: same table name, every column an attribute,
// the primary key as partition key.
func planUnmapped(t Table) (*TablePlan, error) {
	src := t.Schema + "." + t.Name
	switch len(t.PrimaryKey) {
	case 1:
	case 0:
		return nil, fmt.Errorf("table %s: no object-mapping rule maps it and it has no primary key; DMS needs an object-mapping rule with partition-key-name for it", src)
	default:
		return nil, fmt.Errorf("table %s: no object-mapping rule maps it and its primary key (%s) is composite; DMS needs an object-mapping rule with partition-key-name for it",
			src, strings.Join(t.PrimaryKey, ", "))
	}
	b := newPlanBuilder(t)
	if err := b.directColumns(nil); err != nil {
		return nil, fmt.Errorf("table %s: %w", src, err)
	}
	p, err := b.finish(t.Name, t.PrimaryKey[0], "")
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", src, err)
	}
	return p, nil
}

func planMapped(t Table, r *Rule) (*TablePlan, error) {
	b := newPlanBuilder(t)
	for _, ex := range r.ExcludeColumns {
		if _, ok := b.colIndex(ex); !ok {
			return nil, fmt.Errorf("exclude-columns names %q, which the table does not have", ex)
		}
	}
	if err := b.directColumns(r.ExcludeColumns); err != nil {
		return nil, err
	}
	for _, am := range r.AttributeMappings {
		if err := b.mapped(am); err != nil {
			return nil, err
		}
	}
	pk, sk := r.PartitionKey, r.SortKey
	if pk == "" {
		if len(t.PrimaryKey) != 1 {
			return nil, fmt.Errorf("no partition-key-name, and the table's primary key (%s) is not a single column to use instead",
				strings.Join(t.PrimaryKey, ", "))
		}
		pk = t.PrimaryKey[0]
	}
	target := r.TargetTable
	if target == "" {
		target = t.Name
	}
	return b.finish(target, pk, sk)
}

type planBuilder struct {
	t     Table
	p     *TablePlan
	read  map[int]int // source column index -> index in p.Columns
	attrs map[string]int
}

func newPlanBuilder(t Table) *planBuilder {
	return &planBuilder{t: t, p: &TablePlan{Source: t}, read: map[int]int{}, attrs: map[string]int{}}
}

// colIndex finds a source column: by exact name, else case-insensitively
// when that is unambiguous (MySQL column names are case-insensitive).
func (b *planBuilder) colIndex(name string) (int, bool) {
	found := -1
	for i, c := range b.t.Columns {
		if c.Name == name {
			return i, true
		}
		if strings.EqualFold(c.Name, name) {
			if found >= 0 {
				return -1, false
			}
			found = i
		}
	}
	return found, found >= 0
}

// readCol makes sure source column i is read and returns its position in
// the row Item takes.
func (b *planBuilder) readCol(i int) int {
	if pos, ok := b.read[i]; ok {
		return pos
	}
	b.p.Columns = append(b.p.Columns, b.t.Columns[i].Name)
	b.read[i] = len(b.p.Columns) - 1
	return b.read[i]
}

func (b *planBuilder) setAttr(a planAttr) {
	if i, ok := b.attrs[a.name]; ok {
		b.p.attrs[i] = a // an attribute mapping replaces the column of the same name
		return
	}
	b.attrs[a.name] = len(b.p.attrs)
	b.p.attrs = append(b.p.attrs, a)
}

// directColumns copies every column not excluded to an attribute of the
// same name (map-record-to-record).
func (b *planBuilder) directColumns(exclude []string) error {
	for i, c := range b.t.Columns {
		if containsFold(exclude, c.Name) {
			continue
		}
		typ, err := columnAttributeType(c)
		if err != nil {
			return err
		}
		b.setAttr(planAttr{name: c.Name, typ: typ, col: b.readCol(i)})
	}
	return nil
}

func (b *planBuilder) mapped(am AttributeMapping) error {
	a := planAttr{name: am.Name, typ: types.ScalarAttributeTypeS, col: -1}
	if am.SubType == SubTypeNumber {
		a.typ = types.ScalarAttributeTypeN
	}
	parts := am.parts
	if parts == nil && am.Value != "" {
		var err error
		if parts, err = parseTemplate(am.Value); err != nil {
			return err
		}
	}
	for _, part := range parts {
		if part.column == "" {
			a.parts = append(a.parts, part)
			a.cols = append(a.cols, -1)
			continue
		}
		i, ok := b.colIndex(part.column)
		if !ok {
			return fmt.Errorf("attribute %q: value %q refers to ${%s}, which the table does not have", am.Name, am.Value, part.column)
		}
		a.parts = append(a.parts, part)
		a.cols = append(a.cols, b.readCol(i))
	}
	b.setAttr(a)
	return nil
}

func (b *planBuilder) finish(target, pk, sk string) (*TablePlan, error) {
	if !tableNameRE.MatchString(target) {
		return nil, fmt.Errorf("target table name %q is not a valid DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ - .)", target)
	}
	b.p.Target = target
	key := func(name, role string) (KeyAttribute, error) {
		i, ok := b.attrs[name]
		if !ok {
			return KeyAttribute{}, fmt.Errorf("%s %q is neither an attribute mapping nor a column that is not excluded", role, name)
		}
		return KeyAttribute{Name: name, Type: b.p.attrs[i].typ}, nil
	}
	var err error
	if b.p.PartitionKey, err = key(pk, "partition-key-name"); err != nil {
		return nil, err
	}
	if sk != "" {
		if sk == pk {
			return nil, fmt.Errorf("sort-key-name %q is also the partition key", sk)
		}
		if b.p.SortKey, err = key(sk, "sort-key-name"); err != nil {
			return nil, err
		}
	}
	return b.p, nil
}

// columnAttributeType maps a MySQL data type to the DynamoDB type DMS gives a
// column copied as-is.
func columnAttributeType(c Column) (types.ScalarAttributeType, error) {
	switch strings.ToLower(c.Type) {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint",
		"decimal", "numeric", "dec", "fixed", "float", "double", "double precision", "real", "year":
		return types.ScalarAttributeTypeN, nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit",
		"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection":
		return "", fmt.Errorf("column %s has type %s, which DMS does not load to DynamoDB; exclude it with exclude-columns", c.Name, c.Type)
	default:
		return types.ScalarAttributeTypeS, nil
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// RowError is why one row cannot become an item; the load writes it to the
// exceptions table.
type RowError struct {
	Reason string
}

func (e *RowError) Error() string { return e.Reason }

// Item turns one row (values of Columns, in order; Valid false for NULL) into
// a DynamoDB item. NULLs are dropped: a NULL column gives no attribute, and
// so does a template all of whose columns are NULL (in a template with other
// text or other columns, NULL reads as empty text). It returns a *RowError
// when DynamoDB would not take the item: a missing or empty key attribute, a
// key over DynamoDB's key size, an invalid number, text that is not UTF-8, or
// an item over 400 KB.
func (p *TablePlan) Item(row []sql.NullString) (map[string]types.AttributeValue, error) {
	vals := make([]rowValue, len(row))
	for i, v := range row {
		vals[i] = rowValue{b: []byte(v.String), null: !v.Valid}
	}
	return p.item(vals, &itemAlloc{})
}

// itemAlloc is what building items reuses: a buffer for a row's text and
// slabs the attribute values come from, a few allocations for many items
// instead of several per item.
type itemAlloc struct {
	buf  []byte
	ends []int
	s    []types.AttributeValueMemberS
	n    []types.AttributeValueMemberN
}

func (a *itemAlloc) newS(v string) *types.AttributeValueMemberS {
	if len(a.s) == cap(a.s) {
		a.s = make([]types.AttributeValueMemberS, 0, 256)
	}
	a.s = append(a.s, types.AttributeValueMemberS{Value: v})
	return &a.s[len(a.s)-1]
}

func (a *itemAlloc) newN(v string) *types.AttributeValueMemberN {
	if len(a.n) == cap(a.n) {
		a.n = make([]types.AttributeValueMemberN, 0, 256)
	}
	a.n = append(a.n, types.AttributeValueMemberN{Value: v})
	return &a.n[len(a.n)-1]
}

// item is Item for a row as streamRows reads it.
func (p *TablePlan) item(row []rowValue, a *itemAlloc) (map[string]types.AttributeValue, error) {
	if len(row) != len(p.Columns) {
		return nil, fmt.Errorf("row has %d values, the plan reads %d columns", len(row), len(p.Columns))
	}
	// Every attribute's text goes into one buffer, which becomes one string
	// that the attributes' values are cut from; ends[i] < 0 skips p.attrs[i].
	a.buf, a.ends = a.buf[:0], a.ends[:0]
	for _, at := range p.attrs {
		if at.col >= 0 {
			if row[at.col].null {
				a.ends = append(a.ends, -1)
				continue
			}
			a.buf = append(a.buf, row[at.col].b...)
		} else {
			mark := len(a.buf)
			anyCol, anyValue := false, false
			for i, part := range at.parts {
				if at.cols[i] < 0 {
					a.buf = append(a.buf, part.literal...)
					continue
				}
				anyCol = true
				if v := row[at.cols[i]]; !v.null {
					anyValue = true
					a.buf = append(a.buf, v.b...)
				}
			}
			if anyCol && !anyValue {
				a.buf = a.buf[:mark]
				a.ends = append(a.ends, -1)
				continue
			}
		}
		a.ends = append(a.ends, len(a.buf))
	}
	text := string(a.buf)
	item := make(map[string]types.AttributeValue, len(p.attrs))
	size, start := 0, 0
	for i, at := range p.attrs {
		end := a.ends[i]
		if end < 0 {
			continue
		}
		v := text[start:end]
		start = end
		if !utf8.ValidString(v) {
			return nil, &RowError{Reason: fmt.Sprintf("attribute %s: value is not valid UTF-8", at.name)}
		}
		if at.typ == types.ScalarAttributeTypeN {
			if err := checkNumber(v); err != nil {
				return nil, &RowError{Reason: fmt.Sprintf("attribute %s: %v", at.name, err)}
			}
			item[at.name] = a.newN(v)
			size += len(at.name) + numberSize(v)
		} else {
			item[at.name] = a.newS(v)
			size += len(at.name) + len(v)
		}
	}
	for _, k := range [...]struct {
		key  KeyAttribute
		role string
		max  int
	}{{p.PartitionKey, "partition key", maxPartitionKeySize}, {p.SortKey, "sort key", maxSortKeySize}} {
		if k.key.Name == "" {
			continue
		}
		v, ok := item[k.key.Name]
		if !ok {
			return nil, &RowError{Reason: fmt.Sprintf("%s attribute %s is missing (its source is NULL)", k.role, k.key.Name)}
		}
		s := scalarText(v)
		if s == "" {
			return nil, &RowError{Reason: fmt.Sprintf("%s attribute %s is empty", k.role, k.key.Name)}
		}
		if len(s) > k.max {
			return nil, &RowError{Reason: fmt.Sprintf("%s attribute %s is %d bytes, over DynamoDB's limit of %d", k.role, k.key.Name, len(s), k.max)}
		}
		if _, isS := v.(*types.AttributeValueMemberS); isS != (k.key.Type == types.ScalarAttributeTypeS) {
			return nil, &RowError{Reason: fmt.Sprintf("%s attribute %s is not of type %s", k.role, k.key.Name, k.key.Type)}
		}
	}
	if size > MaxItemSize {
		return nil, &RowError{Reason: fmt.Sprintf("item size %d bytes exceeds DynamoDB's limit of %d bytes (400 KB)", size, MaxItemSize)}
	}
	return item, nil
}

func scalarText(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return ""
}

// ItemSize is an item's size as DynamoDB counts it against the 400 KB limit:
// for each attribute, the UTF-8 length of its name plus its value's size
// (strings and binaries their length, numbers one byte per two significant
// digits plus one, booleans and nulls one byte, lists and maps three bytes
// plus their elements, one byte per element).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

func numberSize(s string) int {
	digits, _, _ := significand(s)
	return (len(digits)+1)/2 + 1
}

// significand returns a number's significant digits (without leading and
// trailing zeros) and the decimal exponent of the first of them.
func significand(s string) (digits string, exp int, ok bool) {
	s = strings.TrimPrefix(s, "-")
	mant, e := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		var err error
		if e, err = strconv.Atoi(s[i+1:]); err != nil {
			return "", 0, false
		}
		mant = s[:i]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	all := intPart + frac
	lead := len(all) - len(strings.TrimLeft(all, "0"))
	all = strings.Trim(all, "0")
	// The first significant digit sits at position lead of all; its exponent:
	return all, len(intPart) - lead - 1 + e, true
}

var numberRE = regexp.MustCompile(`^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// checkNumber reports whether DynamoDB accepts s as a Number: decimal syntax,
// at most 38 significant digits, magnitude from 1E-130 to under 1E+126.
func checkNumber(s string) error {
	if !numberRE.MatchString(s) {
		return fmt.Errorf("%q is not a number", s)
	}
	digits, exp, ok := significand(s)
	if !ok {
		return fmt.Errorf("%q is not a number", s)
	}
	if digits == "" {
		return nil // zero
	}
	if len(digits) > 38 {
		return fmt.Errorf("%q has %d significant digits, over DynamoDB's 38", s, len(digits))
	}
	if exp > 125 || exp < -130 {
		return fmt.Errorf("%q is out of DynamoDB's number range (1E-130 to 9.9999999999999999999999999999999999999E+125)", s)
	}
	return nil
}
