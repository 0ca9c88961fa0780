package dynamodb

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

type readInput struct {
	TableName                 *string           `json:"TableName"`
	IndexName                 *string           `json:"IndexName"`
	Limit                     *int              `json:"Limit"`
	Select                    *string           `json:"Select"`
	ExclusiveStartKey         Item              `json:"ExclusiveStartKey"`
	ProjectionExpression      *string           `json:"ProjectionExpression"`
	AttributesToGet           []string          `json:"AttributesToGet"`
	FilterExpression          *string           `json:"FilterExpression"`
	ExpressionAttributeNames  map[string]string `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues Item              `json:"ExpressionAttributeValues"`
	ConsistentRead            *bool             `json:"ConsistentRead"`
	ScanFilter                json.RawMessage   `json:"ScanFilter"`
	QueryFilter               json.RawMessage   `json:"QueryFilter"`
	ConditionalOperator       *string           `json:"ConditionalOperator"`

	// Scan
	Segment       *int `json:"Segment"`
	TotalSegments *int `json:"TotalSegments"`

	// Query
	KeyConditionExpression *string                  `json:"KeyConditionExpression"`
	KeyConditions          map[string]legacyKeyCond `json:"KeyConditions"`
	ScanIndexForward       *bool                    `json:"ScanIndexForward"`
}

type legacyKeyCond struct {
	ComparisonOperator string            `json:"ComparisonOperator"`
	AttributeValueList []*AttributeValue `json:"AttributeValueList"`
}

type readOutput struct {
	Items            *[]rawJSON `json:"Items,omitempty"`
	Count            int        `json:"Count"`
	ScannedCount     int        `json:"ScannedCount"`
	LastEvaluatedKey rawJSON    `json:"LastEvaluatedKey,omitempty"`
}

// readPlan is what Scan and Query share once the request is validated.
type readPlan struct {
	t      *table
	limit  int
	count  bool // Select=COUNT
	filter *condNode
	opts   readOptions
	start  Item // ExclusiveStartKey
	ectx   *exprContext
}

// plan validates what Scan and Query have in common.
func (s *Service) plan(in *readInput, isQuery bool) (*readPlan, error) {
	if err := validateTableName(in.TableName); err != nil {
		return nil, err
	}
	p := &readPlan{limit: -1}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return nil, awsproto.Validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
		}
		p.limit = *in.Limit
	}
	if len(in.ScanFilter) > 0 && string(in.ScanFilter) != "null" || len(in.QueryFilter) > 0 && string(in.QueryFilter) != "null" || in.ConditionalOperator != nil {
		return nil, awsproto.Validation("The legacy ScanFilter, QueryFilter and ConditionalOperator parameters are not supported by this emulator; use FilterExpression")
	}
	hasExpr := in.ProjectionExpression != nil || in.FilterExpression != nil || in.KeyConditionExpression != nil
	if in.ExpressionAttributeNames != nil && !hasExpr {
		return nil, awsproto.Validation("ExpressionAttributeNames can only be specified when using expressions")
	}
	if in.ExpressionAttributeValues != nil && in.FilterExpression == nil && in.KeyConditionExpression == nil {
		if isQuery {
			return nil, awsproto.Validation("ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null")
		}
		return nil, awsproto.Validation("ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null")
	}
	ectx, err := newExprContext(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	p.ectx = ectx
	if p.opts.paths, err = projection(ectx, in.ProjectionExpression, in.AttributesToGet); err != nil {
		return nil, err
	}
	if in.FilterExpression != nil {
		if p.filter, err = parseCondition(ectx, "FilterExpression", *in.FilterExpression); err != nil {
			return nil, err
		}
	}
	sel := "ALL_ATTRIBUTES"
	if in.Select != nil {
		sel = *in.Select
	} else if p.opts.paths != nil {
		sel = "SPECIFIC_ATTRIBUTES"
	}
	switch sel {
	case "ALL_ATTRIBUTES":
		if p.opts.paths != nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES")
		}
	case "COUNT":
		if p.opts.paths != nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: Cannot specify the AttributesToGet when choosing to get COUNT")
		}
		p.count = true
	case "SPECIFIC_ATTRIBUTES":
		if p.opts.paths == nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
	case "ALL_PROJECTED_ATTRIBUTES":
		return nil, awsproto.Validation("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries")
	default:
		return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", sel)
	}
	for _, k := range sortedKeys(in.ExclusiveStartKey) {
		if err := validateValue(in.ExclusiveStartKey[k]); err != nil {
			return nil, awsproto.Validation("The provided starting key is invalid: %s", err.Message)
		}
	}
	p.start = in.ExclusiveStartKey
	t, err := s.activeTable(in.TableName)
	if err != nil {
		return nil, err
	}
	p.t = t
	if in.IndexName != nil {
		return nil, awsproto.Validation("The table does not have the specified index: %s", *in.IndexName)
	}
	return p, nil
}

// page accumulates one page of results.
type page struct {
	p       *readPlan
	st      *store
	items   []rawJSON
	count   int // matching items
	scanned int
	size    int
	last    []byte // record of the last item evaluated
}

// add evaluates one record; it reports false when the page is full.
func (pg *page) add(rec []byte) bool {
	pg.scanned++
	pg.size += pg.st.recordSize(rec)
	pg.last = rec
	match := true
	if pg.p.filter != nil {
		match = pg.p.filter.eval(pg.st.decodeRecord(rec))
	}
	if match {
		pg.count++
		if !pg.p.count {
			pg.items = append(pg.items, pg.p.opts.render(pg.st, rec))
		}
	}
	return !pg.full()
}

// full reports whether Limit items were evaluated or 1 MB of data read.
func (pg *page) full() bool {
	return pg.scanned == pg.p.limit || pg.size >= maxPageBytes
}

func (pg *page) output() *readOutput {
	out := &readOutput{Count: pg.count, ScannedCount: pg.scanned}
	if !pg.p.count {
		items := pg.items
		if items == nil {
			items = []rawJSON{}
		}
		out.Items = &items
	}
	if pg.full() && pg.last != nil {
		out.LastEvaluatedKey = pg.st.appendRecordJSON(nil, pg.last, true)
	}
	return out
}

func (s *Service) scan(ctx context.Context, in *readInput) (*readOutput, error) {
	if in.KeyConditionExpression != nil || in.KeyConditions != nil || in.ScanIndexForward != nil {
		return nil, awsproto.Validation("KeyConditionExpression, KeyConditions and ScanIndexForward are Query parameters, not Scan's")
	}
	seg, total := 0, 1
	switch {
	case in.Segment != nil && in.TotalSegments == nil:
		return nil, awsproto.Validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case in.TotalSegments != nil && in.Segment == nil:
		return nil, awsproto.Validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
	case in.TotalSegments != nil:
		seg, total = *in.Segment, *in.TotalSegments
		if total < 1 || total > 1000000 {
			return nil, awsproto.Validation("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value %s", total,
				map[bool]string{true: "greater than or equal to 1", false: "less than or equal to 1000000"}[total < 1])
		}
		if seg < 0 {
			return nil, awsproto.Validation("1 validation error detected: Value '%d' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0", seg)
		}
		if seg >= total {
			return nil, awsproto.Validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", seg, total)
		}
	}
	p, err := s.plan(in, false)
	if err != nil {
		return nil, err
	}
	if err := p.ectx.checkUnused(); err != nil {
		return nil, err
	}
	t := p.t
	var startPK, startSK []byte
	if p.start != nil {
		if startPK, startSK, err = t.key(p.start); err != nil {
			return nil, awsproto.Validation("The provided starting key is invalid: %s", err.(*awsproto.Error).Message)
		}
		if total > 1 && segmentOf(hashKey(startPK), total) != seg {
			return nil, awsproto.Validation("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: %d Segment: %d", total, seg)
		}
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	st := t.st
	var c cursor
	switch {
	case p.start != nil:
		c.bucket, c.i = st.upperBound(st.posOf(startPK, startSK))
	case total > 1:
		c.bucket, c.i = st.hashLowerBound(segmentStart(seg, total))
	}
	pg := &page{p: p, st: st}
	for {
		e, ok := st.next(&c)
		if !ok || (total > 1 && segmentOf(e.hash, total) != seg) {
			break
		}
		if !pg.add(st.arena.get(e.ref)) {
			break
		}
	}
	return pg.output(), nil
}

// keyCond is a Query's key condition: the partition key's value and an
// optional condition on the sort key.
type keyCond struct {
	hash *AttributeValue
	op   string // "", "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"
	args []*AttributeValue
}

var flipCmp = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// keyCondition turns a parsed KeyConditionExpression into a keyCond.
func (t *table) keyCondition(n *condNode) (*keyCond, error) {
	var leaves []*condNode
	var walk func(n *condNode) error
	walk = func(n *condNode) error {
		switch n.kind {
		case nodeAnd:
			if err := walk(n.kids[0]); err != nil {
				return err
			}
			return walk(n.kids[1])
		case nodeOr:
			return awsproto.Validation("Invalid operator used in KeyConditionExpression: OR")
		case nodeNot:
			return awsproto.Validation("Invalid operator used in KeyConditionExpression: NOT")
		case nodeIn:
			return awsproto.Validation("Invalid operator used in KeyConditionExpression: IN")
		case nodeCmp:
			if n.op == "<>" {
				return awsproto.Validation("Unsupported operator used in KeyConditionExpression: <>")
			}
		case nodeFunc:
			if n.op != "begins_with" {
				return awsproto.Validation("Invalid operator used in KeyConditionExpression: %s", n.op)
			}
		}
		leaves = append(leaves, n)
		return nil
	}
	if err := walk(n); err != nil {
		return nil, err
	}
	if len(leaves) > 2 {
		return nil, awsproto.Validation("Conditions can be of length 1 or 2 only")
	}
	conds := map[string]*keyCond{}
	for _, l := range leaves {
		var name string
		kc := &keyCond{}
		switch l.kind {
		case nodeCmp:
			a, b, op := l.args[0], l.args[1], l.op
			if a.path == nil && b.path != nil {
				a, b, op = b, a, flipCmp[op]
			}
			if a.path == nil || b.value == nil {
				return nil, awsproto.Validation("Invalid KeyConditionExpression: The expression must compare a key attribute with a value")
			}
			name, kc.op, kc.args = keyAttrName(a.path), op, []*AttributeValue{b.value}
		case nodeBetween:
			if l.args[0].path == nil || l.args[1].value == nil || l.args[2].value == nil {
				return nil, awsproto.Validation("Invalid KeyConditionExpression: The expression must compare a key attribute with a value")
			}
			name, kc.op, kc.args = keyAttrName(l.args[0].path), "BETWEEN", []*AttributeValue{l.args[1].value, l.args[2].value}
		case nodeFunc:
			if l.args[1].value == nil {
				return nil, awsproto.Validation("Invalid KeyConditionExpression: The expression must compare a key attribute with a value")
			}
			name, kc.op, kc.args = keyAttrName(l.args[0].path), "begins_with", []*AttributeValue{l.args[1].value}
		}
		if name == "" {
			return nil, awsproto.Validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed")
		}
		if _, dup := conds[name]; dup {
			return nil, awsproto.Validation("KeyConditionExpressions must only contain one condition per key")
		}
		conds[name] = kc
	}
	return t.assembleKeyCond(conds)
}

func keyAttrName(p docPath) string {
	if len(p) != 1 || p[0].isIdx {
		return ""
	}
	return p[0].name
}

// legacyKeyConditions converts the legacy KeyConditions parameter.
func (t *table) legacyKeyConditions(kcs map[string]legacyKeyCond) (*keyCond, error) {
	ops := map[string]string{"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "BETWEEN": "BETWEEN", "BEGINS_WITH": "begins_with"}
	want := map[string]int{"BETWEEN": 2}
	conds := map[string]*keyCond{}
	for name, kc := range kcs {
		op, ok := ops[kc.ComparisonOperator]
		if !ok {
			return nil, awsproto.Validation("Attempted conditional constraint is not an indexable operation")
		}
		n := want[kc.ComparisonOperator]
		if n == 0 {
			n = 1
		}
		if len(kc.AttributeValueList) != n {
			return nil, awsproto.Validation("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", kc.ComparisonOperator)
		}
		for _, v := range kc.AttributeValueList {
			if err := validateValue(v); err != nil {
				return nil, err
			}
		}
		conds[name] = &keyCond{op: op, args: kc.AttributeValueList}
	}
	if len(conds) != 1 && len(conds) != 2 {
		return nil, awsproto.Validation("Conditions can be of length 1 or 2 only")
	}
	return t.assembleKeyCond(conds)
}

func (t *table) assembleKeyCond(conds map[string]*keyCond) (*keyCond, error) {
	h, ok := conds[t.hashName]
	if !ok {
		return nil, awsproto.Validation("Query condition missed key schema element: %s", t.hashName)
	}
	if h.op != "=" {
		return nil, awsproto.Validation("Query key condition not supported")
	}
	if keyTag(typeName(h.args[0])) != t.hashTag {
		return nil, awsproto.Validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	kc := &keyCond{hash: h.args[0]}
	for name, c := range conds {
		if name == t.hashName {
			continue
		}
		if t.rangeTag == 0 {
			return nil, awsproto.Validation("Query key condition not supported")
		}
		if name != t.rangeName {
			return nil, awsproto.Validation("Query condition missed key schema element: %s", t.rangeName)
		}
		for _, a := range c.args {
			if keyTag(typeName(a)) != t.rangeTag {
				return nil, awsproto.Validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
		if c.op == "begins_with" && t.rangeTag == tagN {
			return nil, awsproto.Validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
		}
		if c.op == "BETWEEN" {
			if cmp, _ := compareValues(c.args[0], c.args[1]); cmp > 0 {
				return nil, awsproto.Validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", valueString(c.args[0]), valueString(c.args[1]))
			}
		}
		kc.op, kc.args = c.op, c.args
	}
	return kc, nil
}

// matchesSort reports whether a sort key satisfies the condition.
func (kc *keyCond) matchesSort(tag byte, sk []byte) bool {
	if kc.op == "" {
		return true
	}
	c := func(i int) int { return compareScalar(tag, sk, scalarBytes(kc.args[i])) }
	switch kc.op {
	case "=":
		return c(0) == 0
	case "<":
		return c(0) < 0
	case "<=":
		return c(0) <= 0
	case ">":
		return c(0) > 0
	case ">=":
		return c(0) >= 0
	case "BETWEEN":
		return c(0) >= 0 && c(1) <= 0
	case "begins_with":
		p := scalarBytes(kc.args[0])
		return len(sk) >= len(p) && string(sk[:len(p)]) == string(p)
	}
	return false
}

func (s *Service) query(ctx context.Context, in *readInput) (*readOutput, error) {
	if in.Segment != nil || in.TotalSegments != nil {
		return nil, awsproto.Validation("Segment and TotalSegments are Scan parameters, not Query's")
	}
	if in.KeyConditionExpression == nil && in.KeyConditions == nil {
		return nil, awsproto.Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if in.KeyConditionExpression != nil && in.KeyConditions != nil {
		return nil, awsproto.Validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}")
	}
	p, err := s.plan(in, true)
	if err != nil {
		return nil, err
	}
	t := p.t
	var kc *keyCond
	if in.KeyConditionExpression != nil {
		n, err := parseCondition(p.ectx, "KeyConditionExpression", *in.KeyConditionExpression)
		if err != nil {
			return nil, err
		}
		if kc, err = t.keyCondition(n); err != nil {
			return nil, err
		}
	} else if kc, err = t.legacyKeyConditions(in.KeyConditions); err != nil {
		return nil, err
	}
	if err := p.ectx.checkUnused(); err != nil {
		return nil, err
	}
	if p.filter != nil {
		for _, name := range []string{t.hashName, t.rangeName} {
			if name != "" && filterUses(p.filter, name) {
				return nil, awsproto.Validation("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", name)
			}
		}
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	pk := scalarBytes(kc.hash)
	var startSK []byte
	if p.start != nil {
		spk, ssk, err := t.key(p.start)
		if err != nil {
			return nil, awsproto.Validation("The provided starting key is invalid: %s", err.(*awsproto.Error).Message)
		}
		if string(spk) != string(pk) {
			return nil, awsproto.Validation("The provided starting key is outside query boundaries based on provided conditions")
		}
		if t.rangeTag == 0 {
			// A hash-only table's partition has one item: nothing follows.
			return (&page{p: p, st: t.st}).output(), nil
		}
		if !kc.matchesSort(t.rangeTag, ssk) {
			return nil, awsproto.Validation("The provided starting key does not match the range key predicate")
		}
		startSK = ssk
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	st := t.st
	bi, lo, hi := st.sortRange(pk, kc)
	b := st.buckets[bi]
	if p.start != nil {
		sp := pos{hash: hashKey(pk), pk: pk, sk: startSK}
		if forward {
			lo = max(lo, sort.Search(len(b), func(i int) bool { return st.cmp(b[i], sp) > 0 }))
		} else {
			hi = min(hi, sort.Search(len(b), func(i int) bool { return st.cmp(b[i], sp) >= 0 }))
		}
	}
	pg := &page{p: p, st: st}
	for n := 0; n < hi-lo; n++ {
		i := lo + n
		if !forward {
			i = hi - 1 - n
		}
		if !pg.add(st.arena.get(b[i].ref)) {
			break
		}
	}
	return pg.output(), nil
}

// sortRange is the range [lo, hi) of bucket bi holding the partition pk's
// items whose sort key meets kc.
func (st *store) sortRange(pk []byte, kc *keyCond) (bi, lo, hi int) {
	h := hashKey(pk)
	at := func(sk []byte, inf int, strict bool) int {
		p := pos{hash: h, pk: pk, sk: sk, skInf: inf}
		var i int
		if strict {
			_, i = st.upperBound(p)
		} else {
			_, i = st.lowerBound(p)
		}
		return i
	}
	bi = st.bucketOf(h)
	if st.rangeTag == 0 {
		return bi, at(nil, 0, false), at(nil, 0, true)
	}
	lo, hi = at(nil, -1, false), at(nil, 1, false)
	arg := func(i int) []byte { return scalarBytes(kc.args[i]) }
	switch kc.op {
	case "=":
		lo, hi = at(arg(0), 0, false), at(arg(0), 0, true)
	case "<":
		hi = at(arg(0), 0, false)
	case "<=":
		hi = at(arg(0), 0, true)
	case ">":
		lo = at(arg(0), 0, true)
	case ">=":
		lo = at(arg(0), 0, false)
	case "BETWEEN":
		lo, hi = at(arg(0), 0, false), at(arg(1), 0, true)
	case "begins_with":
		prefix := arg(0)
		lo = at(prefix, 0, false)
		if next := prefixSuccessor(prefix); next != nil {
			hi = at(next, 0, false)
		}
	}
	if hi < lo {
		hi = lo
	}
	return bi, lo, hi
}

// prefixSuccessor is the smallest byte string greater than every string
// with this prefix, or nil if there is none.
func prefixSuccessor(p []byte) []byte {
	q := append([]byte{}, p...)
	for i := len(q) - 1; i >= 0; i-- {
		if q[i] < 0xff {
			q[i]++
			return q[:i+1]
		}
	}
	return nil
}

// filterUses reports whether a filter refers to the top-level attribute name.
func filterUses(n *condNode, name string) bool {
	for _, k := range n.kids {
		if filterUses(k, name) {
			return true
		}
	}
	for _, a := range n.args {
		if len(a.path) > 0 && a.path[0].name == name || len(a.size) > 0 && a.size[0].name == name {
			return true
		}
	}
	return false
}
