package dynamodb

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// BatchWriteItem and BatchGetItem.

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
	RequestItems                map[string][]WriteRequest `json:"RequestItems"`
	ReturnConsumedCapacity      *string                   `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics *string                   `json:"ReturnItemCollectionMetrics"`
}

type batchWriteItemOutput struct {
	UnprocessedItems      map[string][]WriteRequest           `json:"UnprocessedItems"`
	ConsumedCapacity      []*consumedCapacity                 `json:"ConsumedCapacity,omitempty"`
	ItemCollectionMetrics map[string][]*itemCollectionMetrics `json:"ItemCollectionMetrics,omitempty"`
}

type keysAndAttributes struct {
	Keys                     []Item            `json:"Keys"`
	ProjectionExpression     *string           `json:"ProjectionExpression,omitempty"`
	AttributesToGet          []string          `json:"AttributesToGet,omitempty"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ConsistentRead           *bool             `json:"ConsistentRead,omitempty"`
}

type batchGetItemInput struct {
	RequestItems           map[string]*keysAndAttributes `json:"RequestItems"`
	ReturnConsumedCapacity *string                       `json:"ReturnConsumedCapacity"`
}

type batchGetItemOutput struct {
	Responses        map[string][]rawJSON          `json:"Responses"`
	UnprocessedKeys  map[string]*keysAndAttributes `json:"UnprocessedKeys"`
	ConsumedCapacity []*consumedCapacity           `json:"ConsumedCapacity,omitempty"`
}

// javaString renders a value roughly as the Java SDK's toString does, as
// DynamoDB echoes parameters in some messages.
func javaString(v *AttributeValue) string {
	switch {
	case v == nil:
		return "null"
	case v.S != nil:
		return "AttributeValue(s=" + *v.S + ")"
	case v.N != nil:
		return "AttributeValue(n=" + *v.N + ")"
	case v.B != nil:
		return "AttributeValue(b=" + string(appendBase64(nil, v.B)) + ")"
	case v.BOOL != nil:
		return fmt.Sprintf("AttributeValue(bool=%t)", *v.BOOL)
	case v.NULL != nil:
		return "AttributeValue(nul=true)"
	case v.SS != nil:
		return "AttributeValue(ss=[" + strings.Join(v.SS, ", ") + "])"
	case v.NS != nil:
		return "AttributeValue(ns=[" + strings.Join(v.NS, ", ") + "])"
	case v.L != nil:
		parts := make([]string, len(v.L))
		for i, e := range v.L {
			parts[i] = javaString(e)
		}
		return "AttributeValue(l=[" + strings.Join(parts, ", ") + "])"
	case v.M != nil:
		return "AttributeValue(m=" + javaItem(v.M) + ")"
	}
	return "AttributeValue()"
}

func javaItem(it Item) string {
	parts := make([]string, 0, len(it))
	for _, k := range sortedKeys(it) {
		parts = append(parts, k+"="+javaString(it[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func javaWriteRequests(reqs []WriteRequest) string {
	parts := make([]string, len(reqs))
	for i, r := range reqs {
		put, del := "null", "null"
		if r.PutRequest != nil {
			put = "PutRequest(item=" + javaItem(r.PutRequest.Item) + ")"
		}
		if r.DeleteRequest != nil {
			del = "DeleteRequest(key=" + javaItem(r.DeleteRequest.Key) + ")"
		}
		parts[i] = "WriteRequest(putRequest=" + put + ", deleteRequest=" + del + ")"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// batchWrite is one validated write of a batch.
type batchWrite struct {
	req WriteRequest
	key Key
}

func (s *Service) batchWriteItem(ctx context.Context, body []byte) (any, error) {
	if len(body) > maxRequestSize {
		return nil, awsproto.Validation("Request size exceeded the maximum allowed size of %d bytes", maxRequestSize)
	}
	in, ok := fastBatchWriteInput(body)
	if !ok {
		in = &batchWriteItemInput{}
		if err := decodeBody(body, in); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(in.RequestItems))
	for name := range in.RequestItems {
		names = append(names, name)
	}
	sort.Strings(names)
	var c constraints
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	c.enum(in.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", metricsModes...)
	total := 0
	if c.notNull(in.RequestItems == nil, "requestItems") {
		dump := func() string {
			parts := make([]string, len(names))
			for i, n := range names {
				parts[i] = n + "=" + javaWriteRequests(in.RequestItems[n])
			}
			return quoted("{" + strings.Join(parts, ", ") + "}")
		}
		tableNameKeys(&c, names, dump)
		for _, name := range names {
			if reqs := in.RequestItems[name]; len(reqs) < 1 || len(reqs) > maxBatchWrite {
				c.add(dump(), "requestItems", "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
			}
		}
		for _, name := range names {
			reqs := in.RequestItems[name]
			total += len(reqs)
			for _, r := range reqs {
				if r.DeleteRequest != nil && r.DeleteRequest.Key == nil {
					c.notNull(true, "requestItems."+name+".member.deleteRequest.key")
				}
				if r.PutRequest != nil && r.PutRequest.Item == nil {
					c.notNull(true, "requestItems."+name+".member.putRequest.item")
				}
			}
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, awsproto.Validation("The requestItems parameter is required for BatchWriteItem")
	}
	if total > maxBatchWrite {
		return nil, awsproto.Validation("Too many items requested for the BatchWriteItem call")
	}
	for _, name := range names {
		for _, r := range in.RequestItems[name] {
			switch {
			case r.PutRequest != nil && r.DeleteRequest != nil, r.PutRequest == nil && r.DeleteRequest == nil:
				return nil, awsproto.Validation(msgManyTypes)
			case r.PutRequest != nil:
				if err := validateItemValues(r.PutRequest.Item); err != nil {
					return nil, err
				}
			default:
				if err := validateKeyValues(r.DeleteRequest.Key); err != nil {
					return nil, err
				}
			}
		}
	}
	tables := make([]*table, len(names))
	writes := make([][]batchWrite, len(names))
	for i, name := range names {
		t, err := s.activeTable(name)
		if err != nil {
			return nil, err
		}
		tables[i] = t
		seen := make(map[string]bool, len(in.RequestItems[name]))
		for _, r := range in.RequestItems[name] {
			var k Key
			var err error
			if r.PutRequest != nil {
				k, err = t.itemKey(r.PutRequest.Item, true)
			} else {
				k, err = t.key(r.DeleteRequest.Key)
			}
			if err != nil {
				return nil, err
			}
			ks := keyString(k)
			if seen[ks] {
				return nil, awsproto.Validation(msgDuplicateKeys)
			}
			seen[ks] = true
			writes[i] = append(writes[i], batchWrite{req: r, key: k})
		}
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	out := &batchWriteItemOutput{UnprocessedItems: map[string][]WriteRequest{}}
	wantCapacity := in.ReturnConsumedCapacity != nil && (*in.ReturnConsumedCapacity == "TOTAL" || *in.ReturnConsumedCapacity == "INDEXES")
	for i, t := range tables {
		units := 0.0
		err := s.backend.Update(ctx, []string{t.name}, func(tx WriteTx) error {
			for _, w := range writes[i] {
				if s.faults.Roll(fault.Partial) {
					out.UnprocessedItems[t.name] = append(out.UnprocessedItems[t.name], w.req)
					continue
				}
				if t.stream == nil && !wantCapacity {
					if w.req.PutRequest != nil {
						tx.Put(t.name, w.key, w.req.PutRequest.Item)
					} else {
						tx.Delete(t.name, w.key)
					}
					continue
				}
				iw := &itemWrite{t: t, key: w.key, kind: writeDelete}
				newSize := 0
				if w.req.PutRequest != nil {
					iw.kind, iw.item = writePut, w.req.PutRequest.Item
					newSize = itemSize(iw.item)
				}
				p, err := s.prepare(tx, iw)
				if err != nil {
					return err
				}
				s.commit(tx, p)
				units += writeUnits(p.oldSize, newSize)
			}
			return nil
		})
		if err != nil {
			return nil, backendErr(err)
		}
		if cc := consumed(in.ReturnConsumedCapacity, t, units, nil, 0); cc != nil {
			out.ConsumedCapacity = append(out.ConsumedCapacity, cc)
		}
		if in.ReturnItemCollectionMetrics != nil && *in.ReturnItemCollectionMetrics == "SIZE" && len(t.lsis) > 0 {
			if out.ItemCollectionMetrics == nil {
				out.ItemCollectionMetrics = map[string][]*itemCollectionMetrics{}
			}
			for _, w := range writes[i] {
				key := Item{}
				if w.req.PutRequest != nil {
					key = w.req.PutRequest.Item
				} else {
					key = w.req.DeleteRequest.Key
				}
				out.ItemCollectionMetrics[t.name] = append(out.ItemCollectionMetrics[t.name], collectionMetrics(in.ReturnItemCollectionMetrics, t, key))
			}
		}
	}
	return out, nil
}

const maxBatchGet = 100

func (s *Service) batchGetItem(ctx context.Context, in *batchGetItemInput) (*batchGetItemOutput, error) {
	names := make([]string, 0, len(in.RequestItems))
	for name := range in.RequestItems {
		names = append(names, name)
	}
	sort.Strings(names)
	var c constraints
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	total := 0
	if c.notNull(in.RequestItems == nil, "requestItems") {
		tableNameKeys(&c, names, func() string {
			parts := make([]string, len(names))
			for i, n := range names {
				parts[i] = n + "=KeysAndAttributes(keys=" + fmt.Sprint(len(in.RequestItems[n].keys())) + " keys)"
			}
			return quoted("{" + strings.Join(parts, ", ") + "}")
		})
		for _, name := range names {
			ka := in.RequestItems[name]
			if ka == nil {
				c.notNull(true, "requestItems."+name+".member")
				continue
			}
			if ka.Keys == nil {
				c.notNull(true, "requestItems."+name+".member.keys")
			} else if len(ka.Keys) > maxBatchGet {
				c.errs = append(c.errs, "Value at 'RequestItems."+name+".member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100")
			} else if len(ka.Keys) < 1 {
				c.errs = append(c.errs, "Value at 'RequestItems."+name+".member.Keys' failed to satisfy constraint: Member must have length greater than or equal to 1")
			}
			attributesToGetChecks(&c, ka.AttributesToGet, "requestItems."+name+".member.attributesToGet")
			total += len(ka.Keys)
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, awsproto.Validation("The requestItems parameter is required for BatchGetItem")
	}
	if total > maxBatchGet {
		return nil, awsproto.Validation("Too many items requested for the BatchGetItem call")
	}
	type plan struct {
		t          *table
		opts       readOptions
		keys       []Key
		consistent bool
	}
	plans := make([]plan, 0, len(names))
	for _, name := range names {
		ka := in.RequestItems[name]
		if err := mixedParams(present("ProjectionExpression", ka.ProjectionExpression != nil), present("AttributesToGet", ka.AttributesToGet != nil),
			ka.ExpressionAttributeNames != nil, false, nil, 0); err != nil {
			return nil, err
		}
		for _, k := range ka.Keys {
			if err := validateKeyValues(k); err != nil {
				return nil, err
			}
		}
		ectx, err := newExprContext(ka.ExpressionAttributeNames, nil)
		if err != nil {
			return nil, err
		}
		var opts readOptions
		if opts.paths, err = projectionFor(ectx, ka.ProjectionExpression, ka.AttributesToGet); err != nil {
			return nil, err
		}
		if err := ectx.checkUnused(); err != nil {
			return nil, err
		}
		plans = append(plans, plan{opts: opts, consistent: ka.ConsistentRead != nil && *ka.ConsistentRead})
	}
	for i, name := range names {
		t, err := s.activeTable(name)
		if err != nil {
			return nil, err
		}
		plans[i].t = t
		seen := map[string]bool{}
		for _, k := range in.RequestItems[name].Keys {
			key, err := t.key(k)
			if err != nil {
				return nil, err
			}
			ks := keyString(key)
			if seen[ks] {
				return nil, awsproto.Validation(msgDuplicateKeys)
			}
			seen[ks] = true
			plans[i].keys = append(plans[i].keys, key)
		}
	}
	out := &batchGetItemOutput{Responses: map[string][]rawJSON{}, UnprocessedKeys: map[string]*keysAndAttributes{}}
	for _, p := range plans {
		items := []rawJSON{}
		units := 0.0
		err := s.backend.View(ctx, []string{p.t.name}, func(tx ReadTx) error {
			for _, k := range p.keys {
				r, ok := tx.Get(p.t.name, k)
				size := 0
				if ok {
					items = append(items, p.opts.render(r))
					size = r.Size()
				}
				units += readUnits(size, p.consistent)
			}
			return nil
		})
		if err != nil {
			return nil, backendErr(err)
		}
		out.Responses[p.t.name] = items
		if cc := consumed(in.ReturnConsumedCapacity, p.t, units, nil, 0); cc != nil {
			out.ConsumedCapacity = append(out.ConsumedCapacity, cc)
		}
	}
	return out, nil
}

func (ka *keysAndAttributes) keys() []Item {
	if ka == nil {
		return nil
	}
	return ka.Keys
}

// tableNameKeys adds the constraint error of each table name, a key of a
// batch's RequestItems, that is not a valid name; dump renders the map.
func tableNameKeys(c *constraints, names []string, dump func() string) {
	for _, n := range names {
		if len(n) < 3 || len(n) > 255 || !tableNameRE.MatchString(n) {
			c.add(dump(), "requestItems", "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")
		}
	}
}
