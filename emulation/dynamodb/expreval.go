package dynamodb

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Evaluating expressions against an item.

// resolve finds the value at path in item, or nil.
func resolve(item Item, path docPath) *AttributeValue {
	if len(path) == 0 || path[0].isIdx {
		return nil
	}
	v := item[path[0].name]
	for _, e := range path[1:] {
		switch {
		case v == nil:
			return nil
		case e.isIdx:
			if v.L == nil || e.index >= len(v.L) {
				return nil
			}
			v = v.L[e.index]
		default:
			if v.M == nil {
				return nil
			}
			v = v.M[e.name]
		}
	}
	return v
}

func numberValue(s string) *AttributeValue { return &AttributeValue{N: &s} }

// eval evaluates a condition operand: nil when it refers to nothing.
func (o *operand) eval(item Item) *AttributeValue {
	switch o.kind {
	case opValue:
		return o.value
	case opPath:
		return resolve(item, o.path)
	case opFunc:
		if o.fn != "size" {
			return nil
		}
		v := o.args[0].eval(item)
		if v == nil {
			return nil
		}
		var n int
		switch {
		case v.S != nil:
			n = utf16Len(*v.S)
		case v.B != nil:
			n = len(v.B)
		case v.SS != nil:
			n = len(v.SS)
		case v.NS != nil:
			n = len(v.NS)
		case v.BS != nil:
			n = len(v.BS)
		case v.L != nil:
			n = len(v.L)
		case v.M != nil:
			n = len(v.M)
		default:
			return nil
		}
		return numberValue(strconv.Itoa(n))
	}
	return nil
}

// utf16Len is a string's length in UTF-16 code units, as size() counts
// it (DynamoDB is written in Java).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// compareValues orders two scalars of the same type (S, N or B).
func compareValues(a, b *AttributeValue) (int, bool) {
	switch {
	case a.S != nil && b.S != nil:
		return strings.Compare(*a.S, *b.S), true
	case a.N != nil && b.N != nil:
		an, _ := parseNumber(*a.N)
		bn, _ := parseNumber(*b.N)
		return compareNumbers(an.String(), bn.String()), true
	case a.B != nil && b.B != nil:
		return bytes.Compare(a.B, b.B), true
	}
	return 0, false
}

// equalValues is DynamoDB equality: same type and value; sets ignore order.
func equalValues(a, b *AttributeValue) bool {
	if a == nil || b == nil || typeName(a) != typeName(b) {
		return false
	}
	if c, ok := compareValues(a, b); ok {
		return c == 0
	}
	switch {
	case a.BOOL != nil:
		return *a.BOOL == *b.BOOL
	case a.NULL != nil:
		return true
	case a.SS != nil:
		return sameSet(a.SS, b.SS, func(s string) string { return s })
	case a.NS != nil:
		return sameSet(a.NS, b.NS, canonicalNumber)
	case a.BS != nil:
		return sameSet(bytesToStrings(a.BS), bytesToStrings(b.BS), func(s string) string { return s })
	case a.L != nil:
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !equalValues(a.L[i], b.L[i]) {
				return false
			}
		}
		return true
	case a.M != nil:
		if len(a.M) != len(b.M) {
			return false
		}
		for k, v := range a.M {
			if !equalValues(v, b.M[k]) {
				return false
			}
		}
		return true
	}
	return false
}

func canonicalNumber(s string) string {
	n, _ := parseNumber(s)
	return n.String()
}

func bytesToStrings(bs []blob) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func sameSet(a, b []string, norm func(string) string) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]bool, len(a))
	for _, x := range a {
		m[norm(x)] = true
	}
	for _, x := range b {
		if !m[norm(x)] {
			return false
		}
	}
	return true
}

// eval evaluates the condition against item (nil for an absent item).
func (n *condNode) eval(item Item) bool {
	switch n.kind {
	case nodeAnd:
		return n.kids[0].eval(item) && n.kids[1].eval(item)
	case nodeOr:
		return n.kids[0].eval(item) || n.kids[1].eval(item)
	case nodeNot:
		return !n.kids[0].eval(item)
	case nodeCmp:
		return compareOp(n.op, n.args[0].eval(item), n.args[1].eval(item))
	case nodeBetween:
		x, lo, hi := n.args[0].eval(item), n.args[1].eval(item), n.args[2].eval(item)
		if x == nil || lo == nil || hi == nil {
			return false
		}
		c1, ok1 := compareValues(x, lo)
		c2, ok2 := compareValues(x, hi)
		return ok1 && ok2 && c1 >= 0 && c2 <= 0
	case nodeIn:
		x := n.args[0].eval(item)
		for _, a := range n.args[1:] {
			if equalValues(x, a.eval(item)) {
				return true
			}
		}
		return false
	case nodeFunc:
		return evalFunc(n.op, n.args, item)
	}
	return false
}

// compareOp applies a comparator. <> holds when the values differ in type
// or value, including when one is missing.
func compareOp(op string, a, b *AttributeValue) bool {
	switch op {
	case "=":
		return equalValues(a, b)
	case "<>":
		return !equalValues(a, b)
	}
	if a == nil || b == nil {
		return false
	}
	c, ok := compareValues(a, b)
	if !ok {
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func evalFunc(name string, args []*operand, item Item) bool {
	x := args[0].eval(item)
	switch name {
	case "attribute_exists":
		return x != nil
	case "attribute_not_exists":
		return x == nil
	case "attribute_type":
		t := args[1].eval(item)
		return x != nil && t != nil && t.S != nil && typeName(x) == *t.S
	case "begins_with":
		return beginsWith(x, args[1].eval(item))
	case "contains":
		return contains(x, args[1].eval(item))
	}
	return false
}

func beginsWith(x, pre *AttributeValue) bool {
	switch {
	case x == nil || pre == nil:
		return false
	case x.S != nil && pre.S != nil:
		return strings.HasPrefix(*x.S, *pre.S)
	case x.B != nil && pre.B != nil:
		return bytes.HasPrefix(x.B, pre.B)
	}
	return false
}

// contains is true when x, a string or binary, holds v as a substring, or
// when x, a set or list, has v as an element.
func contains(x, v *AttributeValue) bool {
	if x == nil || v == nil {
		return false
	}
	switch {
	case x.S != nil:
		return v.S != nil && strings.Contains(*x.S, *v.S)
	case x.B != nil:
		return v.B != nil && bytes.Contains(x.B, v.B)
	case x.SS != nil, x.NS != nil, x.BS != nil:
		for _, e := range setElems(x) {
			if equalValues(e, v) {
				return true
			}
		}
	case x.L != nil:
		for _, e := range x.L {
			if equalValues(e, v) {
				return true
			}
		}
	}
	return false
}

func setElems(v *AttributeValue) []*AttributeValue {
	var out []*AttributeValue
	for _, s := range v.SS {
		out = append(out, &AttributeValue{S: &s})
	}
	for _, s := range v.NS {
		out = append(out, &AttributeValue{N: &s})
	}
	for _, b := range v.BS {
		out = append(out, &AttributeValue{B: b})
	}
	return out
}

// valueString renders a value as DynamoDB's messages show it: {S:abc}.
func valueString(v *AttributeValue) string {
	b := appendAttrJSON(nil, v)
	s := strings.NewReplacer(`"`, "").Replace(string(b))
	if !utf8.ValidString(s) {
		return "?"
	}
	return s
}

// mask is the part of an item a projection keeps.
type mask struct {
	all    bool
	fields map[string]*mask
	elems  map[int]*mask
}

func (m *mask) add(p docPath) {
	cur := m
	for _, e := range p {
		if cur.all {
			return
		}
		var next *mask
		if e.isIdx {
			if cur.elems == nil {
				cur.elems = map[int]*mask{}
			}
			if next = cur.elems[e.index]; next == nil {
				next = &mask{}
				cur.elems[e.index] = next
			}
		} else {
			if cur.fields == nil {
				cur.fields = map[string]*mask{}
			}
			if next = cur.fields[e.name]; next == nil {
				next = &mask{}
				cur.fields[e.name] = next
			}
		}
		cur = next
	}
	*cur = mask{all: true}
}

// apply returns the part of v the mask keeps, or nil when nothing of it is
// kept. List elements keep the list's order, compacted.
func (m *mask) apply(v *AttributeValue) *AttributeValue {
	if m.all {
		return v
	}
	switch {
	case v.M != nil && m.fields != nil:
		out := Item{}
		for k, sub := range m.fields {
			if x, ok := v.M[k]; ok {
				if y := sub.apply(x); y != nil {
					out[k] = y
				}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return &AttributeValue{M: out}
	case v.L != nil && m.elems != nil:
		idx := make([]int, 0, len(m.elems))
		for i := range m.elems {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		var out []*AttributeValue
		for _, i := range idx {
			if i < len(v.L) {
				if y := m.elems[i].apply(v.L[i]); y != nil {
					out = append(out, y)
				}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return &AttributeValue{L: out}
	}
	return nil
}

// project keeps only the given paths of item, as ProjectionExpression does.
func project(item Item, paths []docPath) Item {
	root := &mask{}
	for _, p := range paths {
		root.add(p)
	}
	out := Item{}
	for k, sub := range root.fields {
		if v, ok := item[k]; ok {
			if y := sub.apply(v); y != nil {
				out[k] = y
			}
		}
	}
	return out
}
