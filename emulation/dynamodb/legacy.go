package dynamodb

import (
	"sort"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// The legacy parameters older SDK code still sends: Expected,
// ConditionalOperator, QueryFilter, ScanFilter, KeyConditions and
// AttributeUpdates (AttributesToGet is read in items.go). Each becomes the
// tree its expression counterpart parses into, so that both are evaluated
// alike.

// expectedAttr is one entry of Expected.
type expectedAttr struct {
	Value              *AttributeValue   `json:"Value"`
	Exists             *bool             `json:"Exists"`
	ComparisonOperator *string           `json:"ComparisonOperator"`
	AttributeValueList []*AttributeValue `json:"AttributeValueList"`
}

// legacyCondition is one entry of QueryFilter, ScanFilter or KeyConditions.
type legacyCondition struct {
	ComparisonOperator *string           `json:"ComparisonOperator"`
	AttributeValueList []*AttributeValue `json:"AttributeValueList"`
}

// attributeUpdate is one entry of AttributeUpdates.
type attributeUpdate struct {
	Action *string         `json:"Action"`
	Value  *AttributeValue `json:"Value"`
}

var comparisonOperators = []string{"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS"}

func sortedExpected(m map[string]*expectedAttr) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedConditions(m map[string]*legacyCondition) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedUpdateKeys(m map[string]*attributeUpdate) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkExpectedEnums adds the constraint errors of Expected.
func checkExpectedEnums(c *constraints, m map[string]*expectedAttr, path string) {
	for _, k := range sortedExpected(m) {
		if e := m[k]; e != nil {
			c.enum(e.ComparisonOperator, path+"."+k+".member.comparisonOperator", comparisonOperators...)
		}
	}
}

// checkConditionEnums adds the constraint errors of a QueryFilter,
// ScanFilter or KeyConditions map.
func checkConditionEnums(c *constraints, m map[string]*legacyCondition, path string) {
	for _, k := range sortedConditions(m) {
		e := m[k]
		if e == nil {
			continue
		}
		p := path + "." + k + ".member.comparisonOperator"
		if c.notNull(e.ComparisonOperator == nil, p) {
			c.enum(e.ComparisonOperator, p, comparisonOperators...)
		}
	}
}

// argCount reports whether n arguments suit the operator.
func argCount(op string, n int) bool {
	switch op {
	case "NULL", "NOT_NULL":
		return n == 0
	case "IN":
		return n > 0
	case "BETWEEN":
		return n == 2
	}
	return n == 1
}

var legacyOperandTypes = map[string][]string{
	"EQ": {"S", "N", "B", "SS", "NS", "BS"}, "NE": {"S", "N", "B", "SS", "NS", "BS"},
	"LE": {"S", "N", "B"}, "LT": {"S", "N", "B"}, "GE": {"S", "N", "B"}, "GT": {"S", "N", "B"},
	"CONTAINS": {"S", "N", "B"}, "NOT_CONTAINS": {"S", "N", "B"}, "BEGINS_WITH": {"S", "B"},
	"IN": {"S", "N", "B"}, "BETWEEN": {"S", "N", "B"},
}

// checkValueList checks the AttributeValueList of one legacy condition.
func checkValueList(op string, list []*AttributeValue, typed bool) error {
	if len(list) > 0 {
		t := typeName(list[0])
		for _, v := range list[1:] {
			if typeName(v) != t {
				return awsproto.Validation("One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type")
			}
		}
	}
	if typed {
		for _, v := range list {
			ok := false
			for _, t := range legacyOperandTypes[op] {
				if typeName(v) == t {
					ok = true
				}
			}
			if !ok {
				return awsproto.Validation("One or more parameter values were invalid: ComparisonOperator %s is not valid for %s AttributeValue type", op, typeName(v))
			}
		}
	}
	if op == "BETWEEN" && len(list) == 2 {
		if c, ok := compareValues(list[0], list[1]); ok && c > 0 {
			return awsproto.Validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
	}
	return nil
}

// validateExpected checks Expected as DynamoDB does before reading the table.
func validateExpected(m map[string]*expectedAttr, op *string) error {
	for _, k := range sortedExpected(m) {
		e := m[k]
		if e == nil {
			continue
		}
		if e.AttributeValueList != nil && e.Value != nil {
			return awsproto.Validation("One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: %s", k)
		}
		if e.ComparisonOperator != nil {
			cop := *e.ComparisonOperator
			if e.Exists != nil {
				return awsproto.Validation("One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: %s", k)
			}
			if cop != "NULL" && cop != "NOT_NULL" && e.AttributeValueList == nil && e.Value == nil {
				return awsproto.Validation("One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: %s for Attribute: %s", cop, k)
			}
			list := e.AttributeValueList
			if e.Value != nil {
				list = []*AttributeValue{e.Value}
			}
			if !argCount(cop, len(list)) {
				return awsproto.Validation("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", cop)
			}
			for _, v := range list {
				if err := validateValue(v); err != nil {
					return err
				}
			}
			if err := checkValueList(cop, list, false); err != nil {
				return err
			}
			continue
		}
		if e.AttributeValueList != nil {
			return awsproto.Validation("One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: %s", k)
		}
		exists := e.Exists == nil || *e.Exists
		if exists && e.Value == nil {
			state := "null"
			if e.Exists != nil {
				state = "true"
			}
			return awsproto.Validation("One or more parameter values were invalid: Value must be provided when Exists is %s for Attribute: %s", state, k)
		}
		if !exists && e.Value != nil {
			return awsproto.Validation("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: %s", k)
		}
		if e.Value != nil {
			if err := validateValue(e.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateConditions checks a QueryFilter, ScanFilter or KeyConditions map.
func validateConditions(m map[string]*legacyCondition) error {
	for _, k := range sortedConditions(m) {
		e := m[k]
		if e == nil || e.ComparisonOperator == nil {
			continue
		}
		for _, v := range e.AttributeValueList {
			if err := validateValue(v); err != nil {
				return err
			}
		}
		if !argCount(*e.ComparisonOperator, len(e.AttributeValueList)) {
			return awsproto.Validation("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", *e.ComparisonOperator)
		}
		if err := checkValueList(*e.ComparisonOperator, e.AttributeValueList, true); err != nil {
			return err
		}
	}
	return nil
}

// legacyLeaf builds the condition one legacy operator stands for on the
// top-level attribute name.
func legacyLeaf(name, op string, list []*AttributeValue) *condNode {
	path := &operand{kind: opPath, path: docPath{{name: name}}}
	vals := make([]*operand, len(list))
	for i, v := range list {
		vals[i] = &operand{kind: opValue, value: v}
	}
	cmp := map[string]string{"EQ": "=", "NE": "<>", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}
	switch op {
	case "NULL":
		return &condNode{kind: nodeFunc, op: "attribute_not_exists", args: []*operand{path}}
	case "NOT_NULL":
		return &condNode{kind: nodeFunc, op: "attribute_exists", args: []*operand{path}}
	case "CONTAINS":
		return &condNode{kind: nodeFunc, op: "contains", args: []*operand{path, vals[0]}}
	case "NOT_CONTAINS":
		// True also when the attribute is missing.
		return &condNode{kind: nodeNot, kids: []*condNode{{kind: nodeFunc, op: "contains", args: []*operand{path, vals[0]}}}}
	case "BEGINS_WITH":
		return &condNode{kind: nodeFunc, op: "begins_with", args: []*operand{path, vals[0]}}
	case "IN":
		return &condNode{kind: nodeIn, args: append([]*operand{path}, vals...)}
	case "BETWEEN":
		return &condNode{kind: nodeBetween, args: []*operand{path, vals[0], vals[1]}}
	}
	return &condNode{kind: nodeCmp, op: cmp[op], args: []*operand{path, vals[0]}}
}

// combine joins leaves with AND, or with OR when op says so.
func combine(leaves []*condNode, op *string) *condNode {
	if len(leaves) == 0 {
		return nil
	}
	kind := nodeAnd
	if op != nil && *op == "OR" {
		kind = nodeOr
	}
	n := leaves[0]
	for _, l := range leaves[1:] {
		n = &condNode{kind: kind, kids: []*condNode{n, l}}
	}
	return n
}

// expectedCondition converts a validated Expected.
func expectedCondition(m map[string]*expectedAttr, op *string) (*condNode, error) {
	var leaves []*condNode
	for _, k := range sortedExpected(m) {
		e := m[k]
		if e == nil {
			continue
		}
		switch {
		case e.ComparisonOperator != nil:
			list := e.AttributeValueList
			if e.Value != nil {
				list = []*AttributeValue{e.Value}
			}
			leaves = append(leaves, legacyLeaf(k, *e.ComparisonOperator, list))
		case e.Exists != nil && !*e.Exists:
			leaves = append(leaves, legacyLeaf(k, "NULL", nil))
		default:
			leaves = append(leaves, legacyLeaf(k, "EQ", []*AttributeValue{e.Value}))
		}
	}
	return combine(leaves, op), nil
}

// filterCondition converts a validated QueryFilter or ScanFilter.
func filterCondition(m map[string]*legacyCondition, op *string) *condNode {
	var leaves []*condNode
	for _, k := range sortedConditions(m) {
		if e := m[k]; e != nil && e.ComparisonOperator != nil {
			leaves = append(leaves, legacyLeaf(k, *e.ComparisonOperator, e.AttributeValueList))
		}
	}
	return combine(leaves, op)
}

// attributeUpdateActions validates AttributeUpdates and converts it into
// update actions on top-level attributes.
func attributeUpdateActions(m map[string]*attributeUpdate) ([]updateAction, error) {
	var acts []updateAction
	for _, k := range sortedUpdateKeys(m) {
		u := m[k]
		if u == nil {
			continue
		}
		action := "PUT"
		if u.Action != nil {
			action = *u.Action
		}
		if u.Value != nil {
			if err := validateValue(u.Value); err != nil {
				return nil, err
			}
		}
		if u.Value == nil && action != "DELETE" {
			return nil, awsproto.Validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
		}
		t := typeName(u.Value)
		if u.Value != nil && action == "DELETE" && t != "SS" && t != "NS" && t != "BS" {
			return nil, awsproto.Validation("One or more parameter values were invalid: DELETE action with value is not supported for the type %s", t)
		}
		if u.Value != nil && action == "ADD" && t != "L" && t != "SS" && t != "NS" && t != "BS" && t != "N" {
			return nil, awsproto.Validation("One or more parameter values were invalid: ADD action is not supported for the type %s", t)
		}
		a := updateAction{path: docPath{{name: k}}}
		switch action {
		case "PUT":
			a.kind, a.value = actSet, &operand{kind: opValue, value: u.Value}
		case "ADD":
			a.kind, a.value = actAdd, &operand{kind: opValue, value: u.Value}
		default:
			a.kind, a.value = actDelete, &operand{kind: opValue, value: u.Value}
		}
		acts = append(acts, a)
	}
	return acts, nil
}
