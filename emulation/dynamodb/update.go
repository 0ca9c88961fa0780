package dynamodb

import (
	"math/big"
	"slices"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// Applying an UpdateExpression (or the legacy AttributeUpdates) to an item.

const (
	msgBadUpdatePath  = "The document path provided in the update expression is invalid for update"
	msgBadOperandType = "An operand in the update expression has an incorrect data type"
	msgNoSuchAttr     = "The provided expression refers to an attribute that does not exist in the item"
	msgLegacyMismatch = "Type mismatch for attribute to update"
)

// cloneValue deep-copies a value, so that an update never changes the
// item it was read from.
func cloneValue(v *AttributeValue) *AttributeValue {
	if v == nil {
		return nil
	}
	c := *v
	switch {
	case v.M != nil:
		c.M = make(Item, len(v.M))
		for k, x := range v.M {
			c.M[k] = cloneValue(x)
		}
	case v.L != nil:
		c.L = make([]*AttributeValue, len(v.L))
		for i, x := range v.L {
			c.L[i] = cloneValue(x)
		}
	case v.SS != nil:
		c.SS = slices.Clone(v.SS)
	case v.NS != nil:
		c.NS = slices.Clone(v.NS)
	case v.BS != nil:
		c.BS = slices.Clone(v.BS)
	}
	return &c
}

func cloneItem(it Item) Item {
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = cloneValue(v)
	}
	return out
}

// evalUpdateValue computes a SET value against the item as it was before
// the update.
func evalUpdateValue(o *operand, item Item) (*AttributeValue, error) {
	switch o.kind {
	case opValue:
		return o.value, nil
	case opPath:
		v := resolve(item, o.path)
		if v == nil {
			return nil, awsproto.Validation(msgNoSuchAttr)
		}
		return v, nil
	case opArith:
		a, err := evalUpdateValue(o.args[0], item)
		if err != nil {
			return nil, err
		}
		if a.N == nil {
			return nil, awsproto.Validation(msgBadOperandType)
		}
		b, err := evalUpdateValue(o.args[1], item)
		if err != nil {
			return nil, err
		}
		if b.N == nil {
			return nil, awsproto.Validation(msgBadOperandType)
		}
		s, aerr := addNumbers(*a.N, *b.N, o.fn == "-")
		if aerr != nil {
			return nil, aerr
		}
		return numberValue(s), nil
	case opFunc:
		switch o.fn {
		case "if_not_exists":
			if v := resolve(item, o.args[0].path); v != nil {
				return v, nil
			}
			return evalUpdateValue(o.args[1], item)
		case "list_append":
			a, err := evalUpdateValue(o.args[0], item)
			if err != nil {
				return nil, err
			}
			if a.L == nil {
				return nil, awsproto.Validation(msgBadOperandType)
			}
			b, err := evalUpdateValue(o.args[1], item)
			if err != nil {
				return nil, err
			}
			if b.L == nil {
				return nil, awsproto.Validation(msgBadOperandType)
			}
			return &AttributeValue{L: append(slices.Clone(a.L), b.L...)}, nil
		}
	}
	return nil, awsproto.Validation(msgNoSuchAttr)
}

// addNumbers adds (or subtracts) two numbers exactly and checks the
// result's range and precision.
func addNumbers(a, b string, subtract bool) (string, *awsproto.Error) {
	x, y := canonicalNumberInfo(a), canonicalNumberInfo(b)
	xm, xe := x.scaled()
	ym, ye := y.scaled()
	e := min(xe, ye)
	xm.Mul(xm, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(xe-e)), nil))
	ym.Mul(ym, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ye-e)), nil))
	if subtract {
		ym.Neg(ym)
	}
	sum := new(big.Int).Add(xm, ym)
	s := sum.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if e != 0 {
		s += "e" + itoa(e)
	}
	if neg {
		s = "-" + s
	}
	n, err := parseNumber(s)
	if err != nil {
		return "", err
	}
	return n.String(), nil
}

// scaled returns n as an integer mantissa and a power of ten.
func (n number) scaled() (*big.Int, int) {
	if n.digits == "" {
		return new(big.Int), 0
	}
	m, _ := new(big.Int).SetString(n.digits, 10)
	if n.neg {
		m.Neg(m)
	}
	// value = 0.d1d2...dk × 10^(exp+1) = d1...dk × 10^(exp+1-k)
	return m, n.exp + 1 - len(n.digits)
}

// parent finds the container a path's last element lives in: a map (and
// the key) or a list (and the index). ok is false when the path cannot be
// updated: an intermediate element is missing or of the wrong type.
func parentOf(item Item, path docPath) (m Item, l *AttributeValue, last pathElem, ok bool) {
	last = path[len(path)-1]
	if len(path) == 1 {
		return item, nil, last, true
	}
	v := resolve(item, path[:len(path)-1])
	switch {
	case v == nil:
		return nil, nil, last, false
	case last.isIdx && v.L != nil:
		return nil, v, last, true
	case !last.isIdx && v.M != nil:
		return v.M, nil, last, true
	}
	return nil, nil, last, false
}

// applyUpdate applies the actions to item in place. Values are computed
// against the item as it was before any action; list elements removed by
// index are removed last, highest index first, so that indexes refer to
// the list as it was.
func applyUpdate(acts []updateAction, item Item, legacy bool) error {
	mismatch := msgBadOperandType
	if legacy {
		mismatch = msgLegacyMismatch
	}
	values := make([]*AttributeValue, len(acts))
	for i, a := range acts {
		if a.kind == actSet {
			v, err := evalUpdateValue(a.value, item)
			if err != nil {
				return err
			}
			values[i] = cloneValue(v)
		}
	}
	type removal struct {
		list *AttributeValue
		i    int
	}
	var removals []removal
	// Values set at or past a list's end are appended after every action,
	// in the order of their indexes.
	type appendix struct {
		list *AttributeValue
		i    int
		v    *AttributeValue
	}
	var appends []appendix
	for i, a := range acts {
		m, l, last, ok := parentOf(item, a.path)
		if !ok {
			return awsproto.Validation(msgBadUpdatePath)
		}
		var existing *AttributeValue
		if m != nil {
			existing = m[last.name]
		} else if last.index < len(l.L) {
			existing = l.L[last.index]
		}
		if m == nil && last.index >= len(l.L) {
			for _, p := range appends {
				if p.list == l && p.i == last.index {
					existing = p.v
				}
			}
		}
		put := func(v *AttributeValue) {
			switch {
			case m != nil:
				m[last.name] = v
			case last.index < len(l.L):
				l.L[last.index] = v
			default:
				for i := range appends {
					if appends[i].list == l && appends[i].i == last.index {
						appends[i].v = v
						return
					}
				}
				appends = append(appends, appendix{l, last.index, v})
			}
		}
		remove := func() {
			if m != nil {
				delete(m, last.name)
			} else if last.index < len(l.L) {
				removals = append(removals, removal{l, last.index})
			}
		}
		switch a.kind {
		case actSet:
			put(values[i])
		case actRemove:
			remove()
		case actAdd:
			v := a.value.value
			switch {
			case existing == nil:
				put(cloneValue(v))
			case v.N != nil && existing.N != nil:
				s, err := addNumbers(*existing.N, *v.N, false)
				if err != nil {
					return err
				}
				put(numberValue(s))
			case legacy && v.L != nil && existing.L != nil:
				put(&AttributeValue{L: append(slices.Clone(existing.L), cloneValue(v).L...)})
			case typeName(v) == typeName(existing) && (v.SS != nil || v.NS != nil || v.BS != nil):
				put(setUnion(existing, v))
			default:
				return awsproto.Validation("%s", mismatch)
			}
		case actDelete:
			v := a.value.value
			if v == nil {
				remove()
				continue
			}
			if existing == nil {
				continue
			}
			if typeName(v) != typeName(existing) {
				return awsproto.Validation("%s", mismatch)
			}
			rest := setMinus(existing, v)
			if rest == nil {
				remove()
			} else {
				put(rest)
			}
		}
	}
	slices.SortStableFunc(appends, func(a, b appendix) int { return a.i - b.i })
	for _, p := range appends {
		p.list.L = append(p.list.L, p.v)
	}
	slices.SortStableFunc(removals, func(a, b removal) int { return b.i - a.i })
	for _, r := range removals {
		if r.i < len(r.list.L) {
			r.list.L = slices.Delete(r.list.L, r.i, r.i+1)
		}
	}
	return nil
}

// setKeys returns a set's members as comparable strings (numbers in
// canonical form).
func setKeys(v *AttributeValue) []string {
	switch {
	case v.SS != nil:
		return v.SS
	case v.NS != nil:
		out := make([]string, len(v.NS))
		for i, s := range v.NS {
			out[i] = canonicalNumber(s)
		}
		return out
	}
	return bytesToStrings(v.BS)
}

func setUnion(a, b *AttributeValue) *AttributeValue {
	have := map[string]bool{}
	for _, k := range setKeys(a) {
		have[k] = true
	}
	out := cloneValue(a)
	bk := setKeys(b)
	for i, k := range bk {
		if have[k] {
			continue
		}
		have[k] = true
		switch {
		case b.SS != nil:
			out.SS = append(out.SS, b.SS[i])
		case b.NS != nil:
			out.NS = append(out.NS, b.NS[i])
		default:
			out.BS = append(out.BS, b.BS[i])
		}
	}
	return out
}

// setMinus removes b's members from a; nil when nothing is left.
func setMinus(a, b *AttributeValue) *AttributeValue {
	drop := map[string]bool{}
	for _, k := range setKeys(b) {
		drop[k] = true
	}
	out := &AttributeValue{}
	n := 0
	for i, k := range setKeys(a) {
		if drop[k] {
			continue
		}
		n++
		switch {
		case a.SS != nil:
			out.SS = append(out.SS, a.SS[i])
		case a.NS != nil:
			out.NS = append(out.NS, a.NS[i])
		default:
			out.BS = append(out.BS, a.BS[i])
		}
	}
	if n == 0 {
		return nil
	}
	return out
}

// updatedPaths are the paths an update names, for UPDATED_OLD and
// UPDATED_NEW.
func updatedPaths(acts []updateAction) []docPath {
	paths := make([]docPath, len(acts))
	for i, a := range acts {
		paths[i] = a.path
	}
	return paths
}
