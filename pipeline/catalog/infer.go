package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// kind is the shape of an inferred Glue type. The numeric kinds are ordered
// from narrow to wide so that merging takes the wider one.
type kind int

const (
	kindUnknown kind = iota // only nulls seen so far
	kindBoolean
	kindInt
	kindBigint
	kindDouble
	kindString
	kindBinary
	kindArray
	kindStruct
)

// gtype is an inferred Glue (Hive) type: a scalar, array<elem> or
// struct<name:type,...> with fields in order of first appearance.
type gtype struct {
	kind   kind
	elem   *gtype
	fields []field
}

type field struct {
	name string
	t    *gtype
}

var scalarNames = map[kind]string{
	kindUnknown: "string", // a column that only ever held nulls
	kindBoolean: "boolean",
	kindInt:     "int",
	kindBigint:  "bigint",
	kindDouble:  "double",
	kindString:  "string",
	kindBinary:  "binary",
}

// String renders t as Glue writes it: "bigint", "array<string>",
// "struct<a:int,b:string>".
func (t *gtype) String() string {
	if t == nil {
		return "string"
	}
	switch t.kind {
	case kindArray:
		return "array<" + t.elem.String() + ">"
	case kindStruct:
		var b strings.Builder
		b.WriteString("struct<")
		for i, f := range t.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f.name)
			b.WriteByte(':')
			b.WriteString(f.t.String())
		}
		b.WriteByte('>')
		return b.String()
	default:
		return scalarNames[t.kind]
	}
}

func isNumeric(k kind) bool { return k == kindInt || k == kindBigint || k == kindDouble }

// merge returns the type that holds values of both a and b: the wider of two
// numbers, the union of two structs' fields, arrays of the merged element,
// and string when the shapes disagree (Glue's catalog has no choice type).
// Neither input is modified; when a already holds b, merge returns a itself,
// so merging millions of records of one shape allocates nothing.
func merge(a, b *gtype) *gtype {
	switch {
	case a == nil || a.kind == kindUnknown:
		return b
	case b == nil || b.kind == kindUnknown:
		return a
	case isNumeric(a.kind) && isNumeric(b.kind):
		if a.kind >= b.kind {
			return a
		}
		return b
	case a.kind != b.kind:
		if a.kind == kindString {
			return a
		}
		if b.kind == kindString {
			return b
		}
		return &gtype{kind: kindString}
	case a.kind == kindArray:
		if e := merge(a.elem, b.elem); e != a.elem {
			return &gtype{kind: kindArray, elem: e}
		}
		return a
	case a.kind == kindStruct:
		if fs, changed := mergeFields(a.fields, b.fields); changed {
			return &gtype{kind: kindStruct, fields: fs}
		}
		return a
	default:
		return a
	}
}

// mergeFields merges b's fields into a's: a's order first, then b's new
// names in b's order. It copies a only when something changes.
func mergeFields(a, b []field) (_ []field, changed bool) {
	out := a
	for _, f := range b {
		i := slices.IndexFunc(out, func(g field) bool { return g.name == f.name })
		if i >= 0 {
			t := merge(out[i].t, f.t)
			if t == out[i].t {
				continue
			}
			if !changed {
				out, changed = slices.Clone(out), true
			}
			out[i].t = t
			continue
		}
		if !changed {
			out, changed = slices.Clip(slices.Clone(out)), true
		}
		out = append(out, f)
	}
	return out, changed
}

// addField adds a field to fields of a struct type being built (and owned by
// the caller), merging when the lower-cased name is already there ("userId"
// and "userid" are one column in a Glue catalog).
func addField(fields []field, name string, t *gtype) []field {
	name = strings.ToLower(name)
	if i := slices.IndexFunc(fields, func(f field) bool { return f.name == name }); i >= 0 {
		fields[i].t = merge(fields[i].t, t)
		return fields
	}
	return append(fields, field{name: name, t: t})
}

// numberType types a number literal: int when it fits 32 bits, bigint when
// it fits 64, double otherwise.
func numberType(lit string, small bool) *gtype {
	if !strings.ContainsAny(lit, ".eE") {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			if small && n >= math.MinInt32 && n <= math.MaxInt32 {
				return &gtype{kind: kindInt}
			}
			return &gtype{kind: kindBigint}
		}
	}
	return &gtype{kind: kindDouble}
}

// errNotObject marks a JSON record that is valid JSON but not an object.
var errNotObject = errors.New("record is not a JSON object")

// recordType infers the type of one JSON record (one line of a stream
// object): it must be exactly one JSON object. Fields keep the record's key
// order, lower-cased; JSON integers become int or bigint as Glue's JSON
// classifier types them.
func recordType(line []byte) (*gtype, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	t, err := tokenType(dec)
	if err != nil {
		return nil, err
	}
	if t.kind != kindStruct {
		return nil, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return t, nil
}

// tokenType reads one JSON value from dec and returns its type.
func tokenType(dec *json.Decoder) (*gtype, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch tok := tok.(type) {
	case nil:
		return &gtype{kind: kindUnknown}, nil
	case bool:
		return &gtype{kind: kindBoolean}, nil
	case json.Number:
		return numberType(string(tok), true), nil
	case string:
		return &gtype{kind: kindString}, nil
	case json.Delim:
		t := &gtype{kind: kindArray}
		if tok == '{' {
			t.kind = kindStruct
		}
		for dec.More() {
			var name string
			if t.kind == kindStruct {
				key, err := dec.Token()
				if err != nil {
					return nil, err
				}
				name, _ = key.(string)
			}
			v, err := tokenType(dec)
			if err != nil {
				return nil, err
			}
			if t.kind == kindStruct {
				t.fields = addField(t.fields, name, v)
			} else {
				t.elem = merge(t.elem, v)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return t, nil
	default:
		return nil, fmt.Errorf("unexpected JSON token %v", tok)
	}
}

// attrType infers the Glue type of a DynamoDB attribute value as the Glue
// DynamoDB crawler does: S string, N bigint or double, BOOL boolean, B
// binary, sets and lists arrays, maps structs.
func attrType(av types.AttributeValue) *gtype {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return &gtype{kind: kindString}
	case *types.AttributeValueMemberN:
		return numberType(v.Value, false)
	case *types.AttributeValueMemberBOOL:
		return &gtype{kind: kindBoolean}
	case *types.AttributeValueMemberB:
		return &gtype{kind: kindBinary}
	case *types.AttributeValueMemberNULL:
		return &gtype{kind: kindUnknown}
	case *types.AttributeValueMemberSS:
		return &gtype{kind: kindArray, elem: &gtype{kind: kindString}}
	case *types.AttributeValueMemberBS:
		return &gtype{kind: kindArray, elem: &gtype{kind: kindBinary}}
	case *types.AttributeValueMemberNS:
		t := &gtype{kind: kindArray}
		for _, n := range v.Value {
			t.elem = merge(t.elem, numberType(n, false))
		}
		return t
	case *types.AttributeValueMemberL:
		t := &gtype{kind: kindArray}
		for _, e := range v.Value {
			t.elem = merge(t.elem, attrType(e))
		}
		return t
	case *types.AttributeValueMemberM:
		return itemType(v.Value)
	default:
		return &gtype{kind: kindString}
	}
}

// itemType is the struct type of one DynamoDB item (or M value), fields
// lower-cased and sorted by name.
func itemType(item map[string]types.AttributeValue) *gtype {
	t := &gtype{kind: kindStruct}
	keys := sortedKeys(item)
	slices.SortStableFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	for _, k := range keys {
		t.fields = addField(t.fields, k, attrType(item[k]))
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// columns turns a record type into catalog columns.
func columns(t *gtype) []datacatalog.Column {
	if t == nil {
		return nil
	}
	cols := make([]datacatalog.Column, len(t.fields))
	for i, f := range t.fields {
		cols[i] = datacatalog.Column{Name: f.name, Type: f.t.String()}
	}
	return cols
}
