package dynamodb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// PartiQL: DynamoDB's SQL-compatible statements (ExecuteStatement,
// BatchExecuteStatement, ExecuteTransaction), translated into the same
// operations the other requests use:
//
//	SELECT * | path, ... FROM "table"["index"] [WHERE cond]
//	INSERT INTO "table" VALUE {'attr': value, ...}
//	UPDATE "table" SET path = value, ... | REMOVE path, ... WHERE key = value [AND cond]
//	DELETE FROM "table" WHERE key = value [AND cond]
//
// Values are 'strings', numbers, TRUE, FALSE, NULL, {maps}, [lists],
// <<sets>> and ? parameters; conditions use the comparators, AND, OR, NOT,
// BETWEEN, IN, IS [NOT] MISSING and DynamoDB's functions.

type pqlStmt struct {
	kind  string // SELECT, INSERT, UPDATE, DELETE
	table string
	index string
	proj  []docPath // nil: *
	where *condNode
	item  Item
	acts  []updateAction
}

type pqlToken struct {
	kind byte // 'i' identifier or keyword, 'q' "quoted identifier", 's' 'string', 'n' number, 'p' punctuation, '?' parameter
	text string
}

func pqlTokenize(src string) ([]pqlToken, error) {
	var toks []pqlToken
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(src); j++ {
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						b.WriteByte(c)
						j++
						continue
					}
					break
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, pqlSyntax("unterminated quoted text")
			}
			kind := byte('s')
			if c == '"' {
				kind = 'q'
			}
			toks = append(toks, pqlToken{kind, b.String()})
			i = j + 1
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, pqlToken{'i', src[i:j]})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				(src[j] == '-' || src[j] == '+') && (src[j-1] == 'e' || src[j-1] == 'E')) {
				j++
			}
			toks = append(toks, pqlToken{'n', src[i:j]})
			i = j
		case c == '?':
			toks = append(toks, pqlToken{'?', "?"})
			i++
		default:
			for _, p := range []string{"<<", ">>", "<>", "!=", "<=", ">=", "=", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "*", "-", "+"} {
				if strings.HasPrefix(src[i:], p) {
					toks = append(toks, pqlToken{'p', p})
					i += len(p)
					goto next
				}
			}
			return nil, pqlSyntax(fmt.Sprintf("unexpected character %q", c))
		next:
		}
	}
	return toks, nil
}

func pqlSyntax(detail string) error {
	return awsproto.Validation("Statement wasn't well formed, can't be processed: %s", detail)
}

type pqlParser struct {
	toks   []pqlToken
	at     int
	params []*AttributeValue
	used   int
}

func (p *pqlParser) peek() pqlToken {
	if p.at < len(p.toks) {
		return p.toks[p.at]
	}
	return pqlToken{}
}

func (p *pqlParser) kw(word string) bool {
	t := p.peek()
	if t.kind == 'i' && strings.EqualFold(t.text, word) {
		p.at++
		return true
	}
	return false
}

func (p *pqlParser) punct(s string) bool {
	t := p.peek()
	if t.kind == 'p' && t.text == s {
		p.at++
		return true
	}
	return false
}

func (p *pqlParser) unexpected() error {
	t := p.peek()
	if t.kind == 0 {
		return pqlSyntax("unexpected end of statement")
	}
	return pqlSyntax("unexpected token: " + t.text)
}

func (p *pqlParser) expectKw(word string) error {
	if !p.kw(word) {
		return p.unexpected()
	}
	return nil
}

// tableRef reads "table" or "table"."index" (or unquoted names).
func (p *pqlParser) tableRef(s *pqlStmt) error {
	t := p.peek()
	if t.kind != 'q' && t.kind != 'i' {
		return p.unexpected()
	}
	p.at++
	s.table = t.text
	if p.punct(".") {
		t := p.peek()
		if t.kind != 'q' && t.kind != 'i' {
			return p.unexpected()
		}
		p.at++
		s.index = t.text
	}
	return nil
}

func parsePartiQL(src string, params []*AttributeValue) (*pqlStmt, error) {
	toks, err := pqlTokenize(src)
	if err != nil {
		return nil, err
	}
	p := &pqlParser{toks: toks, params: params}
	s := &pqlStmt{}
	switch {
	case p.kw("SELECT"):
		s.kind = "SELECT"
		if !p.punct("*") {
			for {
				path, err := p.path()
				if err != nil {
					return nil, err
				}
				s.proj = append(s.proj, path)
				if !p.punct(",") {
					break
				}
			}
		}
		if err := p.expectKw("FROM"); err != nil {
			return nil, err
		}
		if err := p.tableRef(s); err != nil {
			return nil, err
		}
		if p.kw("WHERE") {
			if s.where, err = p.or(); err != nil {
				return nil, err
			}
		}
	case p.kw("INSERT"):
		s.kind = "INSERT"
		if err := p.expectKw("INTO"); err != nil {
			return nil, err
		}
		if err := p.tableRef(s); err != nil {
			return nil, err
		}
		if err := p.expectKw("VALUE"); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if v.M == nil {
			return nil, pqlSyntax("INSERT requires a tuple value")
		}
		s.item = v.M
	case p.kw("UPDATE"):
		s.kind = "UPDATE"
		if err := p.tableRef(s); err != nil {
			return nil, err
		}
		for {
			switch {
			case p.kw("SET"):
				for {
					path, err := p.path()
					if err != nil {
						return nil, err
					}
					if !p.punct("=") {
						return nil, p.unexpected()
					}
					v, err := p.setValue()
					if err != nil {
						return nil, err
					}
					s.acts = append(s.acts, updateAction{kind: actSet, path: path, value: v})
					if !p.punct(",") {
						break
					}
				}
				continue
			case p.kw("REMOVE"):
				for {
					path, err := p.path()
					if err != nil {
						return nil, err
					}
					s.acts = append(s.acts, updateAction{kind: actRemove, path: path})
					if !p.punct(",") {
						break
					}
				}
				continue
			}
			break
		}
		if len(s.acts) == 0 {
			return nil, p.unexpected()
		}
		if err := p.expectKw("WHERE"); err != nil {
			return nil, err
		}
		if s.where, err = p.or(); err != nil {
			return nil, err
		}
	case p.kw("DELETE"):
		s.kind = "DELETE"
		if err := p.expectKw("FROM"); err != nil {
			return nil, err
		}
		if err := p.tableRef(s); err != nil {
			return nil, err
		}
		if err := p.expectKw("WHERE"); err != nil {
			return nil, err
		}
		if s.where, err = p.or(); err != nil {
			return nil, err
		}
	default:
		return nil, p.unexpected()
	}
	if p.kw("RETURNING") {
		return nil, pqlSyntax("RETURNING is not supported")
	}
	if p.at < len(p.toks) {
		return nil, p.unexpected()
	}
	if p.used != len(params) {
		return nil, awsproto.Validation("Number of parameters in request and statement don't match.")
	}
	return s, nil
}

func (p *pqlParser) name() (string, error) {
	t := p.peek()
	if t.kind == 'i' || t.kind == 'q' {
		p.at++
		return t.text, nil
	}
	return "", p.unexpected()
}

func (p *pqlParser) path() (docPath, error) {
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
			t := p.peek()
			switch t.kind {
			case 'n':
				i, err := strconv.Atoi(t.text)
				if err != nil {
					return nil, p.unexpected()
				}
				path = append(path, pathElem{index: i, isIdx: true})
			case 's':
				path = append(path, pathElem{name: t.text})
			default:
				return nil, p.unexpected()
			}
			p.at++
			if !p.punct("]") {
				return nil, p.unexpected()
			}
		default:
			return path, nil
		}
	}
}

// value reads a literal or a parameter.
func (p *pqlParser) value() (*AttributeValue, error) {
	t := p.peek()
	switch {
	case t.kind == 's':
		p.at++
		s := t.text
		return &AttributeValue{S: &s}, nil
	case t.kind == 'n' || t.kind == 'p' && t.text == "-" && p.at+1 < len(p.toks) && p.toks[p.at+1].kind == 'n':
		neg := ""
		if t.kind == 'p' {
			neg = "-"
			p.at++
			t = p.peek()
		}
		p.at++
		n, err := parseNumber(neg + t.text)
		if err != nil {
			return nil, err
		}
		s := n.String()
		return &AttributeValue{N: &s}, nil
	case t.kind == '?':
		p.at++
		if p.used >= len(p.params) {
			return nil, awsproto.Validation("Number of parameters in request and statement don't match.")
		}
		v := p.params[p.used]
		p.used++
		return v, nil
	case t.kind == 'i' && (strings.EqualFold(t.text, "TRUE") || strings.EqualFold(t.text, "FALSE")):
		p.at++
		b := strings.EqualFold(t.text, "TRUE")
		return &AttributeValue{BOOL: &b}, nil
	case t.kind == 'i' && strings.EqualFold(t.text, "NULL"):
		p.at++
		b := true
		return &AttributeValue{NULL: &b}, nil
	case p.punct("{"):
		m := Item{}
		if p.punct("}") {
			return &AttributeValue{M: m}, nil
		}
		for {
			k := p.peek()
			if k.kind != 's' && k.kind != 'q' {
				return nil, p.unexpected()
			}
			p.at++
			if !p.punct(":") {
				return nil, p.unexpected()
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			m[k.text] = v
			if p.punct("}") {
				return &AttributeValue{M: m}, nil
			}
			if !p.punct(",") {
				return nil, p.unexpected()
			}
		}
	case p.punct("["):
		l := []*AttributeValue{}
		if p.punct("]") {
			return &AttributeValue{L: l}, nil
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			if p.punct("]") {
				return &AttributeValue{L: l}, nil
			}
			if !p.punct(",") {
				return nil, p.unexpected()
			}
		}
	case p.punct("<<"):
		set := &AttributeValue{}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			switch {
			case v.S != nil && set.NS == nil && set.BS == nil:
				set.SS = append(set.SS, *v.S)
			case v.N != nil && set.SS == nil && set.BS == nil:
				set.NS = append(set.NS, *v.N)
			case v.B != nil && set.SS == nil && set.NS == nil:
				set.BS = append(set.BS, v.B)
			default:
				return nil, awsproto.Validation("Unsupported type passed as argument to set")
			}
			if p.punct(">>") {
				if err := validateValue(set); err != nil {
					return nil, err
				}
				return set, nil
			}
			if !p.punct(",") {
				return nil, p.unexpected()
			}
		}
	}
	return nil, p.unexpected()
}

// setValue reads an UPDATE's SET value: a value, a path, a function call,
// or a sum or difference of two of them.
func (p *pqlParser) setValue() (*operand, error) {
	a, err := p.setOperand()
	if err != nil {
		return nil, err
	}
	if p.punct("+") {
		b, err := p.setOperand()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opArith, fn: "+", args: []*operand{a, b}}, nil
	}
	if p.punct("-") {
		b, err := p.setOperand()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opArith, fn: "-", args: []*operand{a, b}}, nil
	}
	return a, nil
}

func (p *pqlParser) setOperand() (*operand, error) {
	t := p.peek()
	if t.kind == 'i' && p.at+1 < len(p.toks) && p.toks[p.at+1].text == "(" && !isLiteralWord(t.text) {
		p.at += 2
		var args []*operand
		for {
			a, err := p.setOperand()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.punct(")") {
				break
			}
			if !p.punct(",") {
				return nil, p.unexpected()
			}
		}
		return &operand{kind: opFunc, fn: strings.ToLower(t.text), args: args}, nil
	}
	if t.kind == 'i' && !isLiteralWord(t.text) || t.kind == 'q' {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opPath, path: path}, nil
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	return &operand{kind: opValue, value: v}, nil
}

func isLiteralWord(s string) bool {
	switch strings.ToUpper(s) {
	case "TRUE", "FALSE", "NULL", "MISSING":
		return true
	}
	return false
}

func (p *pqlParser) or() (*condNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.kw("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &condNode{kind: nodeOr, kids: []*condNode{l, r}}
	}
	return l, nil
}

func (p *pqlParser) and() (*condNode, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.kw("AND") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &condNode{kind: nodeAnd, kids: []*condNode{l, r}}
	}
	return l, nil
}

func (p *pqlParser) not() (*condNode, error) {
	if p.kw("NOT") {
		k, err := p.not()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeNot, kids: []*condNode{k}}, nil
	}
	if p.punct("(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.punct(")") {
			return nil, p.unexpected()
		}
		return n, nil
	}
	return p.test()
}

func (p *pqlParser) test() (*condNode, error) {
	x, err := p.setOperand()
	if err != nil {
		return nil, err
	}
	if p.kw("IS") {
		neg := p.kw("NOT")
		if !p.kw("MISSING") {
			return nil, p.unexpected()
		}
		fn := "attribute_not_exists"
		if neg {
			fn = "attribute_exists"
		}
		return &condNode{kind: nodeFunc, op: fn, args: []*operand{x}}, nil
	}
	t := p.peek()
	if t.kind == 'p' {
		switch t.text {
		case "=", "<>", "!=", "<", "<=", ">", ">=":
			p.at++
			y, err := p.setOperand()
			if err != nil {
				return nil, err
			}
			op := t.text
			if op == "!=" {
				op = "<>"
			}
			return &condNode{kind: nodeCmp, op: op, args: []*operand{x, y}}, nil
		}
	}
	switch {
	case p.kw("BETWEEN"):
		lo, err := p.setOperand()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("AND"); err != nil {
			return nil, err
		}
		hi, err := p.setOperand()
		if err != nil {
			return nil, err
		}
		return &condNode{kind: nodeBetween, args: []*operand{x, lo, hi}}, nil
	case p.kw("IN"):
		closer := "]"
		if !p.punct("[") {
			if !p.punct("(") {
				return nil, p.unexpected()
			}
			closer = ")"
		}
		args := []*operand{x}
		for {
			v, err := p.setOperand()
			if err != nil {
				return nil, err
			}
			args = append(args, v)
			if p.punct(closer) {
				break
			}
			if !p.punct(",") {
				return nil, p.unexpected()
			}
		}
		return &condNode{kind: nodeIn, args: args}, nil
	}
	if x.kind == opFunc {
		if _, ok := condFuncArity[x.fn]; ok && x.fn != "size" {
			if len(x.args) != condFuncArity[x.fn] {
				return nil, awsproto.Validation("Incorrect number of arguments for function %s", x.fn)
			}
			return &condNode{kind: nodeFunc, op: x.fn, args: x.args}, nil
		}
	}
	return nil, p.unexpected()
}

type statementInput struct {
	Statement              *string           `json:"Statement"`
	Parameters             []*AttributeValue `json:"Parameters,omitempty"`
	ConsistentRead         *bool             `json:"ConsistentRead,omitempty"`
	NextToken              *string           `json:"NextToken,omitempty"`
	Limit                  *int64            `json:"Limit,omitempty"`
	ReturnConsumedCapacity *string           `json:"ReturnConsumedCapacity,omitempty"`
}

type statementOutput struct {
	Items            []rawJSON         `json:"Items"`
	NextToken        *string           `json:"NextToken,omitempty"`
	LastEvaluatedKey rawJSON           `json:"LastEvaluatedKey,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// statementWrite turns a parsed INSERT, UPDATE or DELETE into a write of
// one item: the WHERE clause must name the whole primary key with
// equalities; the rest of it is a condition.
func (s *Service) statementWrite(st *pqlStmt, t *table) (*itemWrite, error) {
	w := &itemWrite{t: t}
	switch st.kind {
	case "INSERT":
		if err := validateItemValues(st.item); err != nil {
			return nil, err
		}
		k, err := t.itemKey(st.item, false)
		if err != nil {
			return nil, err
		}
		w.kind, w.key, w.item = writePut, k, st.item
		w.cond = &condNode{kind: nodeFunc, op: "attribute_not_exists", args: []*operand{{kind: opPath, path: docPath{{name: t.hashName}}}}}
		return w, nil
	case "UPDATE", "DELETE":
		key, rest := splitKey(st.where, t.keyAttrs)
		if key == nil {
			return nil, awsproto.Validation("Where clause does not contain a mandatory equality on all key attributes")
		}
		k, err := t.key(key)
		if err != nil {
			return nil, err
		}
		w.key = k
		exists := &condNode{kind: nodeFunc, op: "attribute_exists", args: []*operand{{kind: opPath, path: docPath{{name: t.hashName}}}}}
		if rest != nil {
			exists = &condNode{kind: nodeAnd, kids: []*condNode{exists, rest}}
		}
		w.cond = exists
		if st.kind == "DELETE" {
			w.kind = writeDelete
			return w, nil
		}
		if err := t.checkUpdateTargets(st.acts, false); err != nil {
			return nil, err
		}
		w.kind, w.acts, w.keyAttrs, w.needOld = writeUpdate, st.acts, key, true
		return w, nil
	}
	return nil, awsproto.Validation("Unsupported statement")
}

// splitKey finds equalities on the key attributes among the top-level
// conjuncts of a WHERE clause; it returns them as a key and the other
// conjuncts as a condition.
func splitKey(n *condNode, keys keyAttrs) (Item, *condNode) {
	var conj []*condNode
	var walk func(n *condNode)
	walk = func(n *condNode) {
		if n.kind == nodeAnd {
			walk(n.kids[0])
			walk(n.kids[1])
			return
		}
		conj = append(conj, n)
	}
	if n != nil {
		walk(n)
	}
	key := Item{}
	var rest []*condNode
	for _, c := range conj {
		if c.kind == nodeCmp && c.op == "=" {
			a, b := c.args[0], c.args[1]
			if a.kind != opPath {
				a, b = b, a
			}
			if a.kind == opPath && b.kind == opValue && len(a.path) == 1 {
				name := a.path[0].name
				if (name == keys.hashName || name == keys.rangeName && keys.rangeName != "") && key[name] == nil {
					key[name] = b.value
					continue
				}
			}
		}
		rest = append(rest, c)
	}
	if key[keys.hashName] == nil || keys.rangeName != "" && key[keys.rangeName] == nil {
		return nil, n
	}
	return key, combine(rest, nil)
}

// pqlTable resolves a statement's table and index.
func (s *Service) pqlTable(st *pqlStmt) (*table, *index, error) {
	t, err := s.activeTable(st.table)
	if err != nil {
		return nil, nil, err
	}
	if st.index == "" {
		return t, nil, nil
	}
	ix := t.index(st.index)
	if ix == nil {
		return nil, nil, awsproto.Validation("The table does not have the specified index: %s", st.index)
	}
	return t, ix, nil
}

// pqlToken is the NextToken of a SELECT: the last key read.
type pqlNext struct {
	Key Item `json:"k"`
}

// selectItems runs a SELECT: a Query when the WHERE clause fixes the
// partition key, a Scan otherwise, filtering with the whole clause.
func (s *Service) selectItems(ctx context.Context, st *pqlStmt, in *statementInput) (*statementOutput, error) {
	t, ix, err := s.pqlTable(st)
	if err != nil {
		return nil, err
	}
	p := &readPlan{t: t, ix: ix, keys: t.keyAttrs, limit: -1, filter: st.where}
	if ix != nil {
		p.keys = ix.keyAttrs
	}
	if in.Limit != nil {
		p.limit = int(*in.Limit)
	}
	if st.proj != nil {
		p.opts.paths = st.proj
	}
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		var next pqlNext
		if err != nil || json.Unmarshal(b, &next) != nil {
			return nil, awsproto.Validation("Given NextToken is not valid")
		}
		if p.start, err = p.startPosition(next.Key); err != nil {
			return nil, err
		}
	}
	var hash *AttributeValue
	if st.where != nil {
		keyItem, _ := splitKey(st.where, keyAttrs{hashName: p.keys.hashName, hashTag: p.keys.hashTag})
		if keyItem != nil {
			hash = keyItem[p.keys.hashName]
		}
	}
	out := &statementOutput{Items: []rawJSON{}}
	rin := &readInput{ConsistentRead: in.ConsistentRead, ReturnConsumedCapacity: in.ReturnConsumedCapacity}
	err = s.backend.View(ctx, []string{t.name}, func(tx ReadTx) error {
		pg := &page{p: p, tx: tx}
		if hash != nil {
			if keyTag(typeName(hash)) != p.keys.hashTag {
				return nil
			}
			tx.Query(t.name, indexName(ix), QueryRange{PK: scalarBytes(hash), Forward: true, Start: p.start}, pg.add)
		} else {
			tx.Scan(t.name, indexName(ix), ScanRange{Start: p.start}, pg.add)
		}
		ro := pg.output(rin)
		if ro.Items != nil {
			for _, it := range *ro.Items {
				out.Items = append(out.Items, flattenProjection(it, st.proj))
			}
		}
		if ro.LastEvaluatedKey != nil {
			var key Item
			if json.Unmarshal(ro.LastEvaluatedKey, &key) == nil {
				b, _ := json.Marshal(pqlNext{Key: key})
				tok := base64.RawURLEncoding.EncodeToString(b)
				out.NextToken = &tok
			}
		}
		out.ConsumedCapacity = ro.ConsumedCapacity
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	return out, nil
}

// flattenProjection renames projected nested paths to their last element,
// as PartiQL's SELECT a.b returns {"b": ...}.
func flattenProjection(item rawJSON, proj []docPath) rawJSON {
	nested := false
	for _, p := range proj {
		if len(p) > 1 {
			nested = true
		}
	}
	if !nested {
		return item
	}
	var it Item
	if json.Unmarshal(item, &it) != nil {
		return item
	}
	out := Item{}
	for _, p := range proj {
		v := resolve(it, p)
		if v == nil {
			continue
		}
		name := p[len(p)-1].name
		if p[len(p)-1].isIdx {
			name = p.String()
		}
		out[name] = v
	}
	return appendItemJSON(nil, out)
}

func checkStatement(in *statementInput, path string) error {
	var c constraints
	if c.notNull(in.Statement == nil, path+"statement") {
		if len(*in.Statement) < 1 {
			c.add(quoted(*in.Statement), path+"statement", "Member must have length greater than or equal to 1")
		}
		if len(*in.Statement) > 8192 {
			c.add(quoted(*in.Statement), path+"statement", "Member must have length less than or equal to 8192")
		}
	}
	if in.Parameters != nil && len(in.Parameters) < 1 {
		c.add(quoted("[]"), path+"parameters", "Member must have length greater than or equal to 1")
	}
	c.intMin(in.Limit, 1, path+"limit")
	c.enum(in.ReturnConsumedCapacity, path+"returnConsumedCapacity", capacityModes...)
	if err := c.err(); err != nil {
		return err
	}
	for _, v := range in.Parameters {
		if err := validateValue(v); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) executeStatement(ctx context.Context, in *statementInput) (*statementOutput, error) {
	if err := checkStatement(in, ""); err != nil {
		return nil, err
	}
	st, err := parsePartiQL(*in.Statement, in.Parameters)
	if err != nil {
		return nil, err
	}
	if st.kind == "SELECT" {
		return s.selectItems(ctx, st, in)
	}
	t, _, err := s.pqlTable(st)
	if err != nil {
		return nil, err
	}
	w, err := s.statementWrite(st, t)
	if err != nil {
		return nil, err
	}
	err = s.backend.Update(ctx, []string{t.name}, func(tx WriteTx) error {
		p, err := s.prepare(tx, w)
		if err != nil {
			return err
		}
		s.commit(tx, p)
		return nil
	})
	if err != nil {
		var pe *awsproto.Error
		if asProto(err, &pe) && pe.Code == "ConditionalCheckFailedException" && st.kind == "INSERT" {
			return nil, awsproto.Errorf(400, "DuplicateItemException", "Duplicate primary key exists in table")
		}
		return nil, backendErr(err)
	}
	return &statementOutput{Items: []rawJSON{}}, nil
}

type batchStatementInput struct {
	Statements             []*statementInput `json:"Statements"`
	ReturnConsumedCapacity *string           `json:"ReturnConsumedCapacity"`
}

type batchStatementError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type batchStatementResponse struct {
	TableName string               `json:"TableName,omitempty"`
	Item      rawJSON              `json:"Item,omitempty"`
	Error     *batchStatementError `json:"Error,omitempty"`
}

type batchStatementOutput struct {
	Responses []batchStatementResponse `json:"Responses"`
}

// statementErrorCode is the code BatchExecuteStatement reports for an error.
func statementErrorCode(err error) batchStatementError {
	var pe *awsproto.Error
	if !asProto(err, &pe) {
		return batchStatementError{Code: "InternalServerError", Message: err.Error()}
	}
	code := strings.TrimSuffix(pe.Code, "Exception")
	if pe.Code == awsproto.CodeValidation {
		code = "ValidationError"
	}
	return batchStatementError{Code: code, Message: pe.Message}
}

func (s *Service) batchExecuteStatement(ctx context.Context, in *batchStatementInput) (*batchStatementOutput, error) {
	var c constraints
	if c.notNull(in.Statements == nil, "statements") {
		if len(in.Statements) < 1 {
			c.add(quoted("[]"), "statements", "Member must have length greater than or equal to 1")
		}
		if len(in.Statements) > 25 {
			c.add(quoted(fmt.Sprintf("[%d statements]", len(in.Statements))), "statements", "Member must have length less than or equal to 25")
		}
	}
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	if err := c.err(); err != nil {
		return nil, err
	}
	out := &batchStatementOutput{Responses: make([]batchStatementResponse, len(in.Statements))}
	for i, stIn := range in.Statements {
		if stIn == nil {
			return nil, awsproto.Validation("1 validation error detected: Value null at 'statements.%d.member' failed to satisfy constraint: Member must not be null", i+1)
		}
		if err := checkStatement(stIn, fmt.Sprintf("statements.%d.member.", i+1)); err != nil {
			return nil, err
		}
		st, err := parsePartiQL(*stIn.Statement, stIn.Parameters)
		if err != nil {
			e := statementErrorCode(err)
			out.Responses[i].Error = &e
			continue
		}
		t, _, err := s.pqlTable(st)
		if err != nil {
			e := statementErrorCode(err)
			out.Responses[i].Error = &e
			continue
		}
		out.Responses[i].TableName = t.name
		if st.kind == "SELECT" {
			key, _ := splitKey(st.where, t.keyAttrs)
			if key == nil || st.index != "" {
				e := batchStatementError{Code: "ValidationError", Message: "Select statements within BatchExecuteStatement must specify the primary key"}
				out.Responses[i].Error = &e
				continue
			}
			so, err := s.selectItems(ctx, st, stIn)
			if err != nil {
				e := statementErrorCode(err)
				out.Responses[i].Error = &e
				continue
			}
			if len(so.Items) > 0 {
				out.Responses[i].Item = so.Items[0]
			}
			continue
		}
		if _, err := s.executeStatement(ctx, stIn); err != nil {
			e := statementErrorCode(err)
			out.Responses[i].Error = &e
		}
	}
	return out, nil
}

type transactStatementsInput struct {
	TransactStatements     []*statementInput `json:"TransactStatements"`
	ClientRequestToken     *string           `json:"ClientRequestToken"`
	ReturnConsumedCapacity *string           `json:"ReturnConsumedCapacity"`
}

type transactStatementsOutput struct {
	Responses []itemResponse `json:"Responses,omitempty"`
}

func (s *Service) executeTransaction(ctx context.Context, in *transactStatementsInput) (*transactStatementsOutput, error) {
	var c constraints
	if c.notNull(in.TransactStatements == nil, "transactStatements") {
		if len(in.TransactStatements) < 1 {
			c.add(quoted("[]"), "transactStatements", "Member must have length greater than or equal to 1")
		}
		if len(in.TransactStatements) > maxTransactItems {
			c.add(quoted(fmt.Sprintf("[%d statements]", len(in.TransactStatements))), "transactStatements", "Member must have length less than or equal to 100")
		}
	}
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	if err := c.err(); err != nil {
		return nil, err
	}
	stmts := make([]*pqlStmt, len(in.TransactStatements))
	reads, writes := 0, 0
	for i, stIn := range in.TransactStatements {
		if stIn == nil {
			return nil, awsproto.Validation("1 validation error detected: Value null at 'transactStatements.%d.member' failed to satisfy constraint: Member must not be null", i+1)
		}
		if err := checkStatement(stIn, fmt.Sprintf("transactStatements.%d.member.", i+1)); err != nil {
			return nil, err
		}
		st, err := parsePartiQL(*stIn.Statement, stIn.Parameters)
		if err != nil {
			return nil, err
		}
		if st.kind == "SELECT" {
			reads++
		} else {
			writes++
		}
		stmts[i] = st
	}
	if reads > 0 && writes > 0 {
		return nil, awsproto.Validation("Transaction must contain either all reads or all writes")
	}
	var names []string
	var ws []*itemWrite
	seen := map[string]bool{}
	for _, st := range stmts {
		t, _, err := s.pqlTable(st)
		if err != nil {
			return nil, err
		}
		names = append(names, t.name)
		var w *itemWrite
		if st.kind == "SELECT" {
			key, _ := splitKey(st.where, t.keyAttrs)
			if key == nil {
				return nil, awsproto.Validation("Select statements within ExecuteTransaction must specify the primary key")
			}
			k, err := t.key(key)
			if err != nil {
				return nil, err
			}
			w = &itemWrite{t: t, key: k, kind: writeCheck}
		} else if w, err = s.statementWrite(st, t); err != nil {
			return nil, err
		}
		id := t.name + "\x00" + keyString(w.key)
		if seen[id] {
			return nil, awsproto.Validation("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		ws = append(ws, w)
	}
	out := &transactStatementsOutput{}
	if reads > 0 {
		out.Responses = make([]itemResponse, len(ws))
		err := s.backend.View(ctx, names, func(tx ReadTx) error {
			for i, w := range ws {
				if r, ok := tx.Get(w.t.name, w.key); ok {
					out.Responses[i].Item = readOptions{paths: stmts[i].proj}.render(r)
				}
			}
			return nil
		})
		return out, backendErr(err)
	}
	err := s.backend.Update(ctx, names, func(tx WriteTx) error {
		reasons := make([]cancellationReason, len(ws))
		preps := make([]*preparedWrite, len(ws))
		failed := false
		for i, w := range ws {
			reasons[i] = cancellationReason{Code: "None"}
			p, err := s.prepare(tx, w)
			if err != nil {
				failed = true
				var pe *awsproto.Error
				switch {
				case asProto(err, &pe) && pe.Code == "ConditionalCheckFailedException" && stmts[i].kind == "INSERT":
					reasons[i] = cancellationReason{Code: "DuplicateItem", Message: "Duplicate primary key exists in table"}
				case pe != nil && pe.Code == "ConditionalCheckFailedException":
					reasons[i] = cancellationReason{Code: "ConditionalCheckFailed", Message: "The conditional request failed"}
				case pe != nil:
					reasons[i] = cancellationReason{Code: "ValidationError", Message: pe.Message}
				default:
					return err
				}
				continue
			}
			preps[i] = p
		}
		if failed {
			return transactionCanceled(reasons)
		}
		for _, p := range preps {
			s.commit(tx, p)
		}
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	return out, nil
}
