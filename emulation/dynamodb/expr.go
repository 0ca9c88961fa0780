package dynamodb

import (
	"fmt"
	"strconv"
	"strings"
)

// Expressions: the condition grammar shared by KeyConditionExpression,
// ConditionExpression and FilterExpression, ProjectionExpression and
// UpdateExpression.
//
//	cond    := and { OR and }
//	and     := not { AND not }
//	not     := NOT paren | paren
//	paren   := '(' cond ')' | test
//	test    := opnd comparator opnd
//	         | opnd BETWEEN opnd AND opnd
//	         | opnd IN '(' opnd { ',' opnd } ')'
//	         | function
//	opnd    := '(' opnd ')' | function | :value | path
//	function:= name '(' opnd { ',' opnd } ')'
//	path    := name { '.' name | '[' n ']' }
//	name    := identifier | #placeholder
//
//	update  := section { section }
//	section := SET path '=' value { ',' path '=' value }
//	         | REMOVE path { ',' path }
//	         | (ADD | DELETE) path :value { ',' path :value }
//	value   := opnd [ ('+' | '-') opnd ]
//
// Parsing builds a tree and reports only syntax errors, at the farthest
// token the parser reached, as DynamoDB does; check (exprcheck.go) then
// resolves placeholders and reports the semantic errors in DynamoDB's
// order of precedence.

type pathElem struct {
	name  string
	index int
	isIdx bool
	ph    bool // name is a #placeholder, resolved by check
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

// bracketString renders a path as DynamoDB's messages do: [a, b, [2]].
func (p docPath) bracketString() string {
	parts := make([]string, len(p))
	for i, e := range p {
		if e.isIdx {
			parts[i] = fmt.Sprintf("[%d]", e.index)
		} else {
			parts[i] = e.name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Operand kinds.
const (
	opPath  = iota // path
	opValue        // :placeholder, resolved into value
	opFunc         // fn(args)
	opArith        // args[0] fn args[1], fn "+" or "-"
)

type operand struct {
	kind   int
	path   docPath
	ph     string          // the :placeholder of a value
	value  *AttributeValue // resolved by check
	fn     string
	args   []*operand
	parens int
}

// Condition node kinds.
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
	kind   int
	op     string
	kids   []*condNode
	args   []*operand
	parens int
}

// Update actions.
const (
	actSet = iota
	actRemove
	actAdd
	actDelete
)

var actionNames = [...]string{"SET", "REMOVE", "ADD", "DELETE"}

type updateAction struct {
	kind  int
	path  docPath
	value *operand // SET's value; ADD's and DELETE's :placeholder
}

type token struct {
	kind byte // 'i' identifier, '#', ':', 'n' number, 'p' punctuation, 'x' anything else, 0 end
	text string
	pos  int
}

func tokenize(src string) []token {
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
			}
			toks = append(toks, token{kind, src[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			toks = append(toks, token{'n', src[i:j], i})
			i = j
		case c == '<' || c == '>':
			if i+1 < len(src) && (src[i+1] == '=' || (c == '<' && src[i+1] == '>')) {
				toks = append(toks, token{'p', src[i : i+2], i})
				i += 2
			} else {
				toks = append(toks, token{'p', src[i : i+1], i})
				i++
			}
		case strings.IndexByte("=(),.[]+-", c) >= 0:
			toks = append(toks, token{'p', src[i : i+1], i})
			i++
		default:
			// One character, or one UTF-8 sequence, that no rule accepts.
			j := i + 1
			for j < len(src) && src[j]&0xc0 == 0x80 {
				j++
			}
			toks = append(toks, token{'x', src[i:j], i})
			i = j
		}
	}
	return toks
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// parser is a recursive-descent parser with backtracking over tokens.
type parser struct {
	src  string
	toks []token
	at   int
	far  int // farthest token a rule failed at
	kws  map[string]bool
}

// errSyntax is returned by rules that fail; the message is built once,
// from the farthest failure.
type syntaxErr struct{}

func (syntaxErr) Error() string { return "syntax error" }

var errSyntax error = syntaxErr{}

func newParser(src string, keywords ...string) *parser {
	p := &parser{src: src, toks: tokenize(src), kws: map[string]bool{}}
	for _, k := range keywords {
		p.kws[k] = true
	}
	return p
}

func (p *parser) fail() error {
	if p.at > p.far {
		p.far = p.at
	}
	return errSyntax
}

// syntaxMessage is DynamoDB's wording of a syntax error at the farthest
// token reached: the token and the source near it.
func (p *parser) syntaxMessage() string {
	i := p.far
	if i >= len(p.toks) {
		near := ""
		if len(p.toks) > 0 {
			last := p.toks[len(p.toks)-1]
			near = last.text
		}
		return fmt.Sprintf("Syntax error; token: \"<EOF>\", near: %q", near)
	}
	t := p.toks[i]
	end := t.pos + len(t.text)
	if i+1 < len(p.toks) {
		n := p.toks[i+1]
		end = n.pos + len(n.text)
	}
	return fmt.Sprintf("Syntax error; token: %q, near: %q", t.text, p.src[t.pos:end])
}

func (p *parser) peek() token {
	if p.at < len(p.toks) {
		return p.toks[p.at]
	}
	return token{}
}

func (p *parser) keyword(word string) bool {
	t := p.peek()
	return t.kind == 'i' && strings.EqualFold(t.text, word)
}

func (p *parser) isKeyword(t token) bool {
	return t.kind == 'i' && p.kws[strings.ToUpper(t.text)]
}

func (p *parser) punct(s string) bool {
	t := p.peek()
	if t.kind == 'p' && t.text == s {
		p.at++
		return true
	}
	return false
}

func (p *parser) atEnd() bool { return p.at >= len(p.toks) }

var condKeywords = []string{"AND", "OR", "NOT", "BETWEEN", "IN"}

// parseConditionTree parses a condition expression.
func parseConditionTree(src string) (*condNode, *parser, error) {
	p := newParser(src, condKeywords...)
	n, err := p.or()
	if err == nil && !p.atEnd() {
		err = p.fail()
	}
	return n, p, err
}

func (p *parser) or() (*condNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		p.at++
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
	for p.keyword("AND") {
		p.at++
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &condNode{kind: nodeAnd, kids: []*condNode{l, r}}
	}
	return l, nil
}

func (p *parser) not() (*condNode, error) {
	if p.keyword("NOT") {
		p.at++
		k, err := p.paren()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeNot, kids: []*condNode{k}}, nil
	}
	return p.paren()
}

// isTestContinuation reports whether the token after a parenthesised
// expression makes it the left operand of a test: `(size(a)) = :v`.
func (p *parser) isTestContinuation() bool {
	t := p.peek()
	if t.kind == 'p' {
		switch t.text {
		case "=", "<>", "<", "<=", ">", ">=":
			return true
		}
	}
	return p.keyword("BETWEEN") || p.keyword("IN")
}

func (p *parser) paren() (*condNode, error) {
	if t := p.peek(); t.kind == 'p' && t.text == "(" {
		start := p.at
		p.at++
		n, err := p.or()
		if err == nil && p.punct(")") && !p.isTestContinuation() {
			n.parens++
			return n, nil
		}
		if err == nil {
			p.fail()
		}
		p.at = start
	}
	return p.test()
}

func (p *parser) test() (*condNode, error) {
	x, err := p.opnd()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == 'p' {
		switch t.text {
		case "=", "<>", "<", "<=", ">", ">=":
			p.at++
			y, err := p.opnd()
			if err != nil {
				return nil, err
			}
			return &condNode{kind: nodeCmp, op: t.text, args: []*operand{x, y}}, nil
		}
	}
	switch {
	case p.keyword("BETWEEN"):
		p.at++
		lo, err := p.opnd()
		if err != nil {
			return nil, err
		}
		if !p.keyword("AND") {
			return nil, p.fail()
		}
		p.at++
		hi, err := p.opnd()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeBetween, args: []*operand{x, lo, hi}}, nil
	case p.keyword("IN"):
		p.at++
		if !p.punct("(") {
			return nil, p.fail()
		}
		args, err := p.opndList()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeIn, args: append([]*operand{x}, args...)}, nil
	}
	if x.kind == opFunc && x.parens == 0 {
		return &condNode{kind: nodeFunc, op: x.fn, args: x.args}, nil
	}
	return nil, p.fail()
}

// opndList reads operands up to and including ")".
func (p *parser) opndList() ([]*operand, error) {
	var args []*operand
	for {
		a, err := p.opnd()
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
		return nil, p.fail()
	}
}

func (p *parser) opnd() (*operand, error) {
	t := p.peek()
	switch {
	case t.kind == 'p' && t.text == "(":
		p.at++
		o, err := p.opnd()
		if err != nil {
			return nil, err
		}
		if !p.punct(")") {
			return nil, p.fail()
		}
		o.parens++
		if o.kind == opPath {
			// A grouped path may go on: (a.b).c
			if t := p.peek(); t.kind == 'p' && (t.text == "." || t.text == "[") {
				path, err := p.pathRest(o.path)
				if err != nil {
					return nil, err
				}
				return &operand{kind: opPath, path: path, parens: o.parens}, nil
			}
		}
		return o, nil
	case t.kind == ':':
		p.at++
		return &operand{kind: opValue, ph: t.text}, nil
	case t.kind == 'i' && !p.isKeyword(t) && p.at+1 < len(p.toks) && p.toks[p.at+1].kind == 'p' && p.toks[p.at+1].text == "(":
		p.at += 2
		args, err := p.opndList()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opFunc, fn: t.text, args: args}, nil
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	return &operand{kind: opPath, path: path}, nil
}

func (p *parser) name() (pathElem, error) {
	t := p.peek()
	switch {
	case t.kind == '#':
		p.at++
		return pathElem{name: t.text, ph: true}, nil
	case t.kind == 'i' && !p.isKeyword(t):
		p.at++
		return pathElem{name: t.text}, nil
	}
	return pathElem{}, p.fail()
}

func (p *parser) path() (docPath, error) {
	e, err := p.name()
	if err != nil {
		return nil, err
	}
	return p.pathRest(docPath{e})
}

// pathRest reads the elements that follow path: .name or [n].
func (p *parser) pathRest(path docPath) (docPath, error) {
	for {
		switch {
		case p.punct("."):
			e, err := p.name()
			if err != nil {
				return nil, err
			}
			path = append(path, e)
		case p.punct("["):
			t := p.peek()
			if t.kind != 'n' {
				return nil, p.fail()
			}
			i, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, p.fail()
			}
			p.at++
			if !p.punct("]") {
				return nil, p.fail()
			}
			path = append(path, pathElem{index: i, isIdx: true})
		default:
			return path, nil
		}
	}
}

// parseProjectionTree parses a ProjectionExpression: paths separated by
// commas.
func parseProjectionTree(src string) ([]docPath, *parser, error) {
	p := newParser(src)
	var paths []docPath
	for {
		path, err := p.path()
		if err != nil {
			return nil, p, err
		}
		paths = append(paths, path)
		if p.punct(",") {
			continue
		}
		if !p.atEnd() {
			return nil, p, p.fail()
		}
		return paths, p, nil
	}
}

var updateKeywords = []string{"SET", "REMOVE", "ADD", "DELETE"}

// parseUpdateTree parses an UpdateExpression into its actions, in order,
// and the sections in the order they appear.
func parseUpdateTree(src string) ([]updateAction, []int, *parser, error) {
	p := newParser(src, updateKeywords...)
	var acts []updateAction
	var sections []int
	for {
		kind := -1
		for k, w := range actionNames {
			if p.keyword(w) {
				kind = k
			}
		}
		if kind < 0 {
			return nil, nil, p, p.fail()
		}
		p.at++
		sections = append(sections, kind)
		for {
			path, err := p.path()
			if err != nil {
				return nil, nil, p, err
			}
			a := updateAction{kind: kind, path: path}
			switch kind {
			case actSet:
				if !p.punct("=") {
					return nil, nil, p, p.fail()
				}
				if a.value, err = p.setValue(); err != nil {
					return nil, nil, p, err
				}
			case actAdd, actDelete:
				t := p.peek()
				if t.kind != ':' {
					return nil, nil, p, p.fail()
				}
				p.at++
				a.value = &operand{kind: opValue, ph: t.text}
			}
			acts = append(acts, a)
			if !p.punct(",") {
				break
			}
		}
		if p.atEnd() {
			return acts, sections, p, nil
		}
	}
}

func (p *parser) setValue() (*operand, error) {
	if t := p.peek(); t.kind == 'p' && t.text == "(" {
		start := p.at
		p.at++
		v, err := p.setValue()
		if err == nil && p.punct(")") {
			if t := p.peek(); !(t.kind == 'p' && (t.text == "+" || t.text == "-")) {
				return v, nil
			}
		} else if err == nil {
			p.fail()
		}
		p.at = start
	}
	a, err := p.opnd()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == 'p' && (t.text == "+" || t.text == "-") {
		p.at++
		b, err := p.opnd()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opArith, fn: t.text, args: []*operand{a, b}}, nil
	}
	return a, nil
}
