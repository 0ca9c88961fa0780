package dynamodb

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"
	statusDeleting = "DELETING"

	billingProvisioned   = "PROVISIONED"
	billingPayPerRequest = "PAY_PER_REQUEST"
)

// KeySchemaElement is one element of a key schema.
type KeySchemaElement struct {
	AttributeName *string `json:"AttributeName"`
	KeyType       *string `json:"KeyType"`
}

// AttributeDefinition declares a key attribute's type.
type AttributeDefinition struct {
	AttributeName *string `json:"AttributeName"`
	AttributeType *string `json:"AttributeType"`
}

type provisionedThroughput struct {
	ReadCapacityUnits  *int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits *int64 `json:"WriteCapacityUnits"`
}

type createTableInput struct {
	TableName              *string                `json:"TableName"`
	KeySchema              []KeySchemaElement     `json:"KeySchema"`
	AttributeDefinitions   []AttributeDefinition  `json:"AttributeDefinitions"`
	BillingMode            *string                `json:"BillingMode"`
	ProvisionedThroughput  *provisionedThroughput `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexes json.RawMessage        `json:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes  json.RawMessage        `json:"LocalSecondaryIndexes"`
}

type throughputDescription struct {
	ReadCapacityUnits      int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64 `json:"WriteCapacityUnits"`
	NumberOfDecreasesToday int64 `json:"NumberOfDecreasesToday"`
}

type billingModeSummary struct {
	BillingMode                       string  `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime float64 `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

type tableDescription struct {
	TableName                 string                `json:"TableName"`
	TableStatus               string                `json:"TableStatus"`
	TableArn                  string                `json:"TableArn"`
	TableId                   string                `json:"TableId"`
	CreationDateTime          float64               `json:"CreationDateTime"`
	KeySchema                 []KeySchemaElement    `json:"KeySchema"`
	AttributeDefinitions      []AttributeDefinition `json:"AttributeDefinitions"`
	ProvisionedThroughput     throughputDescription `json:"ProvisionedThroughput"`
	BillingModeSummary        *billingModeSummary   `json:"BillingModeSummary,omitempty"`
	ItemCount                 int64                 `json:"ItemCount"`
	TableSizeBytes            int64                 `json:"TableSizeBytes"`
	DeletionProtectionEnabled bool                  `json:"DeletionProtectionEnabled"`
}

type tableOutput struct {
	TableDescription *tableDescription `json:"TableDescription"`
}

type describeTableOutput struct {
	Table *tableDescription `json:"Table"`
}

type tableNameInput struct {
	TableName *string `json:"TableName"`
}

type listTablesInput struct {
	ExclusiveStartTableName *string `json:"ExclusiveStartTableName"`
	Limit                   *int    `json:"Limit"`
}

type listTablesOutput struct {
	TableNames             []string `json:"TableNames"`
	LastEvaluatedTableName *string  `json:"LastEvaluatedTableName,omitempty"`
}

// table is one table: its definition and, under mu, its items.
type table struct {
	name      string
	arn, id   string
	created   time.Time
	deleting  time.Time // zero until DeleteTable
	keySchema []KeySchemaElement
	attrDefs  []AttributeDefinition
	billing   string
	rcu, wcu  int64

	hashName, rangeName string
	hashTag, rangeTag   byte

	mu sync.RWMutex
	st *store
}

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// validateTableName checks a TableName parameter as DynamoDB does.
func validateTableName(name *string) error {
	if name == nil {
		return awsproto.Validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	if len(*name) < 3 || len(*name) > 255 {
		return awsproto.Validation("TableName must be at least 3 characters long and at most 255 characters long")
	}
	if !tableNameRE.MatchString(*name) {
		return awsproto.Validation("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", *name)
	}
	return nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Service) createTable(ctx context.Context, in *createTableInput) (*tableOutput, error) {
	if err := validateTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.KeySchema == nil {
		return nil, awsproto.Validation("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null")
	}
	if in.AttributeDefinitions == nil {
		return nil, awsproto.Validation("1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null")
	}
	if len(in.KeySchema) < 1 || len(in.KeySchema) > 2 {
		return nil, awsproto.Validation("1 validation error detected: Value '%d elements' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2, Member must have length greater than or equal to 1", len(in.KeySchema))
	}
	for i, k := range in.KeySchema {
		if k.AttributeName == nil || k.KeyType == nil {
			return nil, awsproto.Validation("1 validation error detected: Value null at 'keySchema.%d.member' failed to satisfy constraint: Member must not be null", i+1)
		}
		if *k.KeyType != "HASH" && *k.KeyType != "RANGE" {
			return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'keySchema.%d.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]", *k.KeyType, i+1)
		}
	}
	defs := map[string]string{}
	var defNames []string
	for i, d := range in.AttributeDefinitions {
		if d.AttributeName == nil || d.AttributeType == nil {
			return nil, awsproto.Validation("1 validation error detected: Value null at 'attributeDefinitions.%d.member' failed to satisfy constraint: Member must not be null", i+1)
		}
		if keyTag(*d.AttributeType) == 0 {
			return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'attributeDefinitions.%d.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", *d.AttributeType, i+1)
		}
		if _, dup := defs[*d.AttributeName]; dup {
			return nil, awsproto.Validation("Cannot have two attributes with the same name")
		}
		defs[*d.AttributeName] = *d.AttributeType
		defNames = append(defNames, *d.AttributeName)
	}
	billing := billingProvisioned
	if in.BillingMode != nil {
		billing = *in.BillingMode
		if billing != billingProvisioned && billing != billingPayPerRequest {
			return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", billing)
		}
	}
	var rcu, wcu int64
	if billing == billingPayPerRequest {
		if in.ProvisionedThroughput != nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
	} else {
		pt := in.ProvisionedThroughput
		if pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		rcu, wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
		if rcu < 1 || wcu < 1 {
			return nil, awsproto.Validation("1 validation error detected: Value '%d' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1", min(rcu, wcu))
		}
	}
	keys := make([]string, len(in.KeySchema))
	for i, k := range in.KeySchema {
		keys[i] = *k.AttributeName
	}
	for _, k := range keys {
		if _, ok := defs[k]; !ok {
			return nil, awsproto.Validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(keys, ", "), strings.Join(defNames, ", "))
		}
	}
	if len(keys) == 2 && keys[0] == keys[1] {
		return nil, awsproto.Validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	}
	if *in.KeySchema[0].KeyType != "HASH" {
		return nil, awsproto.Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(keys) == 2 && *in.KeySchema[1].KeyType != "RANGE" {
		return nil, awsproto.Validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	}
	if len(in.GlobalSecondaryIndexes) > 0 && string(in.GlobalSecondaryIndexes) != "null" ||
		len(in.LocalSecondaryIndexes) > 0 && string(in.LocalSecondaryIndexes) != "null" {
		return nil, awsproto.Validation("Secondary indexes are not supported by this emulator")
	}
	if len(defs) != len(keys) {
		return nil, awsproto.Validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	name := *in.TableName
	now := s.now()
	if t, ok := s.tables[name]; ok && !s.goneLocked(t, now) {
		return nil, awsproto.InUse("Table already exists: %s", name)
	}
	s.nextID++
	t := &table{
		name:    name,
		arn:     fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", Region, Account, name),
		id:      fmt.Sprintf("00000000-0000-4000-8000-%012x", s.nextID),
		created: now,
		billing: billing, rcu: rcu, wcu: wcu,
		keySchema: in.KeySchema, attrDefs: in.AttributeDefinitions,
		hashName: keys[0], hashTag: keyTag(defs[keys[0]]),
	}
	if len(keys) == 2 {
		t.rangeName, t.rangeTag = keys[1], keyTag(defs[keys[1]])
	}
	t.st = newStore(t.hashName, t.hashTag, t.rangeName, t.rangeTag)
	s.tables[name] = t
	s.log.Debug("create table", "table", name)
	d := t.describe(statusCreating)
	return &tableOutput{TableDescription: d}, nil
}

// describe renders the table's description with the given status.
func (t *table) describe(status string) *tableDescription {
	d := &tableDescription{
		TableName: t.name, TableStatus: status, TableArn: t.arn, TableId: t.id,
		CreationDateTime:     float64(t.created.UnixMilli()) / 1000,
		KeySchema:            t.keySchema,
		AttributeDefinitions: t.attrDefs,
		ProvisionedThroughput: throughputDescription{
			ReadCapacityUnits: t.rcu, WriteCapacityUnits: t.wcu,
		},
	}
	if t.billing == billingPayPerRequest {
		d.BillingModeSummary = &billingModeSummary{BillingMode: billingPayPerRequest}
		if status != statusCreating {
			d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = d.CreationDateTime
		}
	}
	t.mu.RLock()
	d.ItemCount = int64(t.st.count)
	d.TableSizeBytes = t.st.size
	t.mu.RUnlock()
	return d
}

func (s *Service) describeTable(ctx context.Context, in *tableNameInput) (*describeTableOutput, error) {
	if err := validateTableName(in.TableName); err != nil {
		return nil, err
	}
	t, st, ok := s.lookup(*in.TableName)
	if !ok {
		return nil, awsproto.NotFound("Requested resource not found: Table: %s not found", *in.TableName)
	}
	return &describeTableOutput{Table: t.describe(st)}, nil
}

func (s *Service) deleteTable(ctx context.Context, in *tableNameInput) (*tableOutput, error) {
	if err := validateTableName(in.TableName); err != nil {
		return nil, err
	}
	name := *in.TableName
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tables[name]
	now := s.now()
	if !ok || s.goneLocked(t, now) {
		return nil, awsproto.NotFound("Requested resource not found: Table: %s not found", name)
	}
	switch s.statusLocked(t, now) {
	case statusCreating:
		return nil, awsproto.InUse("Attempt to change a resource which is still in use: Table is being created: %s", name)
	case statusDeleting:
		return nil, awsproto.InUse("Attempt to change a resource which is still in use: Table is being deleted: %s", name)
	}
	t.deleting = now
	d := t.describe(statusDeleting)
	if s.statusDelay <= 0 {
		delete(s.tables, name)
	}
	s.log.Debug("delete table", "table", name)
	return &tableOutput{TableDescription: d}, nil
}

func (s *Service) listTables(ctx context.Context, in *listTablesInput) (*listTablesOutput, error) {
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, awsproto.Validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value %s", *in.Limit,
				map[bool]string{true: "greater than or equal to 1", false: "less than or equal to 100"}[*in.Limit < 1])
		}
		limit = *in.Limit
	}
	if in.ExclusiveStartTableName != nil {
		if err := validateTableName(in.ExclusiveStartTableName); err != nil {
			return nil, err
		}
	}
	names := s.Tables()
	start := 0
	if in.ExclusiveStartTableName != nil {
		start = sort.Search(len(names), func(i int) bool { return names[i] > *in.ExclusiveStartTableName })
	}
	out := &listTablesOutput{TableNames: []string{}}
	rest := names[start:]
	if len(rest) > limit {
		rest = rest[:limit]
		last := rest[len(rest)-1]
		out.LastEvaluatedTableName = &last
	}
	out.TableNames = append(out.TableNames, rest...)
	return out, nil
}
