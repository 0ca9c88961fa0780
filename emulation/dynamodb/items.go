package dynamodb

import (
	"context"
	"encoding/binary"
	"net/http"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// The single-item operations: PutItem, GetItem, UpdateItem, DeleteItem,
// and what they share with batches and transactions: key checks,
// conditions, ReturnValues, consumed capacity.

type putItemInput struct {
	TableName                           *string                  `json:"TableName"`
	Item                                Item                     `json:"Item"`
	ReturnValues                        *string                  `json:"ReturnValues"`
	ReturnConsumedCapacity              *string                  `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         *string                  `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure *string                  `json:"ReturnValuesOnConditionCheckFailure"`
	ConditionExpression                 *string                  `json:"ConditionExpression"`
	ExpressionAttributeNames            map[string]string        `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues           Item                     `json:"ExpressionAttributeValues"`
	Expected                            map[string]*expectedAttr `json:"Expected"`
	ConditionalOperator                 *string                  `json:"ConditionalOperator"`
}

type keyInput struct {
	TableName                           *string                     `json:"TableName"`
	Key                                 Item                        `json:"Key"`
	ReturnValues                        *string                     `json:"ReturnValues"`
	ReturnConsumedCapacity              *string                     `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         *string                     `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure *string                     `json:"ReturnValuesOnConditionCheckFailure"`
	ConditionExpression                 *string                     `json:"ConditionExpression"`
	UpdateExpression                    *string                     `json:"UpdateExpression"`
	ProjectionExpression                *string                     `json:"ProjectionExpression"`
	AttributesToGet                     []string                    `json:"AttributesToGet"`
	ExpressionAttributeNames            map[string]string           `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues           Item                        `json:"ExpressionAttributeValues"`
	ConsistentRead                      *bool                       `json:"ConsistentRead"`
	Expected                            map[string]*expectedAttr    `json:"Expected"`
	ConditionalOperator                 *string                     `json:"ConditionalOperator"`
	AttributeUpdates                    map[string]*attributeUpdate `json:"AttributeUpdates"`
}

type capacity struct {
	CapacityUnits float64 `json:"CapacityUnits"`
}

type consumedCapacity struct {
	TableName              string              `json:"TableName"`
	CapacityUnits          float64             `json:"CapacityUnits"`
	Table                  *capacity           `json:"Table,omitempty"`
	LocalSecondaryIndexes  map[string]capacity `json:"LocalSecondaryIndexes,omitempty"`
	GlobalSecondaryIndexes map[string]capacity `json:"GlobalSecondaryIndexes,omitempty"`
}

type itemCollectionMetrics struct {
	ItemCollectionKey   rawJSON   `json:"ItemCollectionKey"`
	SizeEstimateRangeGB []float64 `json:"SizeEstimateRangeGB"`
}

type attributesOutput struct {
	Attributes            rawJSON                `json:"Attributes,omitempty"`
	ConsumedCapacity      *consumedCapacity      `json:"ConsumedCapacity,omitempty"`
	ItemCollectionMetrics *itemCollectionMetrics `json:"ItemCollectionMetrics,omitempty"`
}

type getItemOutput struct {
	Item             rawJSON           `json:"Item,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// itemTableName checks the TableName of an item operation (a table name
// or ARN of 1 to 255 characters; the pattern is not checked on an empty
// name).
func itemTableName(c *constraints, name *string, path string) {
	if !c.notNull(name == nil, path) {
		return
	}
	if *name != "" && !tableNameRE.MatchString(*name) {
		c.add(quoted(*name), path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
	if len(*name) < 1 {
		c.add(quoted(*name), path, "Member must have length greater than or equal to 1")
	}
	if len(*name) > 255 {
		c.add(quoted(*name), path, "Member must have length less than or equal to 255")
	}
}

var (
	capacityModes = []string{"INDEXES", "TOTAL", "NONE"}
	metricsModes  = []string{"SIZE", "NONE"}
	returnModes   = []string{"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"}
)

// returnChecks adds the constraint errors of the Return* parameters.
func returnChecks(c *constraints, rcc, ricm, rv, rvf *string) {
	c.enum(rcc, "returnConsumedCapacity", capacityModes...)
	c.enum(ricm, "returnItemCollectionMetrics", metricsModes...)
	c.enum(rv, "returnValues", returnModes...)
	c.enum(rvf, "returnValuesOnConditionCheckFailure", "ALL_OLD", "NONE")
}

// mixedParams is DynamoDB's error for expression and legacy parameters in
// one request, and for placeholders without expressions. exprs and legacy
// list the parameters given, by name; valueExprs names the expressions
// that may use ExpressionAttributeValues.
func mixedParams(exprs, legacy []string, names, values bool, valueExprs []string, usedValueExprs int) error {
	if len(exprs) > 0 && len(legacy) > 0 {
		return awsproto.Validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}", join(legacy), join(exprs))
	}
	if names && len(exprs) == 0 {
		return awsproto.Validation("ExpressionAttributeNames can only be specified when using expressions")
	}
	if values && len(valueExprs) > 0 && usedValueExprs == 0 {
		verb := "is"
		if len(valueExprs) > 1 {
			verb = "are"
		}
		return awsproto.Validation("ExpressionAttributeValues can only be specified when using expressions: %s %s null", joinWith(valueExprs, " and "), verb)
	}
	return nil
}

func join(ss []string) string { return joinWith(ss, ", ") }

func joinWith(ss []string, sep string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += sep
		}
		out += s
	}
	return out
}

// countTrue counts the conditions that hold.
func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// present lists the names of the parameters that are set: name, set, name,
// set...
func present(params ...any) []string {
	var out []string
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1].(bool) {
			out = append(out, params[i].(string))
		}
	}
	return out
}

// validateItemValues checks every attribute value and the item's size.
func validateItemValues(it Item) error {
	if it == nil {
		return awsproto.Validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	for _, v := range it {
		if validateValue(v) != nil {
			// Report the first error in name order, as DynamoDB does.
			for _, k := range sortedKeys(it) {
				if err := validateValue(it[k]); err != nil {
					return err
				}
			}
		}
	}
	if itemSize(it) > maxItemSize {
		return awsproto.Validation(msgItemTooLarge)
	}
	return nil
}

// validateKeyValues checks the values of a Key parameter.
func validateKeyValues(k Item) error {
	for _, name := range sortedKeys(k) {
		if err := validateValue(k[name]); err != nil {
			return err
		}
	}
	return nil
}

// itemKey checks the key attributes of an item to be written and returns
// their stored bytes. In a batch, a missing or mistyped key is worded as
// BatchWriteItem words it.
func (t *table) itemKey(it Item, batch bool) (Key, error) {
	check := func(name string, tag byte, isHash bool) ([]byte, error) {
		v, ok := it[name]
		if !ok || v == nil {
			if batch {
				return nil, awsproto.Validation(msgKeyMismatch)
			}
			return nil, awsproto.Validation("One or more parameter values were invalid: Missing the key %s in the item", name)
		}
		if keyTag(typeName(v)) != tag {
			if batch {
				return nil, awsproto.Validation(msgKeyMismatch)
			}
			return nil, awsproto.Validation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, tagName(tag), typeName(v))
		}
		return keyPiece(name, v, tag, isHash, "One or more parameter values are not valid.")
	}
	k, err := t.keyPieces(check)
	if err != nil {
		return k, err
	}
	return k, t.checkIndexKeys(it)
}

// checkIndexKeys checks an item's secondary index key attributes: each
// present must be of the index's type and not empty.
func (t *table) checkIndexKeys(it Item) error {
	for _, ix := range t.indexes() {
		for _, ka := range []struct {
			name string
			tag  byte
		}{{ix.hashName, ix.hashTag}, {ix.rangeName, ix.rangeTag}} {
			if ka.name == "" || ka.name == t.hashName || ka.name == t.rangeName {
				continue
			}
			v, ok := it[ka.name]
			if !ok || v == nil {
				continue
			}
			if keyTag(typeName(v)) != ka.tag {
				return awsproto.Validation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", ka.name, tagName(ka.tag), typeName(v), ix.name)
			}
			if ka.tag != tagN && len(scalarBytes(v)) == 0 {
				kind := "string"
				if ka.tag == tagB {
					kind = "binary"
				}
				return awsproto.Validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s", kind, ix.name, ka.name)
			}
		}
	}
	return nil
}

// keyPieces applies piece to the hash key attribute and, when the table has
// one, to the range key attribute.
func (t *table) keyPieces(piece func(name string, tag byte, isHash bool) ([]byte, error)) (Key, error) {
	var k Key
	var err error
	if k.PK, err = piece(t.hashName, t.hashTag, true); err != nil {
		return Key{}, err
	}
	if t.rangeTag != 0 {
		if k.SK, err = piece(t.rangeName, t.rangeTag, false); err != nil {
			return Key{}, err
		}
	}
	return k, nil
}

func keyPiece(name string, v *AttributeValue, tag byte, isHash bool, prefix string) ([]byte, error) {
	b := scalarBytes(v)
	if len(b) == 0 && tag != tagN {
		kind := "string"
		if tag == tagB {
			kind = "binary"
		}
		return nil, awsproto.Validation("%s The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", prefix, kind, name)
	}
	if tag != tagN {
		if isHash && len(b) > maxHashKeyBytes {
			return nil, awsproto.Validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
		}
		if !isHash && len(b) > maxRangeKeyBytes {
			return nil, awsproto.Validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
		}
	}
	return b, nil
}

// key checks a Key parameter: exactly the schema's attributes, of its types.
func (t *table) key(k Item) (Key, error) {
	n := 1
	if t.rangeTag != 0 {
		n = 2
	}
	if len(k) != n {
		return Key{}, awsproto.Validation(msgKeyMismatch)
	}
	piece := func(name string, tag byte, isHash bool) ([]byte, error) {
		v := k[name]
		if v == nil || keyTag(typeName(v)) != tag {
			return nil, awsproto.Validation(msgKeyMismatch)
		}
		return keyPiece(name, v, tag, isHash, "One or more parameter values were invalid:")
	}
	return t.keyPieces(piece)
}

// keyItem is the item made of a Key parameter's attributes.
func (t *table) keyItem(k Item) Item {
	it := Item{t.hashName: k[t.hashName]}
	if t.rangeName != "" {
		it[t.rangeName] = k[t.rangeName]
	}
	return it
}

// appendKeyJSON renders the primary key attributes of a record.
func (t *table) appendKeyJSON(b []byte, r Record) []byte {
	return r.appendAttrsJSON(b, func(n string) bool { return n == t.hashName || n == t.rangeName && t.rangeName != "" })
}

// readOptions is how items are rendered: all attributes, or a projection.
type readOptions struct {
	paths []docPath
}

func (o readOptions) render(r Record) rawJSON {
	return o.appendRender(nil, r)
}

// appendRender appends what render returns to b.
func (o readOptions) appendRender(b []byte, r Record) []byte {
	if o.paths == nil {
		return r.AppendJSON(b)
	}
	if top := topLevelNames(o.paths); top != nil {
		return r.appendAttrsJSON(b, func(n string) bool { return top[n] })
	}
	return appendItemJSON(b, project(r.Item(), o.paths))
}

// topLevelNames returns the names of paths that are all top-level
// attributes, or nil.
func topLevelNames(paths []docPath) map[string]bool {
	names := make(map[string]bool, len(paths))
	for _, p := range paths {
		if len(p) != 1 || p[0].isIdx {
			return nil
		}
		names[p[0].name] = true
	}
	return names
}

var errConditionFailed = awsproto.Errorf(http.StatusBadRequest, "ConditionalCheckFailedException", "The conditional request failed")

// conditionFailed is the ConditionalCheckFailedException, with the item
// when ReturnValuesOnConditionCheckFailure is ALL_OLD.
func conditionFailed(old Record, had, withItem bool) error {
	if !withItem || !had {
		return errConditionFailed
	}
	e := *errConditionFailed
	e.Fields = map[string]any{"Item": rawJSON(old.AppendJSON(nil))}
	return &e
}

// Kinds of write.
const (
	writePut = iota
	writeUpdate
	writeDelete
	writeCheck // a transaction's ConditionCheck
)

// itemWrite is one validated write to one item.
type itemWrite struct {
	t        *table
	key      Key
	kind     int
	cond     *condNode
	item     Item // writePut
	keyAttrs Item // the Key parameter, for writeUpdate on a new item
	acts     []updateAction
	legacy   bool // acts come from AttributeUpdates
	rvOnFail bool // ReturnValuesOnConditionCheckFailure ALL_OLD
	needOld  bool // the old item is needed decoded
}

// preparedWrite is a write whose condition held and whose new item is
// computed, ready to be stored.
type preparedWrite struct {
	w       *itemWrite
	oldRec  Record
	had     bool
	old     Item // decoded when needed
	next    Item // the item to store; nil for a delete or check
	oldSize int
}

// prepare checks w's condition against the stored item and computes the
// item to store. It writes nothing.
func (s *Service) prepare(tx ReadTx, w *itemWrite) (*preparedWrite, error) {
	p := &preparedWrite{w: w}
	p.oldRec, p.had = tx.Get(w.t.name, w.key)
	if p.had {
		p.oldSize = p.oldRec.Size()
		if w.cond != nil || w.needOld || w.kind == writeUpdate || w.t.stream != nil {
			p.old = p.oldRec.Item()
		}
	}
	if w.cond != nil && !w.cond.eval(p.old) {
		return nil, conditionFailed(p.oldRec, p.had, w.rvOnFail)
	}
	switch w.kind {
	case writePut:
		p.next = w.item
	case writeUpdate:
		if p.had {
			p.next = cloneItem(p.old)
		} else {
			p.next = cloneItem(w.keyAttrs)
		}
		if err := applyUpdate(w.acts, p.next, w.legacy); err != nil {
			return nil, err
		}
		if itemSize(p.next) > maxItemSize {
			return nil, awsproto.Validation("Item size to update has exceeded the maximum allowed size")
		}
		if err := w.t.checkUpdatedIndexKeys(p.next); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkUpdatedIndexKeys checks the index keys of an updated item.
func (t *table) checkUpdatedIndexKeys(it Item) error {
	if err := t.checkIndexKeys(it); err != nil {
		return awsproto.Validation("The update expression attempted to update the secondary index key to unsupported type")
	}
	return nil
}

// commit stores a prepared write and records it in the table's stream.
func (s *Service) commit(tx WriteTx, p *preparedWrite) {
	w := p.w
	switch w.kind {
	case writePut, writeUpdate:
		tx.Put(w.t.name, w.key, p.next)
	case writeDelete:
		if !p.had {
			return
		}
		tx.Delete(w.t.name, w.key)
	default:
		return
	}
	if w.t.stream != nil {
		s.streams.record(w.t, p.old, p.next, w.kind == writeDelete, s.now())
	}
}

// writeUnits is the write capacity of a write: a unit per started KB of
// the larger of the old and the new item.
func writeUnits(oldSize, newSize int) float64 {
	n := max(oldSize, newSize)
	if n == 0 {
		return 1
	}
	return float64((n + 1023) / 1024)
}

// readUnits is the read capacity of reading size bytes: a unit per
// started 4 KB, half for an eventually consistent read.
func readUnits(size int, consistent bool) float64 {
	u := float64((size + 4095) / 4096)
	if u == 0 {
		u = 1
	}
	if !consistent {
		u /= 2
	}
	return u
}

// consumed renders ConsumedCapacity for mode (TOTAL or INDEXES; nil
// otherwise).
func consumed(mode *string, t *table, units float64, index *index, indexUnits float64) *consumedCapacity {
	if mode == nil || (*mode != "TOTAL" && *mode != "INDEXES") {
		return nil
	}
	c := &consumedCapacity{TableName: t.name, CapacityUnits: units + indexUnits}
	if *mode == "INDEXES" {
		c.Table = &capacity{CapacityUnits: units}
		if index != nil {
			m := map[string]capacity{index.name: {CapacityUnits: indexUnits}}
			if index.local {
				c.LocalSecondaryIndexes = m
			} else {
				c.GlobalSecondaryIndexes = m
			}
		}
	}
	return c
}

// collectionMetrics renders ItemCollectionMetrics for a table with local
// secondary indexes when SIZE is asked for.
func collectionMetrics(mode *string, t *table, key Item) *itemCollectionMetrics {
	if mode == nil || *mode != "SIZE" || len(t.lsis) == 0 {
		return nil
	}
	return &itemCollectionMetrics{
		ItemCollectionKey:   appendItemJSON(nil, Item{t.hashName: key[t.hashName]}),
		SizeEstimateRangeGB: []float64{0, 1},
	}
}

// conditionFor parses a write's ConditionExpression, or converts its
// legacy Expected, into a condition; nil when there is none.
func conditionFor(ectx *exprContext, cond *string, expected map[string]*expectedAttr, op *string) (*condNode, error) {
	if cond != nil {
		return ectx.condition("ConditionExpression", *cond)
	}
	if expected != nil {
		return expectedCondition(expected, op)
	}
	return nil, nil
}

func (s *Service) putItem(ctx context.Context, in *putItemInput) (*attributesOutput, error) {
	var c constraints
	itemTableName(&c, in.TableName, "tableName")
	c.notNull(in.Item == nil, "item")
	returnChecks(&c, in.ReturnConsumedCapacity, in.ReturnItemCollectionMetrics, in.ReturnValues, in.ReturnValuesOnConditionCheckFailure)
	c.enum(in.ConditionalOperator, "conditionalOperator", "AND", "OR")
	checkExpectedEnums(&c, in.Expected, "expected")
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := mixedParams(present("ConditionExpression", in.ConditionExpression != nil), present("Expected", in.Expected != nil),
		in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil, []string{"ConditionExpression"}, countTrue(in.ConditionExpression != nil)); err != nil {
		return nil, err
	}
	if err := validateItemValues(in.Item); err != nil {
		return nil, err
	}
	if in.ReturnValues != nil && *in.ReturnValues != "NONE" && *in.ReturnValues != "ALL_OLD" {
		return nil, awsproto.Validation("Return values set to invalid value")
	}
	if err := validateExpected(in.Expected, in.ConditionalOperator); err != nil {
		return nil, err
	}
	ectx, err := newExprContext(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	cond, err := conditionFor(ectx, in.ConditionExpression, in.Expected, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	if err := ectx.checkUnused(); err != nil {
		return nil, err
	}
	t, err := s.activeTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	k, err := t.itemKey(in.Item, false)
	if err != nil {
		return nil, err
	}
	allOld := in.ReturnValues != nil && *in.ReturnValues == "ALL_OLD"
	w := &itemWrite{t: t, key: k, kind: writePut, cond: cond, item: in.Item,
		rvOnFail: in.ReturnValuesOnConditionCheckFailure != nil && *in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
	out := &attributesOutput{}
	err = s.backend.Update(ctx, []string{t.name}, func(tx WriteTx) error {
		p, err := s.prepare(tx, w)
		if err != nil {
			return err
		}
		if allOld && p.had {
			out.Attributes = p.oldRec.AppendJSON(nil)
		}
		s.commit(tx, p)
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t, writeUnits(p.oldSize, itemSize(in.Item)), nil, 0)
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	out.ItemCollectionMetrics = collectionMetrics(in.ReturnItemCollectionMetrics, t, in.Item)
	return out, nil
}

// projectionFor reads a request's ProjectionExpression or legacy
// AttributesToGet.
func projectionFor(ectx *exprContext, expr *string, attrs []string) ([]docPath, error) {
	if expr != nil {
		return ectx.projection(*expr)
	}
	if attrs != nil {
		paths := make([]docPath, 0, len(attrs))
		seen := map[string]bool{}
		for _, a := range attrs {
			if seen[a] {
				return nil, awsproto.Validation("One or more parameter values were invalid: Duplicate value in attribute name: %s", a)
			}
			seen[a] = true
			paths = append(paths, docPath{{name: a}})
		}
		return paths, nil
	}
	return nil, nil
}

// attributesToGetChecks adds the constraint errors of AttributesToGet.
func attributesToGetChecks(c *constraints, attrs []string, path string) {
	if attrs != nil && len(attrs) < 1 {
		c.add(quoted("[]"), path, "Member must have length greater than or equal to 1")
	}
	if len(attrs) > 255 {
		c.add(quoted("["+join(attrs)+"]"), path, "Member must have length less than or equal to 255")
	}
}

func (s *Service) getItem(ctx context.Context, in *keyInput) (*getItemOutput, error) {
	var c constraints
	itemTableName(&c, in.TableName, "tableName")
	c.notNull(in.Key == nil, "key")
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	attributesToGetChecks(&c, in.AttributesToGet, "attributesToGet")
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := mixedParams(present("ProjectionExpression", in.ProjectionExpression != nil), present("AttributesToGet", in.AttributesToGet != nil),
		in.ExpressionAttributeNames != nil, false, nil, 0); err != nil {
		return nil, err
	}
	if err := validateKeyValues(in.Key); err != nil {
		return nil, err
	}
	ectx, err := newExprContext(in.ExpressionAttributeNames, nil)
	if err != nil {
		return nil, err
	}
	var opts readOptions
	if opts.paths, err = projectionFor(ectx, in.ProjectionExpression, in.AttributesToGet); err != nil {
		return nil, err
	}
	if err := ectx.checkUnused(); err != nil {
		return nil, err
	}
	t, err := s.activeTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	k, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	if err := t.checkKeyPaths(ectx.projNested); err != nil {
		return nil, err
	}
	out := &getItemOutput{}
	size := 0
	err = s.backend.View(ctx, []string{t.name}, func(tx ReadTx) error {
		r, ok := tx.Get(t.name, k)
		if ok {
			out.Item = opts.render(r)
			size = r.Size()
		}
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t, readUnits(size, in.ConsistentRead != nil && *in.ConsistentRead), nil, 0)
	return out, nil
}

// checkKeyPaths rejects expressions that reach into a key attribute.
func (t *table) checkKeyPaths(nested map[string]bool) error {
	for _, k := range t.names() {
		if nested[k] {
			return awsproto.Validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: %s", k)
		}
	}
	for _, ix := range t.indexes() {
		for _, k := range ix.names() {
			if nested[k] {
				return awsproto.Validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: %s", k)
			}
		}
	}
	return nil
}

func (s *Service) deleteItem(ctx context.Context, in *keyInput) (*attributesOutput, error) {
	var c constraints
	itemTableName(&c, in.TableName, "tableName")
	c.notNull(in.Key == nil, "key")
	returnChecks(&c, in.ReturnConsumedCapacity, in.ReturnItemCollectionMetrics, in.ReturnValues, in.ReturnValuesOnConditionCheckFailure)
	c.enum(in.ConditionalOperator, "conditionalOperator", "AND", "OR")
	checkExpectedEnums(&c, in.Expected, "expected")
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := mixedParams(present("ConditionExpression", in.ConditionExpression != nil), present("Expected", in.Expected != nil),
		in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil, []string{"ConditionExpression"}, countTrue(in.ConditionExpression != nil)); err != nil {
		return nil, err
	}
	if err := validateKeyValues(in.Key); err != nil {
		return nil, err
	}
	if in.ReturnValues != nil && *in.ReturnValues != "NONE" && *in.ReturnValues != "ALL_OLD" {
		return nil, awsproto.Validation("Return values set to invalid value")
	}
	if err := validateExpected(in.Expected, in.ConditionalOperator); err != nil {
		return nil, err
	}
	ectx, err := newExprContext(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	cond, err := conditionFor(ectx, in.ConditionExpression, in.Expected, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	if err := ectx.checkUnused(); err != nil {
		return nil, err
	}
	t, err := s.activeTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	k, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	allOld := in.ReturnValues != nil && *in.ReturnValues == "ALL_OLD"
	w := &itemWrite{t: t, key: k, kind: writeDelete, cond: cond,
		rvOnFail: in.ReturnValuesOnConditionCheckFailure != nil && *in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
	out := &attributesOutput{}
	err = s.backend.Update(ctx, []string{t.name}, func(tx WriteTx) error {
		p, err := s.prepare(tx, w)
		if err != nil {
			return err
		}
		if allOld && p.had {
			out.Attributes = p.oldRec.AppendJSON(nil)
		}
		s.commit(tx, p)
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t, writeUnits(p.oldSize, 0), nil, 0)
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	out.ItemCollectionMetrics = collectionMetrics(in.ReturnItemCollectionMetrics, t, in.Key)
	return out, nil
}

func (s *Service) updateItem(ctx context.Context, in *keyInput) (*attributesOutput, error) {
	var c constraints
	itemTableName(&c, in.TableName, "tableName")
	c.notNull(in.Key == nil, "key")
	returnChecks(&c, in.ReturnConsumedCapacity, in.ReturnItemCollectionMetrics, in.ReturnValues, in.ReturnValuesOnConditionCheckFailure)
	c.enum(in.ConditionalOperator, "conditionalOperator", "AND", "OR")
	checkExpectedEnums(&c, in.Expected, "expected")
	for _, name := range sortedUpdateKeys(in.AttributeUpdates) {
		if u := in.AttributeUpdates[name]; u != nil {
			c.enum(u.Action, "attributeUpdates."+name+".member.action", "ADD", "PUT", "DELETE")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	exprs := present("UpdateExpression", in.UpdateExpression != nil, "ConditionExpression", in.ConditionExpression != nil)
	if err := mixedParams(exprs, present("AttributeUpdates", in.AttributeUpdates != nil, "Expected", in.Expected != nil),
		in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil, []string{"UpdateExpression", "ConditionExpression"}, len(exprs)); err != nil {
		return nil, err
	}
	if err := validateKeyValues(in.Key); err != nil {
		return nil, err
	}
	legacyActs, err := attributeUpdateActions(in.AttributeUpdates)
	if err != nil {
		return nil, err
	}
	if err := validateExpected(in.Expected, in.ConditionalOperator); err != nil {
		return nil, err
	}
	ectx, err := newExprContext(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	acts := legacyActs
	if in.UpdateExpression != nil {
		if acts, err = ectx.update(*in.UpdateExpression); err != nil {
			return nil, err
		}
	}
	cond, err := conditionFor(ectx, in.ConditionExpression, in.Expected, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	if err := ectx.checkUnused(); err != nil {
		return nil, err
	}
	t, err := s.activeTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	k, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	if err := t.checkUpdateTargets(acts, in.UpdateExpression == nil); err != nil {
		return nil, err
	}
	if in.UpdateExpression != nil {
		if err := t.checkKeyPaths(ectx.nested); err != nil {
			return nil, err
		}
	}
	rv := "NONE"
	if in.ReturnValues != nil {
		rv = *in.ReturnValues
	}
	w := &itemWrite{t: t, key: k, kind: writeUpdate, cond: cond, keyAttrs: t.keyItem(in.Key), acts: acts,
		legacy: in.UpdateExpression == nil, needOld: true,
		rvOnFail: in.ReturnValuesOnConditionCheckFailure != nil && *in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
	out := &attributesOutput{}
	err = s.backend.Update(ctx, []string{t.name}, func(tx WriteTx) error {
		p, err := s.prepare(tx, w)
		if err != nil {
			return err
		}
		switch rv {
		case "ALL_OLD":
			if p.had {
				out.Attributes = appendItemJSON(nil, p.old)
			}
		case "ALL_NEW":
			out.Attributes = appendItemJSON(nil, p.next)
		case "UPDATED_OLD":
			if p.had {
				if it := project(p.old, updatedPaths(acts)); len(it) > 0 {
					out.Attributes = appendItemJSON(nil, it)
				}
			}
		case "UPDATED_NEW":
			if it := project(p.next, updatedPaths(acts)); len(it) > 0 {
				out.Attributes = appendItemJSON(nil, it)
			}
		}
		s.commit(tx, p)
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t, writeUnits(p.oldSize, itemSize(p.next)), nil, 0)
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	out.ItemCollectionMetrics = collectionMetrics(in.ReturnItemCollectionMetrics, t, in.Key)
	return out, nil
}

// checkUpdateTargets rejects updates of key attributes and of index keys
// to another type.
func (t *table) checkUpdateTargets(acts []updateAction, legacy bool) error {
	for _, k := range t.names() {
		for _, a := range acts {
			if !a.path[0].isIdx && a.path[0].name == k {
				return awsproto.Validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", k)
			}
		}
	}
	for _, ix := range t.indexes() {
		for _, name := range ix.names() {
			for _, a := range acts {
				if len(a.path) != 1 || a.path[0].name != name || a.value == nil {
					continue
				}
				got := knownType(a.value)
				if got == "" {
					continue
				}
				tag := ix.hashTag
				if name == ix.rangeName {
					tag = ix.rangeTag
				}
				if keyTag(got) != tag {
					return awsproto.Validation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", name, tagName(tag), got, ix.name)
				}
			}
		}
	}
	return nil
}

// knownType is the type an update's value has whatever the item holds, or
// "" when it depends on the item.
func knownType(o *operand) string {
	switch o.kind {
	case opValue:
		return typeName(o.value)
	case opArith:
		return "N"
	case opFunc:
		switch o.fn {
		case "list_append":
			return "L"
		case "if_not_exists":
			if len(o.args) == 2 {
				return knownType(o.args[1])
			}
		}
	}
	return ""
}

// keyString makes a map key of a primary key.
func keyString(k Key) string {
	b := binary.AppendUvarint(nil, uint64(len(k.PK)))
	b = append(b, k.PK...)
	return string(append(b, k.SK...))
}
