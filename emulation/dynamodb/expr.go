package dynamodb

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// Expressions: the condition grammar shared by KeyConditionExpression,
// ConditionExpression and FilterExpression, and ProjectionExpression.
//
//	cond    := or
//	or      := and { OR and }
//	and     := not { AND not }
//	not     := NOT not | primary
//	primary := '(' cond ')'
//	         | fn '(' operand { ',' operand } ')'
//	         | operand comparator operand
//	         | operand BETWEEN operand AND operand
//	         | operand IN '(' operand { ',' operand } ')'
//	operand := path | :value | size '(' path ')'
//	path    := name { '.' name | '[' n ']' }
//	name    := identifier | #placeholder

type pathElem struct {
	name  string
	index int
	isIdx bool
}

type docPath []pathElem

func (p docPath) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.isIdx:
			fmt.Fprintf(&b, "[%d]", e.index)
		case i > 0:
			b.WriteString("." + e.name)
		default:
			b.WriteString(e.name)
		}
	}
	return b.String()
}

type operand struct {
	path  docPath         // a document path, or
	value *AttributeValue // an expression value, or
	size  docPath         // size(path)
}

const (
	nodeAnd = iota
	nodeOr
	nodeNot
	nodeCmp     // op: = <> < <= > >=
	nodeBetween // args: x, lo, hi
	nodeIn      // args: x, candidates...
	nodeFunc    // op: function name
)

type condNode struct {
	kind int
	op   string
	kids []*condNode
	args []operand
}

// exprContext resolves placeholders and remembers which were used.
type exprContext struct {
	names      map[string]string
	values     Item
	usedNames  map[string]bool
	usedValues map[string]bool
}

func newExprContext(names map[string]string, values Item) (*exprContext, error) {
	if names != nil && len(names) == 0 {
		return nil, awsproto.Validation("ExpressionAttributeNames must not be empty")
	}
	if values != nil && len(values) == 0 {
		return nil, awsproto.Validation("ExpressionAttributeValues must not be empty")
	}
	for _, k := range sortedKeys(values) {
		if !strings.HasPrefix(k, ":") || len(k) < 2 {
			return nil, awsproto.Validation("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
		if err := validateValue(values[k]); err != nil {
			return nil, awsproto.Validation("ExpressionAttributeValues contains invalid value: %s for key %s", err.Message, k)
		}
	}
	for k := range names {
		if !strings.HasPrefix(k, "#") || len(k) < 2 {
			return nil, awsproto.Validation("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
	}
	return &exprContext{names: names, values: values, usedNames: map[string]bool{}, usedValues: map[string]bool{}}, nil
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

type token struct {
	kind byte // 'i' identifier, '#' name, ':' value, 'n' number, 'p' punctuation, 0 end
	text string
}

type parser struct {
	ctx   *exprContext
	what  string // "KeyConditionExpression", ...
	src   string
	toks  []token
	at    int
	depth int
}

func (p *parser) errf(format string, args ...any) error {
	return awsproto.Validation("Invalid %s: %s", p.what, fmt.Sprintf(format, args...))
}

func (p *parser) syntax() error {
	t := p.peek()
	if t.kind == 0 {
		return p.errf("Syntax error; token: <EOF>, near: %q", p.src)
	}
	return p.errf("Syntax error; token: %q, near: %q", t.text, p.src)
}

func tokenize(src string) ([]token, bool) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':' || isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			kind := byte('i')
			if c == '#' || c == ':' {
				kind = c
				if j == i+1 {
					return nil, false
				}
			}
			toks = append(toks, token{kind, src[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			toks = append(toks, token{'n', src[i:j]})
			i = j
		case c == '<' || c == '>':
			if i+1 < len(src) && (src[i+1] == '=' || (c == '<' && src[i+1] == '>')) {
				toks = append(toks, token{'p', src[i : i+2]})
				i += 2
			} else {
				toks = append(toks, token{'p', src[i : i+1]})
				i++
			}
		case strings.IndexByte("=(),.[]", c) >= 0:
			toks = append(toks, token{'p', src[i : i+1]})
			i++
		default:
			return nil, false
		}
	}
	return toks, true
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func (p *parser) peek() token {
	if p.at < len(p.toks) {
		return p.toks[p.at]
	}
	return token{}
}

func (p *parser) next() token {
	t := p.peek()
	if p.at < len(p.toks) {
		p.at++
	}
	return t
}

func (p *parser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == 'i' && strings.EqualFold(t.text, word)
}

func (p *parser) punct(s string) bool {
	t := p.peek()
	if t.kind == 'p' && t.text == s {
		p.at++
		return true
	}
	return false
}

func newParser(ctx *exprContext, what, src string) (*parser, error) {
	p := &parser{ctx: ctx, what: what, src: src}
	if strings.TrimSpace(src) == "" {
		return nil, p.errf("The expression can not be empty;")
	}
	toks, ok := tokenize(src)
	if !ok {
		return nil, p.errf("Syntax error; token: %q, near: %q", src, src)
	}
	p.toks = toks
	return p, nil
}

// parseCondition parses a condition expression.
func parseCondition(ctx *exprContext, what, src string) (*condNode, error) {
	p, err := newParser(ctx, what, src)
	if err != nil {
		return nil, err
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != 0 {
		return nil, p.syntax()
	}
	return n, nil
}

// parseProjection parses a ProjectionExpression: paths separated by commas.
func parseProjection(ctx *exprContext, src string) ([]docPath, error) {
	p, err := newParser(ctx, "ProjectionExpression", src)
	if err != nil {
		return nil, err
	}
	var paths []docPath
	seen := map[string]bool{}
	for {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		k := path.String()
		if seen[k] {
			return nil, p.errf("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", k, k)
		}
		seen[k] = true
		paths = append(paths, path)
		if p.punct(",") {
			continue
		}
		if p.peek().kind != 0 {
			return nil, p.syntax()
		}
		return paths, nil
	}
}

func (p *parser) or() (*condNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("OR") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &condNode{kind: nodeOr, kids: []*condNode{l, r}}
	}
	return l, nil
}

func (p *parser) and() (*condNode, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("AND") {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &condNode{kind: nodeAnd, kids: []*condNode{l, r}}
	}
	return l, nil
}

func (p *parser) not() (*condNode, error) {
	if p.isKeyword("NOT") {
		p.next()
		k, err := p.not()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeNot, kids: []*condNode{k}}, nil
	}
	return p.primary()
}

var condFuncs = map[string]int{ // name: number of arguments
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
	"begins_with": 2, "contains": 2,
}

func (p *parser) primary() (*condNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 100 {
		return nil, p.errf("The expression has redundant parentheses;")
	}
	if p.punct("(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.punct(")") {
			return nil, p.syntax()
		}
		return n, nil
	}
	if t := p.peek(); t.kind == 'i' && p.at+1 < len(p.toks) && p.toks[p.at+1].text == "(" {
		name := t.text
		if nargs, ok := condFuncs[name]; ok {
			p.at += 2
			args, err := p.operandList()
			if err != nil {
				return nil, err
			}
			if len(args) != nargs {
				return nil, p.errf("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
			}
			if args[0].path == nil {
				return nil, p.errf("Operator or function requires a document path; operator or function: %s", name)
			}
			return &condNode{kind: nodeFunc, op: name, args: args}, nil
		}
		if name != "size" {
			return nil, p.errf("Invalid function name; function: %s", name)
		}
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.isKeyword("BETWEEN") {
		p.next()
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntax()
		}
		p.next()
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		if lo.value != nil && hi.value != nil && typeName(lo.value) == typeName(hi.value) {
			if c, ok := compareValues(lo.value, hi.value); ok && c > 0 {
				return nil, p.errf("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", valueString(lo.value), valueString(hi.value))
			}
		}
		return &condNode{kind: nodeBetween, args: []operand{l, lo, hi}}, nil
	}
	if p.isKeyword("IN") {
		p.next()
		if !p.punct("(") {
			return nil, p.syntax()
		}
		args, err := p.operandList()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeIn, args: append([]operand{l}, args...)}, nil
	}
	t := p.peek()
	switch t.text {
	case "=", "<>", "<", "<=", ">", ">=":
		if t.kind != 'p' {
			break
		}
		p.next()
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeCmp, op: t.text, args: []operand{l, r}}, nil
	}
	return nil, p.syntax()
}

// operandList reads operands up to and including ")".
func (p *parser) operandList() ([]operand, error) {
	var args []operand
	for {
		a, err := p.operand()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.punct(",") {
			continue
		}
		if p.punct(")") {
			return args, nil
		}
		return nil, p.syntax()
	}
}

func (p *parser) operand() (operand, error) {
	t := p.peek()
	switch {
	case t.kind == ':':
		p.next()
		v, ok := p.ctx.values[t.text]
		if !ok {
			return operand{}, p.errf("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
		}
		p.ctx.usedValues[t.text] = true
		return operand{value: v}, nil
	case t.kind == 'i' && t.text == "size" && p.at+1 < len(p.toks) && p.toks[p.at+1].text == "(":
		p.at += 2
		path, err := p.path()
		if err != nil {
			return operand{}, err
		}
		if !p.punct(")") {
			return operand{}, p.syntax()
		}
		return operand{size: path}, nil
	}
	path, err := p.path()
	if err != nil {
		return operand{}, err
	}
	return operand{path: path}, nil
}

func (p *parser) name() (string, error) {
	t := p.next()
	switch t.kind {
	case '#':
		n, ok := p.ctx.names[t.text]
		if !ok {
			return "", p.errf("An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.ctx.usedNames[t.text] = true
		return n, nil
	case 'i':
		if reservedWords[strings.ToUpper(t.text)] {
			return "", p.errf("Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		return t.text, nil
	}
	p.at--
	return "", p.syntax()
}

func (p *parser) path() (docPath, error) {
	n, err := p.name()
	if err != nil {
		return nil, err
	}
	path := docPath{{name: n}}
	for {
		switch {
		case p.punct("."):
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			path = append(path, pathElem{name: n})
		case p.punct("["):
			t := p.next()
			if t.kind != 'n' {
				return nil, p.syntax()
			}
			i, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, p.syntax()
			}
			if !p.punct("]") {
				return nil, p.syntax()
			}
			path = append(path, pathElem{index: i, isIdx: true})
		default:
			return path, nil
		}
	}
}

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

func (o operand) eval(item Item) *AttributeValue {
	switch {
	case o.value != nil:
		return o.value
	case o.size != nil:
		v := resolve(item, o.size)
		if v == nil {
			return nil
		}
		var n int
		switch {
		case v.S != nil:
			n = len(*v.S)
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
		s := strconv.Itoa(n)
		return &AttributeValue{N: &s}
	}
	return resolve(item, o.path)
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
		return sameSet(a.NS, b.NS, func(s string) string { n, _ := parseNumber(s); return n.String() })
	case a.BS != nil:
		as, bs := make([]string, len(a.BS)), make([]string, len(b.BS))
		for i, x := range a.BS {
			as[i] = string(x)
		}
		for i, x := range b.BS {
			bs[i] = string(x)
		}
		return sameSet(as, bs, func(s string) string { return s })
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
		a, b := n.args[0].eval(item), n.args[1].eval(item)
		switch n.op {
		case "=":
			return equalValues(a, b)
		case "<>":
			return a != nil && b != nil && !equalValues(a, b)
		}
		if a == nil || b == nil {
			return false
		}
		c, ok := compareValues(a, b)
		if !ok {
			return false
		}
		switch n.op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
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
		x := n.args[0].eval(item)
		switch n.op {
		case "attribute_exists":
			return x != nil
		case "attribute_not_exists":
			return x == nil
		case "attribute_type":
			t := n.args[1].eval(item)
			return x != nil && t != nil && t.S != nil && typeName(x) == *t.S
		case "begins_with":
			pre := n.args[1].eval(item)
			switch {
			case x == nil || pre == nil:
				return false
			case x.S != nil && pre.S != nil:
				return strings.HasPrefix(*x.S, *pre.S)
			case x.B != nil && pre.B != nil:
				return bytes.HasPrefix(x.B, pre.B)
			}
			return false
		case "contains":
			v := n.args[1].eval(item)
			if x == nil || v == nil {
				return false
			}
			switch {
			case x.S != nil && v.S != nil:
				return strings.Contains(*x.S, *v.S)
			case x.B != nil && v.B != nil:
				return bytes.Contains(x.B, v.B)
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

// project keeps only the given paths of item, as ProjectionExpression does.
func project(item Item, paths []docPath) Item {
	out := Item{}
	for _, p := range paths {
		v := resolve(item, p)
		if v == nil {
			continue
		}
		if len(p) == 1 {
			out[p[0].name] = v
			continue
		}
		// Rebuild the nesting down to v; list elements are appended in
		// order, as DynamoDB compacts them.
		cur := &AttributeValue{M: out}
		for i, e := range p {
			last := i == len(p)-1
			if e.isIdx {
				if cur.L == nil {
					cur.L = []*AttributeValue{}
				}
				if last {
					cur.L = append(cur.L, v)
					break
				}
				nxt := &AttributeValue{}
				cur.L = append(cur.L, nxt)
				cur = nxt
				continue
			}
			if cur.M == nil {
				cur.M = Item{}
			}
			if last {
				cur.M[e.name] = v
				break
			}
			nxt, ok := cur.M[e.name]
			if !ok {
				nxt = &AttributeValue{}
				cur.M[e.name] = nxt
			}
			cur = nxt
		}
	}
	return out
}
