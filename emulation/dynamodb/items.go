package dynamodb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

type putItemInput struct {
	TableName                 *string           `json:"TableName"`
	Item                      Item              `json:"Item"`
	ReturnValues              *string           `json:"ReturnValues"`
	ConditionExpression       *string           `json:"ConditionExpression"`
	ExpressionAttributeNames  map[string]string `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues Item              `json:"ExpressionAttributeValues"`
	Expected                  json.RawMessage   `json:"Expected"`
}

type keyInput struct {
	TableName                 *string           `json:"TableName"`
	Key                       Item              `json:"Key"`
	ReturnValues              *string           `json:"ReturnValues"`
	ConditionExpression       *string           `json:"ConditionExpression"`
	ProjectionExpression      *string           `json:"ProjectionExpression"`
	AttributesToGet           []string          `json:"AttributesToGet"`
	ExpressionAttributeNames  map[string]string `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues Item              `json:"ExpressionAttributeValues"`
	ConsistentRead            *bool             `json:"ConsistentRead"`
	Expected                  json.RawMessage   `json:"Expected"`
}

type attributesOutput struct {
	Attributes rawJSON `json:"Attributes,omitempty"`
}

type getItemOutput struct {
	Item rawJSON `json:"Item,omitempty"`
}

type putRequest struct {
	Item Item `json:"Item"`
}

type deleteRequest struct {
	Key Item `json:"Key"`
}

// WriteRequest is one entry of BatchWriteItem.
type WriteRequest struct {
	PutRequest    *putRequest    `json:"PutRequest,omitempty"`
	DeleteRequest *deleteRequest `json:"DeleteRequest,omitempty"`
}

type batchWriteItemInput struct {
	RequestItems map[string][]WriteRequest `json:"RequestItems"`
}

type batchWriteItemOutput struct {
	UnprocessedItems map[string][]WriteRequest `json:"UnprocessedItems"`
}

type keysAndAttributes struct {
	Keys                     []Item            `json:"Keys"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	AttributesToGet          []string          `json:"AttributesToGet"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
	ConsistentRead           *bool             `json:"ConsistentRead"`
}

type batchGetItemInput struct {
	RequestItems map[string]*keysAndAttributes `json:"RequestItems"`
}

type batchGetItemOutput struct {
	Responses       map[string][]rawJSON          `json:"Responses"`
	UnprocessedKeys map[string]*keysAndAttributes `json:"UnprocessedKeys"`
}

// validateItemValues checks every attribute value and the item's size.
func validateItemValues(it Item) error {
	if it == nil {
		return awsproto.Validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	for _, k := range sortedKeys(it) {
		if err := validateValue(it[k]); err != nil {
			return err
		}
	}
	if itemSize(it) > maxItemSize {
		return awsproto.Validation(msgItemTooLarge)
	}
	return nil
}

// itemKey checks the key attributes of an item to be written and returns
// their stored bytes. In a batch, a missing or mistyped key is worded as
// BatchWriteItem words it.
func (t *table) itemKey(it Item, batch bool) (pk, sk []byte, err error) {
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
	return t.keyPieces(check)
}

// keyPieces applies piece to the hash key attribute and, when the table has
// one, to the range key attribute.
func (t *table) keyPieces(piece func(name string, tag byte, isHash bool) ([]byte, error)) (pk, sk []byte, err error) {
	if pk, err = piece(t.hashName, t.hashTag, true); err != nil {
		return nil, nil, err
	}
	if t.rangeTag != 0 {
		if sk, err = piece(t.rangeName, t.rangeTag, false); err != nil {
			return nil, nil, err
		}
	}
	return pk, sk, nil
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
func (t *table) key(k Item) (pk, sk []byte, err error) {
	for _, name := range sortedKeys(k) {
		if err := validateValue(k[name]); err != nil {
			return nil, nil, err
		}
	}
	n := 1
	if t.rangeTag != 0 {
		n = 2
	}
	if len(k) != n {
		return nil, nil, awsproto.Validation(msgKeyMismatch)
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

// decodeRecord turns a stored record back into an item.
func (st *store) decodeRecord(rec []byte) Item {
	r := reader{b: rec}
	n := r.uvarint()
	it := make(Item, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		id := r.uvarint()
		v := r.decodeValue()
		if id < uint64(len(st.nameIDs)) {
			it[st.nameIDs[id]] = v
		}
	}
	return it
}

// appendRecordJSON renders a record as a wire item. With keyOnly, only the
// key attributes.
func (st *store) appendRecordJSON(b []byte, rec []byte, keyOnly bool) []byte {
	r := reader{b: rec}
	n := r.uvarint()
	if keyOnly {
		n = 1
		if st.rangeTag != 0 {
			n = 2
		}
	}
	b = append(b, '{')
	for i := uint64(0); i < n && r.err == nil; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		id := r.uvarint()
		name := ""
		if id < uint64(len(st.nameIDs)) {
			name = st.nameIDs[id]
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = r.appendValueJSON(b)
	}
	return append(b, '}')
}

// readOptions is how items are rendered: all attributes, or a projection.
type readOptions struct {
	paths []docPath
}

func (o readOptions) render(st *store, rec []byte) rawJSON {
	if o.paths == nil {
		return st.appendRecordJSON(nil, rec, false)
	}
	if top := topLevelNames(o.paths); top != nil {
		return st.appendProjectedJSON(nil, rec, top)
	}
	return appendItemJSON(nil, project(st.decodeRecord(rec), o.paths))
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

// appendProjectedJSON renders the attributes of a record whose names are in
// names, without decoding the others.
func (st *store) appendProjectedJSON(b []byte, rec []byte, names map[string]bool) []byte {
	r := reader{b: rec}
	n := r.uvarint()
	b = append(b, '{')
	first := true
	for i := uint64(0); i < n && r.err == nil; i++ {
		id := r.uvarint()
		name := ""
		if id < uint64(len(st.nameIDs)) {
			name = st.nameIDs[id]
		}
		if !names[name] {
			r.skipValue()
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = r.appendValueJSON(b)
	}
	return append(b, '}')
}

// projection reads ProjectionExpression or the legacy AttributesToGet.
func projection(ctx *exprContext, expr *string, attrs []string) ([]docPath, error) {
	if expr != nil && attrs != nil {
		return nil, awsproto.Validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
	}
	if expr != nil {
		return parseProjection(ctx, *expr)
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

// conditionFor parses a request's ConditionExpression, if any, and checks
// the placeholders.
func conditionFor(names map[string]string, values Item, cond *string, expected json.RawMessage) (*condNode, error) {
	if len(expected) > 0 && string(expected) != "null" {
		return nil, awsproto.Validation("The legacy Expected parameter is not supported by this emulator; use ConditionExpression")
	}
	if cond == nil {
		if names != nil {
			return nil, awsproto.Validation("ExpressionAttributeNames can only be specified when using expressions")
		}
		if values != nil {
			return nil, awsproto.Validation("ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null")
		}
		return nil, nil
	}
	ctx, err := newExprContext(names, values)
	if err != nil {
		return nil, err
	}
	n, err := parseCondition(ctx, "ConditionExpression", *cond)
	if err != nil {
		return nil, err
	}
	return n, ctx.checkUnused()
}

func returnValues(rv *string) (allOld bool, err error) {
	if rv == nil {
		return false, nil
	}
	switch *rv {
	case "NONE":
		return false, nil
	case "ALL_OLD":
		return true, nil
	case "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW":
		return false, awsproto.Validation("Return values set to invalid value")
	}
	return false, awsproto.Validation("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", *rv)
}

var errConditionFailed = awsproto.Errorf(http.StatusBadRequest, "ConditionalCheckFailedException", "The conditional request failed")

// checkCondition evaluates a write's condition against the item now stored
// under (pk, sk), or against no item; nil passes. The caller holds t.mu.
func (t *table) checkCondition(cond *condNode, pk, sk []byte) error {
	if cond == nil {
		return nil
	}
	var old Item
	if rec, ok := t.st.find(pk, sk); ok {
		old = t.st.decodeRecord(rec)
	}
	if !cond.eval(old) {
		return errConditionFailed
	}
	return nil
}

func (s *Service) putItem(ctx context.Context, in *putItemInput) (*attributesOutput, error) {
	if err := validateTableName(in.TableName); err != nil {
		return nil, err
	}
	if err := validateItemValues(in.Item); err != nil {
		return nil, err
	}
	allOld, err := returnValues(in.ReturnValues)
	if err != nil {
		return nil, err
	}
	cond, err := conditionFor(in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.ConditionExpression, in.Expected)
	if err != nil {
		return nil, err
	}
	t, err := s.activeTable(in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.itemKey(in.Item, false)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.checkCondition(cond, pk, sk); err != nil {
		return nil, err
	}
	old, replaced := t.st.put(t.st.encode(in.Item), pk, sk)
	out := &attributesOutput{}
	if allOld && replaced {
		out.Attributes = t.st.appendRecordJSON(nil, old, false)
	}
	return out, nil
}

func (s *Service) getItem(ctx context.Context, in *keyInput) (*getItemOutput, error) {
	if err := validateTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.Key == nil {
		return nil, awsproto.Validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
	}
	var opts readOptions
	if in.ProjectionExpression != nil || in.ExpressionAttributeNames != nil || in.AttributesToGet != nil {
		ctx, err := newExprContext(in.ExpressionAttributeNames, nil)
		if err != nil {
			return nil, err
		}
		if in.ProjectionExpression == nil && in.ExpressionAttributeNames != nil {
			return nil, awsproto.Validation("ExpressionAttributeNames can only be specified when using expressions")
		}
		if opts.paths, err = projection(ctx, in.ProjectionExpression, in.AttributesToGet); err != nil {
			return nil, err
		}
		if err := ctx.checkUnused(); err != nil {
			return nil, err
		}
	}
	t, err := s.activeTable(in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	rec, ok := t.st.find(pk, sk)
	if !ok {
		return &getItemOutput{}, nil
	}
	return &getItemOutput{Item: opts.render(t.st, rec)}, nil
}

func (s *Service) deleteItem(ctx context.Context, in *keyInput) (*attributesOutput, error) {
	if err := validateTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.Key == nil {
		return nil, awsproto.Validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
	}
	allOld, err := returnValues(in.ReturnValues)
	if err != nil {
		return nil, err
	}
	cond, err := conditionFor(in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.ConditionExpression, in.Expected)
	if err != nil {
		return nil, err
	}
	t, err := s.activeTable(in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.checkCondition(cond, pk, sk); err != nil {
		return nil, err
	}
	old, ok := t.st.remove(pk, sk)
	out := &attributesOutput{}
	if allOld && ok {
		out.Attributes = t.st.appendRecordJSON(nil, old, false)
	}
	return out, nil
}

// keyString makes a map key of a (pk, sk) pair.
func keyString(pk, sk []byte) string {
	b := binary.AppendUvarint(nil, uint64(len(pk)))
	b = append(b, pk...)
	return string(append(b, sk...))
}

// batchWrite is one validated write of a batch.
type batchWrite struct {
	req    WriteRequest
	pk, sk []byte
}

func (s *Service) batchWriteItem(ctx context.Context, body []byte) (any, error) {
	if len(body) > maxRequestSize {
		return nil, awsproto.Validation("Request size exceeded the maximum allowed size of %d bytes", maxRequestSize)
	}
	var in batchWriteItemInput
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.RequestItems == nil {
		return nil, awsproto.Validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
	}
	if len(in.RequestItems) == 0 {
		return nil, awsproto.Validation("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	names := make([]string, 0, len(in.RequestItems))
	total := 0
	for name, reqs := range in.RequestItems {
		names = append(names, name)
		if len(reqs) < 1 || len(reqs) > maxBatchWrite {
			return nil, awsproto.Validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
		}
		total += len(reqs)
	}
	sort.Strings(names)
	if total > maxBatchWrite {
		return nil, awsproto.Validation("Too many items requested for the BatchWriteItem call")
	}
	for _, name := range names {
		if err := validateTableName(&name); err != nil {
			return nil, err
		}
		for _, r := range in.RequestItems[name] {
			switch {
			case r.PutRequest != nil && r.DeleteRequest != nil, r.PutRequest == nil && r.DeleteRequest == nil:
				return nil, awsproto.Validation(msgManyTypes)
			case r.PutRequest != nil:
				if err := validateItemValues(r.PutRequest.Item); err != nil {
					return nil, err
				}
			default:
				if r.DeleteRequest.Key == nil {
					return nil, awsproto.Validation("1 validation error detected: Value null at 'requestItems.%s.member.deleteRequest.key' failed to satisfy constraint: Member must not be null", name)
				}
				for _, k := range sortedKeys(r.DeleteRequest.Key) {
					if err := validateValue(r.DeleteRequest.Key[k]); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	tables := make([]*table, len(names))
	writes := make([][]batchWrite, len(names))
	for i, name := range names {
		t, err := s.activeTable(&name)
		if err != nil {
			return nil, err
		}
		tables[i] = t
		seen := make(map[string]bool, len(in.RequestItems[name]))
		for _, r := range in.RequestItems[name] {
			var pk, sk []byte
			var err error
			if r.PutRequest != nil {
				pk, sk, err = t.itemKey(r.PutRequest.Item, true)
			} else {
				pk, sk, err = t.key(r.DeleteRequest.Key)
			}
			if err != nil {
				return nil, err
			}
			ks := keyString(pk, sk)
			if seen[ks] {
				return nil, awsproto.Validation(msgDuplicateKeys)
			}
			seen[ks] = true
			writes[i] = append(writes[i], batchWrite{req: r, pk: pk, sk: sk})
		}
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	out := &batchWriteItemOutput{UnprocessedItems: map[string][]WriteRequest{}}
	for i, t := range tables {
		t.mu.Lock()
		for _, w := range writes[i] {
			if s.faults.Roll(fault.Partial) {
				out.UnprocessedItems[t.name] = append(out.UnprocessedItems[t.name], w.req)
				continue
			}
			if w.req.PutRequest != nil {
				t.st.put(t.st.encode(w.req.PutRequest.Item), w.pk, w.sk)
			} else {
				t.st.remove(w.pk, w.sk)
			}
		}
		t.mu.Unlock()
	}
	return out, nil
}

const maxBatchGet = 100

func (s *Service) batchGetItem(ctx context.Context, in *batchGetItemInput) (*batchGetItemOutput, error) {
	if len(in.RequestItems) == 0 {
		return nil, awsproto.Validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	names := make([]string, 0, len(in.RequestItems))
	total := 0
	for name, ka := range in.RequestItems {
		if ka == nil || len(ka.Keys) == 0 || len(ka.Keys) > maxBatchGet {
			return nil, awsproto.Validation("1 validation error detected: Value at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1", name)
		}
		names = append(names, name)
		total += len(ka.Keys)
	}
	if total > maxBatchGet {
		return nil, awsproto.Validation("Too many items requested for the BatchGetItem call")
	}
	sort.Strings(names)
	out := &batchGetItemOutput{Responses: map[string][]rawJSON{}, UnprocessedKeys: map[string]*keysAndAttributes{}}
	for _, name := range names {
		ka := in.RequestItems[name]
		if err := validateTableName(&name); err != nil {
			return nil, err
		}
		ectx, err := newExprContext(ka.ExpressionAttributeNames, nil)
		if err != nil {
			return nil, err
		}
		var opts readOptions
		if opts.paths, err = projection(ectx, ka.ProjectionExpression, ka.AttributesToGet); err != nil {
			return nil, err
		}
		if err := ectx.checkUnused(); err != nil {
			return nil, err
		}
		t, err := s.activeTable(&name)
		if err != nil {
			return nil, err
		}
		type key struct{ pk, sk []byte }
		keys := make([]key, 0, len(ka.Keys))
		seen := map[string]bool{}
		for _, k := range ka.Keys {
			pk, sk, err := t.key(k)
			if err != nil {
				return nil, err
			}
			ks := keyString(pk, sk)
			if seen[ks] {
				return nil, awsproto.Validation(msgDuplicateKeys)
			}
			seen[ks] = true
			keys = append(keys, key{pk, sk})
		}
		t.mu.RLock()
		items := []rawJSON{}
		for _, k := range keys {
			if rec, ok := t.st.find(k.pk, k.sk); ok {
				items = append(items, opts.render(t.st, rec))
			}
		}
		t.mu.RUnlock()
		out.Responses[name] = items
	}
	return out, nil
}
