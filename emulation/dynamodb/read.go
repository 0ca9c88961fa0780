package dynamodb

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// Scan and Query.

type readInput struct {
	TableName                 *string                     `json:"TableName"`
	IndexName                 *string                     `json:"IndexName"`
	Limit                     *int64                      `json:"Limit" coral:"Integer"`
	Select                    *string                     `json:"Select"`
	ExclusiveStartKey         Item                        `json:"ExclusiveStartKey"`
	ProjectionExpression      *string                     `json:"ProjectionExpression"`
	AttributesToGet           []string                    `json:"AttributesToGet"`
	FilterExpression          *string                     `json:"FilterExpression"`
	ExpressionAttributeNames  map[string]string           `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues Item                        `json:"ExpressionAttributeValues"`
	ConsistentRead            *bool                       `json:"ConsistentRead"`
	ScanFilter                map[string]*legacyCondition `json:"ScanFilter"`
	QueryFilter               map[string]*legacyCondition `json:"QueryFilter"`
	ConditionalOperator       *string                     `json:"ConditionalOperator"`
	ReturnConsumedCapacity    *string                     `json:"ReturnConsumedCapacity"`

	// Scan
	Segment       *int64 `json:"Segment" coral:"Integer"`
	TotalSegments *int64 `json:"TotalSegments" coral:"Integer"`

	// Query
	KeyConditionExpression *string                     `json:"KeyConditionExpression"`
	KeyConditions          map[string]*legacyCondition `json:"KeyConditions"`
	ScanIndexForward       *bool                       `json:"ScanIndexForward"`
}

type readOutput struct {
	Items            *[]rawJSON        `json:"Items,omitempty"`
	Count            int               `json:"Count"`
	ScannedCount     int               `json:"ScannedCount"`
	LastEvaluatedKey rawJSON           `json:"LastEvaluatedKey,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// AppendJSON renders the output as encoding/json would, in one buffer and
// without its pass over every item's JSON: a page is up to 1 MB of items.
func (o *readOutput) AppendJSON(b []byte) []byte {
	if o.Items != nil {
		n := 64 + len(o.LastEvaluatedKey)
		for _, it := range *o.Items {
			n += len(it) + 1
		}
		b = slices.Grow(b, n)
		b = append(b, `{"Items":[`...)
		for i, it := range *o.Items {
			if i > 0 {
				b = append(b, ',')
			}
			if len(it) == 0 {
				it = rawJSON("null")
			}
			b = append(b, it...)
		}
		b = append(b, `],"Count":`...)
	} else {
		b = append(b, `{"Count":`...)
	}
	b = strconv.AppendInt(b, int64(o.Count), 10)
	b = append(b, `,"ScannedCount":`...)
	b = strconv.AppendInt(b, int64(o.ScannedCount), 10)
	if len(o.LastEvaluatedKey) > 0 {
		b = append(b, `,"LastEvaluatedKey":`...)
		b = append(b, o.LastEvaluatedKey...)
	}
	if o.ConsumedCapacity != nil {
		cc, _ := json.Marshal(o.ConsumedCapacity)
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, cc...)
	}
	return append(b, '}')
}

// readPlan is what Scan and Query share once the request is validated.
type readPlan struct {
	t      *table
	ix     *index // nil for the table
	keys   keyAttrs
	limit  int
	count  bool // Select=COUNT
	filter *condNode
	opts   readOptions
	fetch  bool // project from the table's item (an LSI asked for more than it projects)
	start  *Position
	ectx   *exprContext
}

// readChecks collects the constraint errors Scan and Query share.
func readChecks(c *constraints, in *readInput, isQuery bool) {
	itemTableName(c, in.TableName, "tableName")
	if in.IndexName != nil {
		c.name(in.IndexName, "indexName", false)
	}
	c.enum(in.Select, "select", "SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES")
	if in.Limit != nil && *in.Limit < 1 {
		if isQuery {
			c.errs = append(c.errs, "Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
		} else {
			c.intMin(in.Limit, 1, "limit")
		}
	}
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	c.enum(in.ConditionalOperator, "conditionalOperator", "AND", "OR")
	attributesToGetChecks(c, in.AttributesToGet, "attributesToGet")
	checkConditionEnums(c, in.ScanFilter, "scanFilter")
	checkConditionEnums(c, in.QueryFilter, "queryFilter")
	checkConditionEnums(c, in.KeyConditions, "keyConditions")
}

// startKeyError words an ExclusiveStartKey value error: most are prefixed.
func startKeyError(err *awsproto.Error) error {
	switch m := err.Message; {
	case containsAny(m, "contains duplicates", "number set", "numeric value", "significant digits", "number with magnitude"):
		return err
	}
	return awsproto.Validation("The provided starting key is invalid: %s", err.Message)
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// plan validates what Scan and Query have in common, in DynamoDB's order,
// up to finding the table and index.
func (s *Service) plan(in *readInput, isQuery bool) (*readPlan, error) {
	p := &readPlan{limit: -1}
	if in.Limit != nil {
		p.limit = int(*in.Limit)
	}
	if isQuery {
		if err := validateConditions(in.QueryFilter); err != nil {
			return nil, err
		}
		if err := duplicateAttributes(in.AttributesToGet); err != nil {
			return nil, err
		}
	} else {
		if err := duplicateAttributes(in.AttributesToGet); err != nil {
			return nil, err
		}
		if err := validateConditions(in.ScanFilter); err != nil {
			return nil, err
		}
	}
	for _, k := range sortedKeys(in.ExclusiveStartKey) {
		if err := validateValue(in.ExclusiveStartKey[k]); err != nil {
			return nil, startKeyError(err)
		}
	}
	if !isQuery {
		switch {
		case in.Segment != nil && in.TotalSegments == nil:
			return nil, awsproto.Validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
		case in.TotalSegments != nil && in.Segment == nil:
			return nil, awsproto.Validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
		case in.TotalSegments != nil && *in.Segment >= *in.TotalSegments:
			return nil, awsproto.Validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *in.Segment, *in.TotalSegments)
		}
	}
	ectx, err := newExprContext(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	p.ectx = ectx
	return p, nil
}

// parseReadExpressions parses the filter and projection, after the key
// condition for a Query, as DynamoDB does.
func (p *readPlan) parseReadExpressions(in *readInput) error {
	var err error
	if in.FilterExpression != nil {
		if p.filter, err = p.ectx.condition("FilterExpression", *in.FilterExpression); err != nil {
			return err
		}
	} else if in.ScanFilter != nil {
		p.filter = filterCondition(in.ScanFilter, in.ConditionalOperator)
	} else if in.QueryFilter != nil {
		p.filter = filterCondition(in.QueryFilter, in.ConditionalOperator)
	}
	if p.opts.paths, err = projectionFor(p.ectx, in.ProjectionExpression, in.AttributesToGet); err != nil {
		return err
	}
	return p.ectx.checkUnused()
}

// resolveTable finds the table and the index read and checks
// ConsistentRead on a global index.
func (s *Service) resolveTable(p *readPlan, in *readInput) error {
	t, err := s.activeTable(*in.TableName)
	if err != nil {
		return err
	}
	p.t = t
	p.keys = t.keyAttrs
	if in.IndexName != nil {
		p.ix = t.index(*in.IndexName)
		if p.ix == nil {
			return awsproto.Validation("The table does not have the specified index: %s", *in.IndexName)
		}
		p.keys = p.ix.keyAttrs
		if !p.ix.local && in.ConsistentRead != nil && *in.ConsistentRead {
			return awsproto.Validation("Consistent reads are not supported on global secondary indexes")
		}
	}
	return nil
}

// selectAll reports whether the request asks for ALL_ATTRIBUTES of an
// index that does not project them all.
func (p *readPlan) selectAll(in *readInput) bool {
	return in.Select != nil && *in.Select == "ALL_ATTRIBUTES" && p.ix != nil && str(p.ix.proj.ProjectionType) != "ALL"
}

// checkSelect checks Select against the projection and the index.
func (p *readPlan) checkSelect(in *readInput) error {
	t := p.t
	sel := "ALL_ATTRIBUTES"
	if in.Select != nil {
		sel = *in.Select
	} else if p.opts.paths != nil {
		sel = "SPECIFIC_ATTRIBUTES"
	} else if p.ix != nil {
		sel = "ALL_PROJECTED_ATTRIBUTES"
	}
	switch sel {
	case "ALL_ATTRIBUTES":
		if p.opts.paths != nil {
			return awsproto.Validation("One or more parameter values were invalid: Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES")
		}
		if p.selectAll(in) {
			if !p.ix.local {
				return awsproto.Validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", p.ix.name)
			}
			p.fetch = true
		}
	case "COUNT":
		if p.opts.paths != nil {
			return awsproto.Validation("One or more parameter values were invalid: Cannot specify the AttributesToGet when choosing to get COUNT")
		}
		p.count = true
	case "SPECIFIC_ATTRIBUTES":
		if p.opts.paths == nil {
			return awsproto.Validation("One or more parameter values were invalid: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
		if p.ix != nil && str(p.ix.proj.ProjectionType) != "ALL" {
			for _, path := range p.opts.paths {
				if name := path[0].name; !p.ix.holds(t, name) {
					if !p.ix.local {
						return awsproto.Validation("One or more parameter values were invalid: Global secondary index %s does not project %s", p.ix.name, name)
					}
					p.fetch = true
				}
			}
		}
	case "ALL_PROJECTED_ATTRIBUTES":
		if p.ix == nil {
			return awsproto.Validation("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries")
		}
		if p.opts.paths != nil {
			return awsproto.Validation("One or more parameter values were invalid: Cannot specify the AttributesToGet when choosing to get ALL_PROJECTED_ATTRIBUTES")
		}
	}
	return nil
}

// holds reports whether an index's entries carry the attribute name.
func (ix *index) holds(t *table, name string) bool {
	switch name {
	case t.hashName, t.rangeName, ix.hashName, ix.rangeName:
		return true
	}
	sch := ix.schema()
	return sch.projects(name)
}

var errStartKey = awsproto.Validation("The provided starting key is invalid")

// checkKeyPiece checks one key attribute's value as DynamoDB checks a key.
func checkKeyPiece(k Item, name string, tag byte, isHash bool) ([]byte, error) {
	v := k[name]
	if v == nil || keyTag(typeName(v)) != tag {
		return nil, awsproto.Validation(msgKeyMismatch)
	}
	return keyPiece(name, v, tag, isHash, "One or more parameter values were invalid:")
}

// startShape checks that ExclusiveStartKey has as many attributes as the
// table's and the index's keys, and for a Scan of an index the values of
// the index's key (a Query checks its keys' values with its conditions).
func (p *readPlan) startShape(start Item, isQuery bool) error {
	if start == nil {
		return nil
	}
	want := map[string]bool{}
	for _, n := range p.t.names() {
		want[n] = true
	}
	if p.ix != nil {
		for _, n := range p.ix.names() {
			want[n] = true
		}
	}
	if len(start) != len(want) {
		if !isQuery && p.ix == nil {
			return awsproto.Validation("The provided starting key is invalid: The provided key element does not match the schema")
		}
		return errStartKey
	}
	if isQuery || p.ix == nil {
		return nil
	}
	for i, n := range p.keys.names() {
		if start[n] == nil {
			return errStartKey
		}
		tag := p.keys.hashTag
		if i == 1 {
			tag = p.keys.rangeTag
		}
		if _, err := checkKeyPiece(start, n, tag, i == 0); err != nil {
			return err
		}
	}
	return nil
}

// startPosition reads a checked ExclusiveStartKey: the table's key, and
// the index's.
func (p *readPlan) startPosition(start Item) (*Position, error) {
	if start == nil {
		return nil, nil
	}
	t := p.t
	item, err := t.key(t.keyItem(start))
	if err != nil {
		return nil, awsproto.Validation("The provided starting key is invalid: %s", err.(*awsproto.Error).Message)
	}
	pos := &Position{Item: item}
	if p.ix != nil {
		for i, n := range p.ix.names() {
			tag := p.ix.hashTag
			if i == 1 {
				tag = p.ix.rangeTag
			}
			b, err := checkKeyPiece(start, n, tag, i == 0)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				pos.Index.PK = b
			} else {
				pos.Index.SK = b
			}
		}
	}
	return pos, nil
}

// page accumulates one page of results.
type page struct {
	p        *readPlan
	tx       ReadTx
	items    []rawJSON // rendered into buf's chunks
	buf      []byte
	count    int // matching items
	scanned  int
	size     int
	units    int // bytes read, for capacity
	last     Record
	haveLast bool
}

// add evaluates one record; it reports false when the page is full.
func (pg *page) add(r Record) bool {
	pg.scanned++
	size := r.Size()
	pg.size += size
	pg.units += size
	pg.last, pg.haveLast = r, true
	rec := r
	if pg.p.fetch {
		k := Key{}
		it := r.Item()
		k.PK = scalarBytes(it[pg.p.t.hashName])
		if pg.p.t.rangeName != "" {
			k.SK = scalarBytes(it[pg.p.t.rangeName])
		}
		if full, ok := pg.tx.Get(pg.p.t.name, k); ok {
			rec = full
		}
	}
	match := true
	if pg.p.filter != nil {
		match = pg.p.filter.eval(rec.Item())
	}
	if match {
		pg.count++
		if !pg.p.count {
			pg.items = append(pg.items, pg.render(rec))
		}
	}
	return !pg.full()
}

// pageChunk is the size of the buffers a page renders its items into: one
// allocation for many items.
const pageChunk = 64 << 10

// render renders an item into the page's current buffer, or a new one when
// it is nearly full.
func (pg *page) render(r Record) rawJSON {
	if cap(pg.buf)-len(pg.buf) < 1024 {
		pg.buf = make([]byte, 0, pageChunk)
	}
	start := len(pg.buf)
	pg.buf = pg.p.opts.appendRender(pg.buf, r)
	return pg.buf[start:len(pg.buf):len(pg.buf)]
}

// full reports whether Limit items were evaluated or 1 MB of data read.
func (pg *page) full() bool {
	return pg.scanned == pg.p.limit || pg.size >= maxPageBytes
}

func (pg *page) output(in *readInput) *readOutput {
	out := &readOutput{Count: pg.count, ScannedCount: pg.scanned}
	if !pg.p.count {
		items := pg.items
		if items == nil {
			items = []rawJSON{}
		}
		out.Items = &items
	}
	if pg.full() && pg.haveLast {
		t, ix := pg.p.t, pg.p.ix
		out.LastEvaluatedKey = pg.last.appendAttrsJSON(nil, func(n string) bool {
			if n == t.hashName || n == t.rangeName && t.rangeName != "" {
				return true
			}
			return ix != nil && (n == ix.hashName || n == ix.rangeName && ix.rangeName != "")
		})
	}
	consistent := in.ConsistentRead != nil && *in.ConsistentRead
	units := readUnits(pg.units, consistent)
	if pg.p.ix != nil {
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, pg.p.t, 0, pg.p.ix, units)
	} else {
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, pg.p.t, units, nil, 0)
	}
	return out
}

func indexName(ix *index) string {
	if ix == nil {
		return ""
	}
	return ix.name
}

func (s *Service) scan(ctx context.Context, in *readInput) (*readOutput, error) {
	var c constraints
	readChecks(&c, in, false)
	if in.Segment != nil {
		c.intMin(in.Segment, 0, "segment")
		c.intMax(in.Segment, 999999, "segment")
	}
	if in.TotalSegments != nil {
		c.intMin(in.TotalSegments, 1, "totalSegments")
		c.intMax(in.TotalSegments, 1000000, "totalSegments")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	exprs := present("ProjectionExpression", in.ProjectionExpression != nil, "FilterExpression", in.FilterExpression != nil)
	if err := mixedParams(exprs, present("AttributesToGet", in.AttributesToGet != nil, "ScanFilter", in.ScanFilter != nil, "ConditionalOperator", in.ConditionalOperator != nil),
		in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil, []string{"FilterExpression"}, countTrue(in.FilterExpression != nil)); err != nil {
		return nil, err
	}
	p, err := s.plan(in, false)
	if err != nil {
		return nil, err
	}
	if err := p.parseReadExpressions(in); err != nil {
		return nil, err
	}
	if err := s.resolveTable(p, in); err != nil {
		return nil, err
	}
	if err := p.startShape(in.ExclusiveStartKey, false); err != nil {
		return nil, err
	}
	if err := p.checkSelect(in); err != nil {
		return nil, err
	}
	seg, total := 0, 1
	if in.TotalSegments != nil {
		seg, total = int(*in.Segment), int(*in.TotalSegments)
	}
	if p.start, err = p.startPosition(in.ExclusiveStartKey); err != nil {
		return nil, err
	}
	if p.start != nil && total > 1 {
		h := p.start.Item.PK
		if p.ix != nil {
			h = p.start.Index.PK
		}
		if segmentOf(hashKey(h), total) != seg {
			return nil, awsproto.Validation("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: %d Segment: %d", total, seg)
		}
	}
	if err := p.t.checkKeyPaths(p.ectx.projNested); err != nil {
		return nil, err
	}
	if err := p.t.checkKeyPaths(p.ectx.nested); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var out *readOutput
	err = s.backend.View(ctx, []string{p.t.name}, func(tx ReadTx) error {
		pg := &page{p: p, tx: tx}
		tx.Scan(p.t.name, indexName(p.ix), ScanRange{Segment: seg, TotalSegments: total, Start: p.start}, pg.add)
		out = pg.output(in)
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	return out, nil
}

func duplicateAttributes(attrs []string) error {
	seen := map[string]bool{}
	for _, a := range attrs {
		if seen[a] {
			return awsproto.Validation("One or more parameter values were invalid: Duplicate value in attribute name: %s", a)
		}
		seen[a] = true
	}
	return nil
}

// keyCond is a Query's key condition: the partition key's value and an
// optional condition on the sort key.
type keyCond struct {
	hashName string
	hash     *AttributeValue
	rangeOp  string // "", "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"
	args     []*AttributeValue
}

var flipCmp = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// keyConditions turns a parsed KeyConditionExpression into conditions by
// attribute name.
func keyConditions(n *condNode) (map[string]*keyCond, error) {
	conds := map[string]*keyCond{}
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
		case nodeFunc:
			switch n.op {
			case "begins_with":
			case "size":
				return awsproto.Validation("KeyConditionExpressions cannot contain nested operations")
			default:
				return awsproto.Validation("Invalid operator used in KeyConditionExpression: %s", n.op)
			}
		case nodeCmp:
			if n.op == "<>" {
				return awsproto.Validation("Invalid operator used in KeyConditionExpression: <>")
			}
		}
		if n.kind == nodeBetween && n.args[0].kind != opPath {
			return awsproto.Validation("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand")
		}
		if n.kind == nodeFunc && n.args[0].kind != opPath {
			return awsproto.Validation("Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand")
		}
		name, at := "", 0
		for i, a := range n.args {
			switch a.kind {
			case opFunc:
				return awsproto.Validation("KeyConditionExpressions cannot contain nested operations")
			case opPath:
				if name != "" {
					return awsproto.Validation("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
				}
				if len(a.path) > 1 {
					return awsproto.Validation("KeyConditionExpressions cannot have conditions on nested attributes")
				}
				name, at = a.path[0].name, i
			}
		}
		if name == "" {
			return awsproto.Validation("Invalid condition in KeyConditionExpression: No key attribute specified")
		}
		if _, dup := conds[name]; dup {
			return awsproto.Validation("KeyConditionExpressions must only contain one condition per key")
		}
		kc := &keyCond{}
		switch n.kind {
		case nodeCmp:
			op := n.op
			if at != 0 {
				op = flipCmp[op]
			}
			kc.rangeOp, kc.args = op, []*AttributeValue{n.args[1-at].value}
		case nodeBetween:
			kc.rangeOp, kc.args = "BETWEEN", []*AttributeValue{n.args[1].value, n.args[2].value}
		case nodeFunc:
			kc.rangeOp, kc.args = "begins_with", []*AttributeValue{n.args[1].value}
		}
		conds[name] = kc
		return nil
	}
	if err := walk(n); err != nil {
		return nil, err
	}
	return conds, nil
}

var legacyKeyOps = map[string]string{"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "BETWEEN": "BETWEEN", "BEGINS_WITH": "begins_with"}

// legacyKeyConditions converts the legacy KeyConditions parameter.
func legacyKeyConditions(kcs map[string]*legacyCondition) map[string]*keyCond {
	conds := map[string]*keyCond{}
	for name, kc := range kcs {
		if kc == nil || kc.ComparisonOperator == nil {
			continue
		}
		op, ok := legacyKeyOps[*kc.ComparisonOperator]
		if !ok {
			op = "!" + *kc.ComparisonOperator
		}
		conds[name] = &keyCond{rangeOp: op, args: kc.AttributeValueList}
	}
	return conds
}

// assembleKeyCond checks conditions by attribute name against the key
// schema being queried, attribute by attribute as DynamoDB does.
func assembleKeyCond(keys keyAttrs, conds map[string]*keyCond, start Item) (*keyCond, error) {
	kc := &keyCond{hashName: keys.hashName}
	for i, name := range keys.names() {
		isHash := i == 0
		tag := keys.hashTag
		if !isHash {
			tag = keys.rangeTag
		}
		if start != nil {
			if start[name] == nil {
				return nil, errStartKey
			}
			if _, err := checkKeyPiece(start, name, tag, isHash); err != nil {
				return nil, err
			}
		}
		if isHash && keys.rangeTag == 0 && len(conds) > 1 {
			return nil, awsproto.Validation("Query key condition not supported")
		}
		c, ok := conds[name]
		if !ok {
			if isHash || len(conds) > 1 {
				return nil, awsproto.Validation("Query condition missed key schema element: %s", name)
			}
			continue
		}
		if c.rangeOp != "" && c.rangeOp[0] == '!' {
			return nil, awsproto.Validation("Attempted conditional constraint is not an indexable operation")
		}
		for _, a := range c.args {
			if keyTag(typeName(a)) != tag {
				return nil, awsproto.Validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
		if isHash {
			if c.rangeOp != "=" {
				return nil, awsproto.Validation("Query key condition not supported")
			}
			kc.hash = c.args[0]
			continue
		}
		if c.rangeOp == "begins_with" && tag == tagN {
			return nil, awsproto.Validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
		}
		if c.rangeOp == "BETWEEN" {
			if cmp, _ := compareValues(c.args[0], c.args[1]); cmp > 0 {
				return nil, awsproto.Validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", valueString(c.args[0]), valueString(c.args[1]))
			}
		}
		kc.rangeOp, kc.args = c.rangeOp, c.args
	}
	return kc, nil
}

// sortCond is the backend's form of the sort key condition.
func (kc *keyCond) sortCond() SortCond {
	sc := SortCond{Op: kc.rangeOp}
	for i, a := range kc.args {
		if i < 2 {
			sc.Args[i] = scalarBytes(a)
		}
	}
	return sc
}

// matchesSort reports whether a sort key value satisfies the condition.
func (kc *keyCond) matchesSort(v *AttributeValue) bool {
	if kc.rangeOp == "" {
		return true
	}
	if v == nil {
		return false
	}
	c := func(i int) int { r, _ := compareValues(v, kc.args[i]); return r }
	switch kc.rangeOp {
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
		return beginsWith(v, kc.args[0])
	}
	return false
}

func (s *Service) query(ctx context.Context, in *readInput) (*readOutput, error) {
	var c constraints
	readChecks(&c, in, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	exprs := present("ProjectionExpression", in.ProjectionExpression != nil, "FilterExpression", in.FilterExpression != nil, "KeyConditionExpression", in.KeyConditionExpression != nil)
	legacy := present("AttributesToGet", in.AttributesToGet != nil, "QueryFilter", in.QueryFilter != nil, "ConditionalOperator", in.ConditionalOperator != nil,
		"KeyConditions", in.KeyConditions != nil && in.KeyConditionExpression != nil)
	if err := mixedParams(exprs, legacy, in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil,
		[]string{"FilterExpression", "KeyConditionExpression"}, countTrue(in.FilterExpression != nil, in.KeyConditionExpression != nil)); err != nil {
		return nil, err
	}
	p, err := s.plan(in, true)
	if err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == nil && in.KeyConditions == nil {
		return nil, awsproto.Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	var keyTree *condNode
	if in.KeyConditionExpression != nil {
		if keyTree, err = p.ectx.condition("KeyConditionExpression", *in.KeyConditionExpression); err != nil {
			return nil, err
		}
	}
	// The filter's and projection's nested paths count, the key
	// condition's do not: parse those after it.
	if err := p.parseReadExpressions(in); err != nil {
		return nil, err
	}
	var conds map[string]*keyCond
	if keyTree != nil {
		if conds, err = keyConditions(keyTree); err != nil {
			return nil, err
		}
	} else {
		if err := validateConditions(in.KeyConditions); err != nil {
			return nil, err
		}
		conds = legacyKeyConditions(in.KeyConditions)
	}
	if len(conds) != 1 && len(conds) != 2 {
		return nil, awsproto.Validation("Conditions can be of length 1 or 2 only")
	}
	if err := s.resolveTable(p, in); err != nil {
		return nil, err
	}
	if err := p.startShape(in.ExclusiveStartKey, true); err != nil {
		return nil, err
	}
	kc, err := assembleKeyCond(p.keys, conds, in.ExclusiveStartKey)
	if err != nil {
		return nil, err
	}
	if p.start, err = p.startPosition(in.ExclusiveStartKey); err != nil {
		return nil, err
	}
	pk := scalarBytes(kc.hash)
	if p.start != nil {
		spk, ssk := p.start.Item.PK, in.ExclusiveStartKey[p.t.rangeName]
		if p.ix != nil {
			spk, ssk = p.start.Index.PK, in.ExclusiveStartKey[p.ix.rangeName]
		}
		switch {
		case kc.rangeOp == "" && string(spk) != string(pk):
			return nil, awsproto.Validation("The provided starting key is outside query boundaries based on provided conditions")
		case kc.rangeOp != "" && !kc.matchesSort(ssk):
			return nil, awsproto.Validation("The provided starting key does not match the range key predicate")
		case string(spk) != string(pk):
			return nil, awsproto.Validation("The query can return at most one row and cannot be restarted")
		}
	}
	if err := p.t.checkKeyPaths(p.ectx.projNested); err != nil {
		return nil, err
	}
	if p.filter != nil {
		what := "Filter Expression"
		if in.FilterExpression == nil {
			what = "QueryFilter"
		}
		for _, name := range p.keys.names() {
			if filterUses(p.filter, name) {
				return nil, awsproto.Validation("%s can only contain non-primary key attributes: Primary key attribute: %s", what, name)
			}
		}
	}
	if err := p.checkSelect(in); err != nil {
		return nil, err
	}
	if err := p.t.checkKeyPaths(p.ectx.nested); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	q := QueryRange{PK: pk, Sort: kc.sortCond(), Forward: in.ScanIndexForward == nil || *in.ScanIndexForward, Start: p.start}
	var out *readOutput
	err = s.backend.View(ctx, []string{p.t.name}, func(tx ReadTx) error {
		pg := &page{p: p, tx: tx}
		tx.Query(p.t.name, indexName(p.ix), q, pg.add)
		out = pg.output(in)
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	return out, nil
}

// filterUses reports whether a filter refers to the top-level attribute name.
func filterUses(n *condNode, name string) bool {
	for _, k := range n.kids {
		if filterUses(k, name) {
			return true
		}
	}
	for _, a := range n.args {
		if operandUses(a, name) {
			return true
		}
	}
	return false
}

func operandUses(o *operand, name string) bool {
	if o.kind == opPath && len(o.path) > 0 && !o.path[0].isIdx && o.path[0].name == name {
		return true
	}
	for _, a := range o.args {
		if operandUses(a, name) {
			return true
		}
	}
	return false
}
