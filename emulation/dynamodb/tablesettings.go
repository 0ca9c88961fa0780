package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// UpdateTable, TTL and tags: the operations that change a table's
// settings. Each replaces the table's definition, under Service.mu, by a
// changed copy.

type gsiUpdate struct {
	Create *indexInput `json:"Create" coral:"CreateGlobalSecondaryIndexAction"`
	Update *struct {
		IndexName             *string                `json:"IndexName"`
		ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput"`
	} `json:"Update" coral:"UpdateGlobalSecondaryIndexAction"`
	Delete *struct {
		IndexName *string `json:"IndexName"`
	} `json:"Delete" coral:"DeleteGlobalSecondaryIndexAction"`
}

type updateTableInput struct {
	TableName                   *string                `json:"TableName"`
	AttributeDefinitions        []AttributeDefinition  `json:"AttributeDefinitions"`
	BillingMode                 *string                `json:"BillingMode"`
	ProvisionedThroughput       *provisionedThroughput `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexUpdates []gsiUpdate            `json:"GlobalSecondaryIndexUpdates"`
	StreamSpecification         *streamSpecification   `json:"StreamSpecification"`
	TableClass                  *string                `json:"TableClass"`
	DeletionProtectionEnabled   *bool                  `json:"DeletionProtectionEnabled"`
	SSESpecification            map[string]any         `json:"SSESpecification"`
	ReplicaUpdates              []any                  `json:"ReplicaUpdates"`
}

var big10 = big.NewInt(10)

var streamViewTypes = []string{"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"}

func (s *Service) updateTable(ctx context.Context, in *updateTableInput) (*tableOutput, error) {
	if in.TableName == nil {
		return nil, required("TableName")
	}
	var c constraints
	for i, d := range in.AttributeDefinitions {
		p := fmt.Sprintf("attributeDefinitions.%d.member", i+1)
		c.notNull(d.AttributeName == nil, p+".attributeName")
		if c.notNull(d.AttributeType == nil, p+".attributeType") {
			c.enum(d.AttributeType, p+".attributeType", "B", "N", "S")
		}
	}
	c.name(in.TableName, "tableName", true)
	c.enum(in.BillingMode, "billingMode", billingProvisioned, billingPayPerRequest)
	throughputChecks(&c, in.ProvisionedThroughput, "provisionedThroughput")
	for i, u := range in.GlobalSecondaryIndexUpdates {
		p := fmt.Sprintf("globalSecondaryIndexUpdates.%d.member", i+1)
		if u.Create != nil {
			indexChecks(&c, []indexInput{*u.Create}, p+".create")
		}
		if u.Update != nil {
			c.name(u.Update.IndexName, p+".update.indexName", true)
			if c.notNull(u.Update.ProvisionedThroughput == nil, p+".update.provisionedThroughput") {
				throughputChecks(&c, u.Update.ProvisionedThroughput, p+".update.provisionedThroughput")
			}
		}
		if u.Delete != nil {
			c.name(u.Delete.IndexName, p+".delete.indexName", true)
		}
	}
	if in.StreamSpecification != nil {
		c.notNull(in.StreamSpecification.StreamEnabled == nil, "streamSpecification.streamEnabled")
		c.enum(in.StreamSpecification.StreamViewType, "streamSpecification.streamViewType", streamViewTypes...)
	}
	c.enum(in.TableClass, "tableClass", "STANDARD", "STANDARD_INFREQUENT_ACCESS")
	if err := c.err(); err != nil {
		return nil, err
	}
	if in.ProvisionedThroughput == nil && in.BillingMode == nil && in.StreamSpecification == nil && len(in.GlobalSecondaryIndexUpdates) == 0 &&
		in.SSESpecification == nil && in.ReplicaUpdates == nil && in.TableClass == nil && in.DeletionProtectionEnabled == nil {
		return nil, awsproto.Validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	if in.BillingMode != nil && *in.BillingMode == billingProvisioned && in.ProvisionedThroughput == nil {
		return nil, awsproto.Validation("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
	}
	if pt := in.ProvisionedThroughput; pt != nil {
		if *pt.ReadCapacityUnits > maxCapacityUnits {
			return nil, awsproto.Validation("Given value %d for ReadCapacityUnits is out of bounds", *pt.ReadCapacityUnits)
		}
		if *pt.WriteCapacityUnits > maxCapacityUnits {
			return nil, awsproto.Validation("Given value %d for WriteCapacityUnits is out of bounds", *pt.WriteCapacityUnits)
		}
	}
	names := map[string]bool{}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		var name string
		switch {
		case u.Create != nil:
			name = *u.Create.IndexName
		case u.Update != nil:
			name = *u.Update.IndexName
		case u.Delete != nil:
			name = *u.Delete.IndexName
		default:
			return nil, awsproto.Validation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
		}
		if names[name] {
			return nil, awsproto.Validation("One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: %s", name)
		}
		names[name] = true
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.tables[*in.TableName]
	now := s.now()
	if !ok || s.goneLocked(cur, now) {
		return nil, awsproto.NotFound("Requested resource not found: Table: %s not found", *in.TableName)
	}
	switch s.statusOf(cur, now) {
	case statusCreating, statusDeleting, statusUpdating:
		return nil, awsproto.InUse("Attempt to change a resource which is still in use: Table is being updated: %s", cur.name)
	}
	t := cur.clone()
	billing := t.billing
	if in.BillingMode != nil {
		billing = *in.BillingMode
	}
	if in.ProvisionedThroughput != nil && billing == billingPayPerRequest {
		return nil, awsproto.Validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
	}
	if pt := in.ProvisionedThroughput; pt != nil {
		if t.billing == billingProvisioned && *pt.ReadCapacityUnits == t.rcu && *pt.WriteCapacityUnits == t.wcu {
			return nil, awsproto.Validation("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", t.rcu, *pt.ReadCapacityUnits, t.wcu, *pt.WriteCapacityUnits)
		}
		if *pt.ReadCapacityUnits < t.rcu || *pt.WriteCapacityUnits < t.wcu {
			t.decreases++
		}
		t.rcu, t.wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	}
	if billing != t.billing {
		if billing == billingPayPerRequest {
			t.rcu, t.wcu = 0, 0
			t.payPerRequestSince = now
			gsis := make([]*index, len(t.gsis))
			for i, ix := range t.gsis {
				c := *ix
				c.rcu, c.wcu = 0, 0
				gsis[i] = &c
			}
			t.gsis = gsis
		} else {
			var missing []string
			for _, ix := range t.gsis {
				found := false
				for _, u := range in.GlobalSecondaryIndexUpdates {
					if u.Update != nil && *u.Update.IndexName == ix.name {
						found = true
					}
				}
				if !found {
					missing = append(missing, ix.name)
				}
			}
			if len(missing) > 0 {
				return nil, awsproto.Validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", strings.Join(missing, ","))
			}
		}
		t.billing = billing
	}
	var created []IndexSchema
	var dropped []string
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			if t.index(*u.Create.IndexName) != nil {
				return nil, awsproto.Validation("One or more parameter values were invalid: Index with name: %s already exists", *u.Create.IndexName)
			}
			defs := map[string]string{}
			var defNames []string
			for _, d := range t.attrDefs {
				defs[*d.AttributeName] = *d.AttributeType
			}
			for _, d := range in.AttributeDefinitions {
				if old, ok := defs[*d.AttributeName]; ok && old != *d.AttributeType {
					return nil, awsproto.Validation("One or more parameter values were invalid: Attribute %s is already defined with type %s", *d.AttributeName, old)
				}
				if _, ok := defs[*d.AttributeName]; !ok {
					t.attrDefs = append(t.attrDefs, d)
				}
				defs[*d.AttributeName] = *d.AttributeType
			}
			for _, d := range t.attrDefs {
				defNames = append(defNames, *d.AttributeName)
			}
			ix, err := checkIndex(*u.Create, defs, defNames, "", t.billing)
			if err != nil {
				return nil, err
			}
			if len(t.gsis) >= maxGSIs {
				return nil, awsproto.Errorf(400, awsproto.CodeLimitExceeded, "Subscriber limit exceeded: The number of global secondary indexes exceeds the per-table limit of %d", maxGSIs)
			}
			ix.arn = t.arn + "/index/" + ix.name
			ix.created = now
			t.gsis = append(t.gsis, ix)
			created = append(created, ix.schema())
		case u.Update != nil:
			i := slices.IndexFunc(t.gsis, func(ix *index) bool { return ix.name == *u.Update.IndexName })
			if i < 0 {
				return nil, awsproto.NotFound("Requested resource not found: Requested resource not found")
			}
			c := *t.gsis[i]
			c.rcu, c.wcu = *u.Update.ProvisionedThroughput.ReadCapacityUnits, *u.Update.ProvisionedThroughput.WriteCapacityUnits
			t.gsis[i] = &c
		case u.Delete != nil:
			i := slices.IndexFunc(t.gsis, func(ix *index) bool { return ix.name == *u.Delete.IndexName })
			if i < 0 {
				return nil, awsproto.NotFound("Requested resource not found: Requested resource not found")
			}
			t.gsis = slices.Delete(t.gsis, i, i+1)
			dropped = append(dropped, *u.Delete.IndexName)
		}
	}
	if sp := in.StreamSpecification; sp != nil {
		switch {
		case *sp.StreamEnabled && sp.StreamViewType == nil:
			return nil, awsproto.Validation("One or more parameter values were invalid: Enabled stream requires a StreamViewType")
		case !*sp.StreamEnabled && sp.StreamViewType != nil:
			return nil, awsproto.Validation("One or more parameter values were invalid: Disabled stream cannot have a StreamViewType")
		case *sp.StreamEnabled && t.stream != nil:
			return nil, awsproto.Validation("Table already has an enabled stream: %s", t.arn+"/stream/"+t.streamLabel)
		case !*sp.StreamEnabled && t.stream == nil:
			return nil, awsproto.Validation("Table already has no enabled stream")
		case *sp.StreamEnabled:
			t.stream = sp
			t.streamLabel = s.streamLabel(now)
			s.streams.open(t)
		default:
			s.streams.closeTable(t.name, now)
			t.stream = nil
		}
	}
	if in.TableClass != nil {
		t.class = *in.TableClass
	}
	if in.DeletionProtectionEnabled != nil {
		t.protected = *in.DeletionProtectionEnabled
	}
	for _, ix := range created {
		if err := s.backend.CreateIndex(ctx, t.name, ix); err != nil {
			return nil, fmt.Errorf("create index %s of %s: %w", ix.Name, t.name, err)
		}
	}
	for _, name := range dropped {
		if err := s.backend.DropIndex(ctx, t.name, name); err != nil && !errors.Is(err, ErrNoIndex) {
			return nil, fmt.Errorf("drop index %s of %s: %w", name, t.name, err)
		}
	}
	t.updated = now
	s.tables[t.name] = t
	return &tableOutput{TableDescription: s.describe(ctx, t, statusUpdating)}, nil
}

type ttlSpecification struct {
	Enabled       *bool   `json:"Enabled"`
	AttributeName *string `json:"AttributeName"`
}

type updateTTLInput struct {
	TableName               *string           `json:"TableName"`
	TimeToLiveSpecification *ttlSpecification `json:"TimeToLiveSpecification"`
}

type updateTTLOutput struct {
	TimeToLiveSpecification *ttlSpecification `json:"TimeToLiveSpecification"`
}

type ttlDescription struct {
	TimeToLiveStatus string `json:"TimeToLiveStatus"`
	AttributeName    string `json:"AttributeName,omitempty"`
}

type describeTTLOutput struct {
	TimeToLiveDescription ttlDescription `json:"TimeToLiveDescription"`
}

func (s *Service) updateTimeToLive(ctx context.Context, in *updateTTLInput) (*updateTTLOutput, error) {
	if in.TableName == nil {
		return nil, required("TableName")
	}
	var c constraints
	c.name(in.TableName, "tableName", true)
	if c.notNull(in.TimeToLiveSpecification == nil, "timeToLiveSpecification") {
		spec := in.TimeToLiveSpecification
		if c.notNull(spec.AttributeName == nil, "timeToLiveSpecification.attributeName") {
			if len(*spec.AttributeName) < 1 {
				c.add(quoted(*spec.AttributeName), "timeToLiveSpecification.attributeName", "Member must have length greater than or equal to 1")
			}
			if len(*spec.AttributeName) > 255 {
				c.add(quoted(*spec.AttributeName), "timeToLiveSpecification.attributeName", "Member must have length less than or equal to 255")
			}
		}
		c.notNull(spec.Enabled == nil, "timeToLiveSpecification.enabled")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.tables[*in.TableName]
	now := s.now()
	if !ok || s.goneLocked(cur, now) {
		return nil, awsproto.NotFound("Requested resource not found: Table: %s not found", *in.TableName)
	}
	if st := s.statusOf(cur, now); st != statusActive {
		return nil, awsproto.InUse("Attempt to change a resource which is still in use: Table is being %s: %s", strings.ToLower(st[:len(st)-3])+"ed", cur.name)
	}
	switch {
	case *spec.Enabled && cur.ttlAttr != "":
		return nil, awsproto.Validation("TimeToLive is already enabled")
	case !*spec.Enabled && cur.ttlAttr == "":
		return nil, awsproto.Validation("TimeToLive is already disabled")
	case !*spec.Enabled && cur.ttlAttr != *spec.AttributeName:
		return nil, awsproto.Validation("The TimeToLive attribute name does not match the attribute name of the currently enabled TimeToLive: %s", cur.ttlAttr)
	}
	t := cur.clone()
	if *spec.Enabled {
		t.ttlAttr = *spec.AttributeName
	} else {
		t.ttlAttr = ""
	}
	s.tables[t.name] = t
	return &updateTTLOutput{TimeToLiveSpecification: spec}, nil
}

func (s *Service) describeTimeToLive(ctx context.Context, in *tableNameInput) (*describeTTLOutput, error) {
	if err := tableNameChecks(in.TableName); err != nil {
		return nil, err
	}
	t, ok := s.lookup(*in.TableName)
	if !ok {
		return nil, awsproto.NotFound("Requested resource not found: Table: %s not found", *in.TableName)
	}
	if t.ttlAttr == "" {
		return &describeTTLOutput{TimeToLiveDescription: ttlDescription{TimeToLiveStatus: "DISABLED"}}, nil
	}
	return &describeTTLOutput{TimeToLiveDescription: ttlDescription{TimeToLiveStatus: "ENABLED", AttributeName: t.ttlAttr}}, nil
}

type tagResourceInput struct {
	ResourceArn *string  `json:"ResourceArn"`
	Tags        []Tag    `json:"Tags"`
	TagKeys     []string `json:"TagKeys"`
	NextToken   *string  `json:"NextToken"`
}

type listTagsOutput struct {
	Tags      []Tag   `json:"Tags"`
	NextToken *string `json:"NextToken,omitempty"`
}

const maxTags = 50

// checkTags checks tags as TagResource and CreateTable do.
func checkTags(tags []Tag) error {
	var c constraints
	for i, t := range tags {
		p := fmt.Sprintf("tags.%d.member", i+1)
		if c.notNull(t.Key == nil, p+".key") {
			if len(*t.Key) < 1 {
				c.add(quoted(*t.Key), p+".key", "Member must have length greater than or equal to 1")
			}
			if len(*t.Key) > 128 {
				c.add(quoted(*t.Key), p+".key", "Member must have length less than or equal to 128")
			}
		}
		if c.notNull(t.Value == nil, p+".value") && len(*t.Value) > 256 {
			c.add(quoted(*t.Value), p+".value", "Member must have length less than or equal to 256")
		}
	}
	if err := c.err(); err != nil {
		return err
	}
	if len(tags) > maxTags {
		return awsproto.Validation("One or more parameter values were invalid: The number of tags exceeds the limit of %d", maxTags)
	}
	return nil
}

var tableARNRE = regexp.MustCompile(`^arn:aws:dynamodb:[^:]+:\d+:table/([a-zA-Z0-9_.-]{3,255})$`)

// checkARN checks a tag operation's ResourceArn and returns the table name
// it names.
func checkARN(arn *string) (string, error) {
	if arn == nil {
		return "", awsproto.Validation("Invalid TableArn")
	}
	m := tableARNRE.FindStringSubmatch(*arn)
	if m == nil {
		return "", awsproto.Validation("Invalid TableArn: Invalid ResourceArn provided as input %s", *arn)
	}
	return m[1], nil
}

// taggedTable finds the table a tag operation's ARN names. An ARN of a
// table that does not exist is AccessDeniedException, as on AWS.
func (s *Service) taggedTable(op, name, arn string) (*table, error) {
	t, found := s.lookup(name)
	if !found {
		return nil, awsproto.Errorf(400, "AccessDeniedException", "User: arn:aws:iam::%s:root is not authorized to perform: dynamodb:%s on resource: %s", Account, op, arn)
	}
	return t, nil
}

func (s *Service) tagResource(ctx context.Context, in *tagResourceInput) (*struct{}, error) {
	if in.ResourceArn == nil {
		return nil, awsproto.Validation("Invalid TableArn")
	}
	var c constraints
	c.notNull(in.Tags == nil, "tags")
	if err := c.err(); err != nil {
		return nil, err
	}
	name, err := checkARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, awsproto.Validation("Atleast one Tag needs to be provided as Input.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.taggedTableLocked("TagResource", name, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t := cur.clone()
	for _, tag := range in.Tags {
		i := slices.IndexFunc(t.tags, func(x Tag) bool { return *x.Key == *tag.Key })
		if i >= 0 {
			t.tags[i] = tag
		} else {
			t.tags = append(t.tags, tag)
		}
	}
	if len(t.tags) > maxTags {
		return nil, awsproto.Errorf(400, awsproto.CodeLimitExceeded, "Too many tags: a resource can have at most %d tags", maxTags)
	}
	s.tables[t.name] = t
	return &struct{}{}, nil
}

// taggedTableLocked is taggedTable for a caller holding s.mu.
func (s *Service) taggedTableLocked(op, name, arn string) (*table, error) {
	t, ok := s.tables[name]
	if !ok || s.goneLocked(t, s.now()) {
		return nil, awsproto.Errorf(400, "AccessDeniedException", "User: arn:aws:iam::%s:root is not authorized to perform: dynamodb:%s on resource: %s", Account, op, arn)
	}
	return t, nil
}

func (s *Service) untagResource(ctx context.Context, in *tagResourceInput) (*struct{}, error) {
	if in.ResourceArn == nil {
		return nil, awsproto.Validation("Invalid TableArn")
	}
	var c constraints
	c.notNull(in.TagKeys == nil, "tagKeys")
	if err := c.err(); err != nil {
		return nil, err
	}
	name, err := checkARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, awsproto.Validation("Atleast one Tag Key needs to be provided as Input.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.taggedTableLocked("UntagResource", name, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t := cur.clone()
	t.tags = slices.DeleteFunc(t.tags, func(x Tag) bool { return slices.Contains(in.TagKeys, *x.Key) })
	s.tables[t.name] = t
	return &struct{}{}, nil
}

func (s *Service) listTagsOfResource(ctx context.Context, in *tagResourceInput) (*listTagsOutput, error) {
	name, err := checkARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t, err := s.taggedTable("ListTagsOfResource", name, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags := t.tags
	if tags == nil {
		tags = []Tag{}
	}
	return &listTagsOutput{Tags: tags}, nil
}

// ExpireItems deletes the items whose TTL attribute, a number of seconds
// since the epoch, is in the past, in every table with TTL enabled, and
// returns how many it deleted. As on AWS, a TTL more than five years in
// the past is ignored, and the deletion appears in the table's stream as a
// REMOVE by the service. DynamoDB deletes expired items in the background
// within days; the emulator's server calls ExpireItems every few seconds.
func (s *Service) ExpireItems(ctx context.Context) (int, error) {
	s.mu.Lock()
	var tables []*table
	now := s.now()
	for _, t := range s.tables {
		if t.ttlAttr != "" && s.statusOf(t, now) == statusActive {
			tables = append(tables, t)
		}
	}
	s.mu.Unlock()
	nowSec := now.Unix()
	expired := func(r Record, attr string) bool {
		tag, v, ok := r.scalar(attr)
		if !ok || tag != tagN {
			return false
		}
		n, err := parseNumber(string(v))
		if err != nil || n.neg || n.digits == "" || n.exp > 18 {
			return false
		}
		m, e := n.scaled()
		for ; e > 0; e-- {
			m.Mul(m, big10)
		}
		for ; e < 0; e++ {
			m.Quo(m, big10)
		}
		at := m.Int64()
		return at <= nowSec && at >= nowSec-5*365*24*3600
	}
	total := 0
	for _, t := range tables {
		var keys []Key
		err := s.backend.View(ctx, []string{t.name}, func(tx ReadTx) error {
			tx.Scan(t.name, "", ScanRange{}, func(r Record) bool {
				if expired(r, t.ttlAttr) {
					it := r.Item()
					k := Key{PK: scalarBytes(it[t.hashName])}
					if t.rangeName != "" {
						k.SK = scalarBytes(it[t.rangeName])
					}
					keys = append(keys, k)
				}
				return ctx.Err() == nil
			})
			return nil
		})
		if err != nil {
			if errors.Is(err, ErrNoTable) {
				continue
			}
			return total, err
		}
		if len(keys) == 0 {
			continue
		}
		err = s.backend.Update(ctx, []string{t.name}, func(tx WriteTx) error {
			for _, k := range keys {
				r, ok := tx.Get(t.name, k)
				if !ok || !expired(r, t.ttlAttr) {
					continue
				}
				old := r.Item()
				tx.Delete(t.name, k)
				if t.stream != nil {
					s.streams.recordExpiry(t, old, now)
				}
				total++
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrNoTable) {
			return total, err
		}
	}
	return total, nil
}
