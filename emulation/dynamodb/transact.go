package dynamodb

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// TransactWriteItems and TransactGetItems: all the actions of a request,
// on up to 100 items of any tables, under one Backend.Update (or View), so
// that they succeed or fail together and no other request sees half of
// them.

const (
	maxTransactItems = 100
	maxTransactBytes = 4 * 1024 * 1024
	tokenLifetime    = 10 * time.Minute
)

type transactAction struct {
	TableName                           *string           `json:"TableName"`
	Key                                 Item              `json:"Key,omitempty"`
	Item                                Item              `json:"Item,omitempty"`
	ConditionExpression                 *string           `json:"ConditionExpression,omitempty"`
	UpdateExpression                    *string           `json:"UpdateExpression,omitempty"`
	ProjectionExpression                *string           `json:"ProjectionExpression,omitempty"`
	ExpressionAttributeNames            map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ExpressionAttributeValues           Item              `json:"ExpressionAttributeValues,omitempty"`
	ReturnValuesOnConditionCheckFailure *string           `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
}

type transactWriteItem struct {
	ConditionCheck *transactAction `json:"ConditionCheck,omitempty"`
	Put            *transactAction `json:"Put,omitempty"`
	Delete         *transactAction `json:"Delete,omitempty"`
	Update         *transactAction `json:"Update,omitempty"`
}

type transactWriteInput struct {
	TransactItems               []transactWriteItem `json:"TransactItems"`
	ReturnConsumedCapacity      *string             `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics *string             `json:"ReturnItemCollectionMetrics"`
	ClientRequestToken          *string             `json:"ClientRequestToken"`
}

type transactWriteOutput struct {
	ConsumedCapacity      []*consumedCapacity                 `json:"ConsumedCapacity,omitempty"`
	ItemCollectionMetrics map[string][]*itemCollectionMetrics `json:"ItemCollectionMetrics,omitempty"`
}

type transactGetItem struct {
	Get *transactAction `json:"Get"`
}

type transactGetInput struct {
	TransactItems          []transactGetItem `json:"TransactItems"`
	ReturnConsumedCapacity *string           `json:"ReturnConsumedCapacity"`
}

type itemResponse struct {
	Item rawJSON `json:"Item,omitempty"`
}

type transactGetOutput struct {
	Responses        []itemResponse      `json:"Responses"`
	ConsumedCapacity []*consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// cancellationReason is one entry of TransactionCanceledException's
// CancellationReasons, positional: Code "None" for an action that would
// have succeeded.
type cancellationReason struct {
	Code    string  `json:"Code"`
	Message string  `json:"Message,omitempty"`
	Item    rawJSON `json:"Item,omitempty"`
}

func transactionCanceled(reasons []cancellationReason) error {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.Code
	}
	return &awsproto.Error{Status: 400, Code: "TransactionCanceledException",
		Message: "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]",
		Fields:  map[string]any{"CancellationReasons": reasons}}
}

// tokenCache remembers TransactWriteItems' ClientRequestTokens for ten
// minutes: the same token with the same request succeeds again without
// writing; with another request it is IdempotentParameterMismatchException.
type tokenCache struct {
	mu     sync.Mutex
	tokens map[string]tokenEntry
}

type tokenEntry struct {
	digest [32]byte
	at     time.Time
	out    *transactWriteOutput
}

func newTokenCache() *tokenCache { return &tokenCache{tokens: map[string]tokenEntry{}} }

// javaTransactItems renders TransactItems as DynamoDB echoes them.
func javaTransactItems(n int, kind string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "com.amazonaws.dynamodb.v20120810." + kind + "@" + fmt.Sprintf("%08x", i+1)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// prepared action of a transaction.
type txAction struct {
	kind int
	t    *table
	a    *transactAction
	w    *itemWrite
	opts readOptions
	err  error // validation error of the action, reported as a reason
	size int
}

// checkAction validates one action's parameters, as a request-level error.
func (s *Service) checkAction(a *transactAction, kind int) (*exprContext, *condNode, []updateAction, readOptions, error) {
	var opts readOptions
	if err := mixedParams(present("ConditionExpression", a.ConditionExpression != nil, "UpdateExpression", a.UpdateExpression != nil, "ProjectionExpression", a.ProjectionExpression != nil),
		nil, a.ExpressionAttributeNames != nil, a.ExpressionAttributeValues != nil,
		[]string{"ConditionExpression", "UpdateExpression"}, countTrue(a.ConditionExpression != nil, a.UpdateExpression != nil)); err != nil {
		return nil, nil, nil, opts, err
	}
	if kind == writePut {
		if err := validateItemValues(a.Item); err != nil {
			return nil, nil, nil, opts, err
		}
	} else if err := validateKeyValues(a.Key); err != nil {
		return nil, nil, nil, opts, err
	}
	ectx, err := newExprContext(a.ExpressionAttributeNames, a.ExpressionAttributeValues)
	if err != nil {
		return nil, nil, nil, opts, err
	}
	var acts []updateAction
	if a.UpdateExpression != nil {
		if acts, err = ectx.update(*a.UpdateExpression); err != nil {
			return nil, nil, nil, opts, err
		}
	}
	var cond *condNode
	if a.ConditionExpression != nil {
		if cond, err = ectx.condition("ConditionExpression", *a.ConditionExpression); err != nil {
			return nil, nil, nil, opts, err
		}
	}
	if a.ProjectionExpression != nil {
		if opts.paths, err = ectx.projection(*a.ProjectionExpression); err != nil {
			return nil, nil, nil, opts, err
		}
	}
	if err := ectx.checkUnused(); err != nil {
		return nil, nil, nil, opts, err
	}
	return ectx, cond, acts, opts, nil
}

func (s *Service) transactWriteItems(ctx context.Context, in *transactWriteInput) (*transactWriteOutput, error) {
	var c constraints
	if c.notNull(in.TransactItems == nil, "transactItems") {
		if len(in.TransactItems) < 1 {
			c.add(quoted("[]"), "transactItems", "Member must have length greater than or equal to 1")
		}
		if len(in.TransactItems) > maxTransactItems {
			c.add(quoted(javaTransactItems(len(in.TransactItems), "TransactWriteItem")), "transactItems", "Member must have length less than or equal to 100")
		}
	}
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	c.enum(in.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", metricsModes...)
	if tok := in.ClientRequestToken; tok != nil {
		if len(*tok) < 1 {
			c.add(quoted(*tok), "clientRequestToken", "Member must have length greater than or equal to 1")
		}
		if len(*tok) > 36 {
			c.add(quoted(*tok), "clientRequestToken", "Member must have length less than or equal to 36")
		}
	}
	for i, ti := range in.TransactItems {
		p := fmt.Sprintf("transactItems.%d.member", i+1)
		for _, x := range []struct {
			a    *transactAction
			name string
		}{{ti.ConditionCheck, "conditionCheck"}, {ti.Put, "put"}, {ti.Delete, "delete"}, {ti.Update, "update"}} {
			if x.a == nil {
				continue
			}
			itemTableName(&c, x.a.TableName, p+"."+x.name+".tableName")
			switch x.name {
			case "put":
				c.notNull(x.a.Item == nil, p+".put.item")
			default:
				c.notNull(x.a.Key == nil, p+"."+x.name+".key")
			}
			switch x.name {
			case "conditionCheck":
				c.notNull(x.a.ConditionExpression == nil, p+".conditionCheck.conditionExpression")
			case "update":
				c.notNull(x.a.UpdateExpression == nil, p+".update.updateExpression")
			}
			c.enum(x.a.ReturnValuesOnConditionCheckFailure, p+"."+x.name+".returnValuesOnConditionCheckFailure", "ALL_OLD", "NONE")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	var digest [32]byte
	if in.ClientRequestToken != nil {
		b, _ := json.Marshal(in.TransactItems)
		digest = sha256.Sum256(b)
		s.tokens.mu.Lock()
		e, ok := s.tokens.tokens[*in.ClientRequestToken]
		s.tokens.mu.Unlock()
		if ok && s.now().Sub(e.at) < tokenLifetime {
			if e.digest != digest {
				return nil, awsproto.Errorf(400, "IdempotentParameterMismatchException", "One or more parameter values were invalid: The request uses the same client token as a previous, but non-identical request.")
			}
			return e.out, nil
		}
	}
	actions := make([]*txAction, len(in.TransactItems))
	total := 0
	for i, ti := range in.TransactItems {
		n := 0
		act := &txAction{}
		for _, x := range []struct {
			a    *transactAction
			kind int
		}{{ti.ConditionCheck, writeCheck}, {ti.Put, writePut}, {ti.Delete, writeDelete}, {ti.Update, writeUpdate}} {
			if x.a != nil {
				n++
				act.a, act.kind = x.a, x.kind
			}
		}
		if n != 1 {
			return nil, awsproto.Validation("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		_, cond, acts, _, err := s.checkAction(act.a, act.kind)
		if err != nil {
			return nil, err
		}
		if act.kind == writePut {
			act.size = itemSize(act.a.Item)
			total += act.size
		}
		act.w = &itemWrite{kind: act.kind, cond: cond, acts: acts, item: act.a.Item, needOld: act.kind == writeUpdate,
			rvOnFail: act.a.ReturnValuesOnConditionCheckFailure != nil && *act.a.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
		actions[i] = act
	}
	if total > maxTransactBytes {
		return nil, awsproto.Validation("Transaction request cannot be larger than 4 MB")
	}
	names := []string{}
	seen := map[string]bool{}
	for _, act := range actions {
		t, err := s.activeTable(*act.a.TableName)
		if err != nil {
			return nil, err
		}
		act.t, act.w.t = t, t
		names = append(names, t.name)
		var k Key
		if act.kind == writePut {
			k, err = t.itemKey(act.a.Item, false)
		} else {
			k, err = t.key(act.a.Key)
			if err == nil && act.kind == writeUpdate {
				act.w.keyAttrs = t.keyItem(act.a.Key)
				err = t.checkUpdateTargets(act.w.acts, false)
			}
		}
		if err != nil {
			return nil, err
		}
		act.w.key = k
		id := t.name + "\x00" + keyString(k)
		if seen[id] {
			return nil, awsproto.Validation("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	out := &transactWriteOutput{}
	err := s.backend.Update(ctx, names, func(tx WriteTx) error {
		reasons := make([]cancellationReason, len(actions))
		preps := make([]*preparedWrite, len(actions))
		failed := false
		for i, act := range actions {
			reasons[i] = cancellationReason{Code: "None"}
			p, err := s.prepare(tx, act.w)
			if err != nil {
				failed = true
				var pe *awsproto.Error
				if ok := asProto(err, &pe); ok && pe.Code == "ConditionalCheckFailedException" {
					reasons[i] = cancellationReason{Code: "ConditionalCheckFailed", Message: "The conditional request failed"}
					if item, ok := pe.Fields["Item"].(rawJSON); ok {
						reasons[i].Item = item
					}
				} else if ok {
					reasons[i] = cancellationReason{Code: "ValidationError", Message: pe.Message}
				} else {
					return err
				}
				continue
			}
			preps[i] = p
		}
		if failed {
			return transactionCanceled(reasons)
		}
		units := map[string]float64{}
		for _, p := range preps {
			s.commit(tx, p)
			units[p.w.t.name] += 2 * writeUnits(p.oldSize, itemSize(p.next))
		}
		for _, act := range actions {
			if u, ok := units[act.t.name]; ok {
				if cc := consumed(in.ReturnConsumedCapacity, act.t, u, nil, 0); cc != nil {
					out.ConsumedCapacity = append(out.ConsumedCapacity, cc)
				}
				delete(units, act.t.name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	if in.ClientRequestToken != nil {
		s.tokens.mu.Lock()
		now := s.now()
		for k, e := range s.tokens.tokens {
			if now.Sub(e.at) >= tokenLifetime {
				delete(s.tokens.tokens, k)
			}
		}
		s.tokens.tokens[*in.ClientRequestToken] = tokenEntry{digest: digest, at: now, out: out}
		s.tokens.mu.Unlock()
	}
	return out, nil
}

func asProto(err error, pe **awsproto.Error) bool {
	e, ok := err.(*awsproto.Error)
	if ok {
		*pe = e
	}
	return ok
}

func (s *Service) transactGetItems(ctx context.Context, in *transactGetInput) (*transactGetOutput, error) {
	var c constraints
	if c.notNull(in.TransactItems == nil, "transactItems") {
		if len(in.TransactItems) < 1 {
			c.add(quoted("[]"), "transactItems", "Member must have length greater than or equal to 1")
		}
		if len(in.TransactItems) > maxTransactItems {
			c.add(quoted(javaTransactItems(len(in.TransactItems), "TransactGetItem")), "transactItems", "Member must have length less than or equal to 100")
		}
	}
	c.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityModes...)
	for i, ti := range in.TransactItems {
		p := fmt.Sprintf("transactItems.%d.member.get", i+1)
		if c.notNull(ti.Get == nil, p) {
			itemTableName(&c, ti.Get.TableName, p+".tableName")
			c.notNull(ti.Get.Key == nil, p+".key")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	actions := make([]*txAction, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		a := ti.Get
		if err := mixedParams(present("ProjectionExpression", a.ProjectionExpression != nil), nil, a.ExpressionAttributeNames != nil, false, nil, 0); err != nil {
			return nil, err
		}
		if err := validateKeyValues(a.Key); err != nil {
			return nil, err
		}
		ectx, err := newExprContext(a.ExpressionAttributeNames, nil)
		if err != nil {
			return nil, err
		}
		act := &txAction{a: a}
		if a.ProjectionExpression != nil {
			if act.opts.paths, err = ectx.projection(*a.ProjectionExpression); err != nil {
				return nil, err
			}
		}
		if err := ectx.checkUnused(); err != nil {
			return nil, err
		}
		actions[i] = act
	}
	var names []string
	seen := map[string]bool{}
	failed := false
	for _, act := range actions {
		t, err := s.activeTable(*act.a.TableName)
		if err != nil {
			return nil, err
		}
		act.t = t
		names = append(names, t.name)
		k, err := t.key(act.a.Key)
		if err != nil {
			act.err, failed = err, true
			continue
		}
		act.w = &itemWrite{t: t, key: k}
		id := t.name + "\x00" + keyString(k)
		if seen[id] {
			return nil, awsproto.Validation("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
	}
	if failed {
		reasons := make([]cancellationReason, len(actions))
		for i, act := range actions {
			reasons[i] = cancellationReason{Code: "None"}
			if act.err != nil {
				reasons[i] = cancellationReason{Code: "ValidationError", Message: act.err.(*awsproto.Error).Message}
			}
		}
		return nil, transactionCanceled(reasons)
	}
	out := &transactGetOutput{Responses: make([]itemResponse, len(actions))}
	err := s.backend.View(ctx, names, func(tx ReadTx) error {
		units := map[string]float64{}
		for i, act := range actions {
			r, ok := tx.Get(act.t.name, act.w.key)
			size := 0
			if ok {
				out.Responses[i].Item = act.opts.render(r)
				size = r.Size()
			}
			units[act.t.name] += 2 * readUnits(size, true)
		}
		for _, act := range actions {
			if u, ok := units[act.t.name]; ok {
				if cc := consumed(in.ReturnConsumedCapacity, act.t, u, nil, 0); cc != nil {
					out.ConsumedCapacity = append(out.ConsumedCapacity, cc)
				}
				delete(units, act.t.name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, backendErr(err)
	}
	return out, nil
}
