package dynamodb

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// exprContext holds a request's ExpressionAttributeNames and
// ExpressionAttributeValues, resolves the placeholders of its expressions
// and remembers which were used.
type exprContext struct {
	names      map[string]string
	values     Item
	usedNames  map[string]bool
	usedValues map[string]bool
	// paths whose first element has more elements after it (a.b, a[0]),
	// by attribute name, in the request's projection, filter and update
	// expressions: key attributes may not be nested into.
	nested map[string]bool
	// projNested is nested for the projection.
	projNested map[string]bool
	// nestedInto is where the expression being parsed records its nested
	// paths; nil for one whose paths do not count (a condition).
	nestedInto map[string]bool
}

var (
	namePlaceholderRE  = regexp.MustCompile(`^#[0-9a-zA-Z_]+$`)
	valuePlaceholderRE = regexp.MustCompile(`^:[0-9a-zA-Z_]+$`)
)

// newExprContext checks the placeholders' maps as DynamoDB does before it
// parses any expression.
func newExprContext(names map[string]string, values Item) (*exprContext, error) {
	if names != nil && len(names) == 0 {
		return nil, awsproto.Validation("ExpressionAttributeNames must not be empty")
	}
	for _, k := range sortedStrings(names) {
		if !namePlaceholderRE.MatchString(k) {
			return nil, awsproto.Validation("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
	}
	if values != nil && len(values) == 0 {
		return nil, awsproto.Validation("ExpressionAttributeValues must not be empty")
	}
	keys := sortedKeys(values)
	for _, k := range keys {
		if !valuePlaceholderRE.MatchString(k) {
			return nil, awsproto.Validation("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
	}
	for _, k := range keys {
		if err := validateValue(values[k]); err != nil {
			return nil, awsproto.Validation("ExpressionAttributeValues contains invalid value: %s for key %s", err.Message, k)
		}
	}
	return &exprContext{names: names, values: values, usedNames: map[string]bool{}, usedValues: map[string]bool{},
		nested: map[string]bool{}, projNested: map[string]bool{}}, nil
}

func sortedStrings(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkUnused fails, as DynamoDB does, when a placeholder was given but not
// used by any expression of the request.
func (c *exprContext) checkUnused() error {
	var unused []string
	for k := range c.names {
		if !c.usedNames[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return awsproto.Validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(unused, ", "))
	}
	for k := range c.values {
		if !c.usedValues[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return awsproto.Validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(unused, ", "))
	}
	return nil
}

// errSet records the first error of each kind an expression has; the
// message reported is that of the first kind, in a fixed order, that has
// one.
type errSet map[string]string

func (e errSet) set(kind, msg string) {
	if _, ok := e[kind]; !ok {
		e[kind] = msg
	}
}

func (e errSet) first(order ...string) string {
	for _, k := range order {
		if m, ok := e[k]; ok {
			return m
		}
	}
	return ""
}

// resolvePath replaces a path's #placeholders by the names they stand
// for, and checks plain names against the reserved words: a reserved word
// is recorded in global, an undefined placeholder in local as nameKind.
func (c *exprContext) resolvePath(p docPath, global, local errSet, nameKind string) docPath {
	out := make(docPath, len(p))
	for i, e := range p {
		out[i] = e
		switch {
		case e.isIdx:
		case e.ph:
			n, ok := c.names[e.name]
			if !ok {
				local.set(nameKind, "An expression attribute name used in the document path is not defined; attribute name: "+e.name)
				continue
			}
			c.usedNames[e.name] = true
			out[i] = pathElem{name: n}
		default:
			if reservedWords[strings.ToUpper(e.name)] {
				global.set("reserved", "Attribute name is a reserved keyword; reserved keyword: "+e.name)
			}
		}
	}
	if c.nestedInto != nil && len(out) > 1 && !out[0].isIdx {
		c.nestedInto[out[0].name] = true
	}
	return out
}

func (c *exprContext) resolveValue(o *operand, errs errSet, kind string) {
	v, ok := c.values[o.ph]
	if !ok {
		errs.set(kind, "An expression attribute value used in expression is not defined; attribute value: "+o.ph)
		return
	}
	c.usedValues[o.ph] = true
	o.value = v
}

var condFuncArity = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
	"begins_with": 2, "contains": 2, "size": 1,
}

// condition parses and checks a condition expression; what names the
// parameter in messages ("ConditionExpression").
func (c *exprContext) condition(what, src string) (*condNode, error) {
	if src == "" {
		return nil, awsproto.Validation("Invalid %s: The expression can not be empty;", what)
	}
	n, p, err := parseConditionTree(src)
	if err != nil {
		return nil, awsproto.Validation("Invalid %s: %s", what, p.syntaxMessage())
	}
	if what == "FilterExpression" {
		c.nestedInto = c.nested
		defer func() { c.nestedInto = nil }()
	}
	global := errSet{}
	var leafErr string
	var walk func(n *condNode, top bool)
	walk = func(n *condNode, top bool) {
		if n.parens > 1 {
			global.set("parens", "The expression has redundant parentheses;")
		}
		switch n.kind {
		case nodeAnd, nodeOr, nodeNot:
			for _, k := range n.kids {
				walk(k, false)
			}
			return
		}
		leaf := errSet{}
		for _, a := range n.args {
			c.checkCondOperand(a, global, leaf)
		}
		switch n.kind {
		case nodeFunc:
			if n.op == "size" {
				global.set("misused", "The function is not allowed to be used this way in an expression; function: size")
			}
			c.checkCondFunc(n.op, n.args, global, leaf)
		case nodeCmp:
			misused(n.args, global)
			checkDistinct(n.op, n.args, leaf)
		case nodeBetween:
			misused(n.args, global)
			lo, hi := immediate(n.args[1]), immediate(n.args[2])
			if lo != nil && hi != nil {
				if typeName(lo) != typeName(hi) {
					leaf.set("function", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: "+valueString(lo)+", upper bound operand: AttributeValue: "+valueString(hi))
				} else if cmp, ok := compareValues(lo, hi); ok && cmp > 0 {
					leaf.set("function", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: "+valueString(lo)+", upper bound operand: AttributeValue: "+valueString(hi))
				}
			}
		case nodeIn:
			misused(n.args, global)
		}
		if leafErr == "" {
			leafErr = leaf.first("attrNameVal", "operand", "distinct", "function")
		}
	}
	walk(n, true)
	if msg := global.first("parens", "unknownFunction", "misused", "reserved"); msg != "" {
		return nil, awsproto.Validation("Invalid %s: %s", what, msg)
	}
	if leafErr != "" {
		return nil, awsproto.Validation("Invalid %s: %s", what, leafErr)
	}
	return n, nil
}

// misused flags a function other than size used as an operand.
func misused(args []*operand, global errSet) {
	for _, a := range args {
		if a.kind == opFunc && a.fn != "size" {
			global.set("misused", "The function is not allowed to be used this way in an expression; function: "+a.fn)
		}
	}
}

func checkDistinct(op string, args []*operand, leaf errSet) {
	if len(args) != 2 || args[0].kind != opPath || args[1].kind != opPath || args[0].path.String() != args[1].path.String() ||
		len(args[0].path) != len(args[1].path) {
		return
	}
	leaf.set("distinct", "The first operand must be distinct from the remaining operands for this operator or function; operator: "+op+", first operand: "+args[0].path.bracketString())
}

// immediate is the value of an operand that is a value, else nil.
func immediate(o *operand) *AttributeValue {
	if o.kind == opValue {
		return o.value
	}
	return nil
}

// operandType is the type an operand is known to have before evaluation:
// a value's type, N for size(); "" otherwise.
func operandType(o *operand) string {
	switch {
	case o.kind == opValue:
		return typeName(o.value)
	case o.kind == opFunc && o.fn == "size":
		return "N"
	}
	return ""
}

func (c *exprContext) checkCondOperand(o *operand, global, leaf errSet) {
	if o.parens > 1 {
		global.set("parens", "The expression has redundant parentheses;")
	}
	switch o.kind {
	case opPath:
		o.path = c.resolvePath(o.path, global, leaf, "attrNameVal")
	case opValue:
		c.resolveValue(o, leaf, "attrNameVal")
	case opFunc:
		for _, a := range o.args {
			c.checkCondOperand(a, global, leaf)
		}
		misused(o.args, global)
		c.checkCondFunc(o.fn, o.args, global, leaf)
	}
}

func (c *exprContext) checkCondFunc(name string, args []*operand, global, leaf errSet) {
	want, ok := condFuncArity[name]
	if !ok {
		global.set("unknownFunction", "Invalid function name; function: "+name)
		return
	}
	if want != len(args) {
		leaf.set("operand", "Incorrect number of operands for operator or function; operator or function: "+name+", number of operands: "+itoa(len(args)))
		return
	}
	checkDistinct(name, args, leaf)
	switch name {
	case "attribute_exists", "attribute_not_exists":
		if args[0].kind != opPath {
			leaf.set("function", "Operator or function requires a document path; operator or function: "+name)
		}
	case "begins_with":
		for _, a := range args {
			if t := operandType(a); t != "" && t != "S" && t != "B" {
				leaf.set("function", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: "+t)
				return
			}
		}
	case "attribute_type":
		t := operandType(args[1])
		if t != "S" {
			if t == "" {
				t = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
			}
			leaf.set("function", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: "+t)
			return
		}
		if v := immediate(args[1]); v != nil {
			switch *v.S {
			case "S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M":
			default:
				leaf.set("function", "Invalid attribute type name found; type: "+*v.S+", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
			}
		}
	case "size":
		if t := operandType(args[0]); t == "N" || t == "BOOL" || t == "NULL" {
			leaf.set("function", "Incorrect operand type for operator or function; operator or function: size, operand type: "+t)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// overlap compares two paths as DynamoDB does when a request names
// several: "overlap" when one is a prefix of the other, "conflict" when
// they differ in kind (name or index) at the same depth, "" otherwise.
func overlap(a, b docPath) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].isIdx != b[i].isIdx {
			return "conflict"
		}
		if a[i].name != b[i].name || a[i].index != b[i].index {
			return ""
		}
	}
	return "overlap"
}

// checkOverlaps records the first overlap and the first conflict among
// paths, in the order they were given.
func checkOverlaps(paths []docPath, errs errSet) {
	for j, p := range paths {
		for _, q := range paths[:j] {
			switch overlap(q, p) {
			case "overlap":
				errs.set("pathOverlap", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: "+q.bracketString()+", path two: "+p.bracketString())
			case "conflict":
				errs.set("pathConflict", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: "+q.bracketString()+", path two: "+p.bracketString())
			}
		}
	}
}

// projection parses and checks a ProjectionExpression.
func (c *exprContext) projection(src string) ([]docPath, error) {
	if src == "" {
		return nil, awsproto.Validation("Invalid ProjectionExpression: The expression can not be empty;")
	}
	paths, p, err := parseProjectionTree(src)
	if err != nil {
		return nil, awsproto.Validation("Invalid ProjectionExpression: %s", p.syntaxMessage())
	}
	c.nestedInto = c.projNested
	defer func() { c.nestedInto = nil }()
	errs := errSet{}
	for i, path := range paths {
		paths[i] = c.resolvePath(path, errs, errs, "attrNameVal")
	}
	if _, ok := errs["attrNameVal"]; !ok {
		checkOverlaps(paths, errs)
	}
	if msg := errs.first("reserved", "attrNameVal", "pathOverlap", "pathConflict"); msg != "" {
		return nil, awsproto.Validation("Invalid ProjectionExpression: %s", msg)
	}
	return paths, nil
}

var updateFuncArity = map[string]int{"if_not_exists": 2, "list_append": 2}

var operandTypeNames = map[string]string{"S": "STRING", "N": "NUMBER", "B": "BINARY", "NULL": "NULL", "BOOL": "BOOLEAN", "L": "LIST", "M": "MAP"}

// update parses and checks an UpdateExpression.
func (c *exprContext) update(src string) ([]updateAction, error) {
	if src == "" {
		return nil, awsproto.Validation("Invalid UpdateExpression: The expression can not be empty;")
	}
	acts, sections, p, err := parseUpdateTree(src)
	if err != nil {
		return nil, awsproto.Validation("Invalid UpdateExpression: %s", p.syntaxMessage())
	}
	c.nestedInto = c.nested
	defer func() { c.nestedInto = nil }()
	errs := errSet{}
	seen := map[int]bool{}
	for _, s := range sections {
		if seen[s] {
			errs.set("section", `The "`+actionNames[s]+`" section can only be used once in an update expression;`)
		}
		seen[s] = true
	}
	var check func(o *operand) string
	check = func(o *operand) string {
		switch o.kind {
		case opPath:
			o.path = c.resolvePath(o.path, errs, errs, "attrName")
		case opValue:
			c.resolveValue(o, errs, "attrVal")
			return typeName(o.value)
		case opFunc, opArith:
			types := make([]string, len(o.args))
			for i, a := range o.args {
				types[i] = check(a)
			}
			name := o.fn
			if o.kind == opFunc {
				want, ok := updateFuncArity[name]
				if !ok {
					errs.set("unknownFunction", "Invalid function name; function: "+name)
					return ""
				}
				if want != len(o.args) {
					errs.set("function", "Incorrect number of operands for operator or function; operator or function: "+name+", number of operands: "+itoa(len(o.args)))
					return ""
				}
			}
			switch name {
			case "if_not_exists":
				if o.args[0].kind != opPath {
					errs.set("function", "Operator or function requires a document path; operator or function: if_not_exists")
				}
				return types[1]
			case "list_append":
				for i, a := range o.args {
					if a.kind == opValue && types[i] != "" && types[i] != "L" {
						errs.set("function", "Incorrect operand type for operator or function; operator or function: list_append, operand type: "+types[i])
						break
					}
				}
				return "L"
			default: // + and -
				for i, a := range o.args {
					if a.kind == opValue && types[i] != "" && types[i] != "N" {
						errs.set("function", "Incorrect operand type for operator or function; operator or function: "+name+", operand type: "+types[i])
						break
					}
				}
				return "N"
			}
		}
		return ""
	}
	paths := make([]docPath, 0, len(acts))
	for i := range acts {
		a := &acts[i]
		a.path = c.resolvePath(a.path, errs, errs, "attrName")
		paths = append(paths, a.path)
		if a.value == nil {
			continue
		}
		t := check(a.value)
		if (a.kind == actAdd || a.kind == actDelete) && t != "" {
			if name, ok := operandTypeNames[t]; ok && !(a.kind == actAdd && t == "N") {
				errs.set("operand", "Incorrect operand type for operator or function; operator: "+actionNames[a.kind]+", operand type: "+name)
			}
		}
	}
	checkOverlaps(paths, errs)
	if msg := errs.first("reserved", "unknownFunction", "section", "attrName", "attrVal", "pathOverlap", "pathConflict", "operand", "function"); msg != "" {
		return nil, awsproto.Validation("Invalid UpdateExpression: %s", msg)
	}
	return acts, nil
}
