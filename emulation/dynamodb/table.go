package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"
	statusDeleting = "DELETING"
	statusUpdating = "UPDATING"

	billingProvisioned   = "PROVISIONED"
	billingPayPerRequest = "PAY_PER_REQUEST"

	maxLSIs = 5
	maxGSIs = 20
	// maxCapacityUnits is the largest provisioned throughput accepted.
	maxCapacityUnits = 1000000000000
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

type projection struct {
	ProjectionType   *string  `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type indexInput struct {
	IndexName             *string                `json:"IndexName"`
	KeySchema             []KeySchemaElement     `json:"KeySchema"`
	Projection            *projection            `json:"Projection"`
	ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput"`
}

type streamSpecification struct {
	StreamEnabled  *bool   `json:"StreamEnabled"`
	StreamViewType *string `json:"StreamViewType,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type createTableInput struct {
	AttributeDefinitions      []AttributeDefinition  `json:"AttributeDefinitions"`
	TableName                 *string                `json:"TableName"`
	KeySchema                 []KeySchemaElement     `json:"KeySchema"`
	LocalSecondaryIndexes     []indexInput           `json:"LocalSecondaryIndexes" coral:"LocalSecondaryIndex"`
	GlobalSecondaryIndexes    []indexInput           `json:"GlobalSecondaryIndexes" coral:"GlobalSecondaryIndex"`
	BillingMode               *string                `json:"BillingMode"`
	ProvisionedThroughput     *provisionedThroughput `json:"ProvisionedThroughput"`
	StreamSpecification       *streamSpecification   `json:"StreamSpecification"`
	Tags                      []Tag                  `json:"Tags"`
	TableClass                *string                `json:"TableClass"`
	DeletionProtectionEnabled *bool                  `json:"DeletionProtectionEnabled"`
}

type throughputDescription struct {
	LastIncreaseDateTime   float64 `json:"LastIncreaseDateTime,omitempty"`
	LastDecreaseDateTime   float64 `json:"LastDecreaseDateTime,omitempty"`
	NumberOfDecreasesToday int64   `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64   `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64   `json:"WriteCapacityUnits"`
}

type billingModeSummary struct {
	BillingMode                       string  `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime float64 `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

type indexDescription struct {
	IndexName             string                 `json:"IndexName"`
	KeySchema             []KeySchemaElement     `json:"KeySchema"`
	Projection            projection             `json:"Projection"`
	IndexStatus           string                 `json:"IndexStatus,omitempty"`
	Backfilling           *bool                  `json:"Backfilling,omitempty"`
	ProvisionedThroughput *throughputDescription `json:"ProvisionedThroughput,omitempty"`
	IndexSizeBytes        int64                  `json:"IndexSizeBytes"`
	ItemCount             int64                  `json:"ItemCount"`
	IndexArn              string                 `json:"IndexArn"`
}

type tableClassSummary struct {
	TableClass string `json:"TableClass"`
}

type tableDescription struct {
	AttributeDefinitions      []AttributeDefinition  `json:"AttributeDefinitions"`
	TableName                 string                 `json:"TableName"`
	KeySchema                 []KeySchemaElement     `json:"KeySchema"`
	TableStatus               string                 `json:"TableStatus"`
	CreationDateTime          float64                `json:"CreationDateTime"`
	ProvisionedThroughput     throughputDescription  `json:"ProvisionedThroughput"`
	TableSizeBytes            int64                  `json:"TableSizeBytes"`
	ItemCount                 int64                  `json:"ItemCount"`
	TableArn                  string                 `json:"TableArn"`
	TableId                   string                 `json:"TableId"`
	BillingModeSummary        *billingModeSummary    `json:"BillingModeSummary,omitempty"`
	LocalSecondaryIndexes     []indexDescription     `json:"LocalSecondaryIndexes,omitempty"`
	GlobalSecondaryIndexes    []indexDescription     `json:"GlobalSecondaryIndexes,omitempty"`
	StreamSpecification       *streamSpecification   `json:"StreamSpecification,omitempty"`
	LatestStreamLabel         string                 `json:"LatestStreamLabel,omitempty"`
	LatestStreamArn           string                 `json:"LatestStreamArn,omitempty"`
	TableClassSummary         *tableClassSummary     `json:"TableClassSummary,omitempty"`
	DeletionProtectionEnabled bool                   `json:"DeletionProtectionEnabled"`
	SSEDescription            map[string]interface{} `json:"SSEDescription,omitempty"`
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
	Limit                   *int64  `json:"Limit" coral:"Integer"`
}

type listTablesOutput struct {
	TableNames             []string `json:"TableNames"`
	LastEvaluatedTableName *string  `json:"LastEvaluatedTableName,omitempty"`
}

// keyAttrs is a primary or index key: names and type tags.
type keyAttrs struct {
	hashName, rangeName string
	hashTag, rangeTag   byte
}

// index is a secondary index's definition.
type index struct {
	name      string
	local     bool
	keySchema []KeySchemaElement
	proj      projection
	keyAttrs
	rcu, wcu  int64
	created   time.Time // for CREATING after UpdateTable adds it
	arn       string
	decreases int64
}

// schema is the index's definition as a Backend sees it.
func (ix *index) schema() IndexSchema {
	return IndexSchema{
		Name: ix.name, Local: ix.local,
		Hash:       KeyAttr{ix.hashName, tagName(ix.hashTag)},
		Range:      KeyAttr{ix.rangeName, rangeType(ix.rangeTag)},
		Projection: str(ix.proj.ProjectionType), NonKey: ix.proj.NonKeyAttributes,
	}
}

func rangeType(tag byte) string {
	if tag == 0 {
		return ""
	}
	return tagName(tag)
}

// table is a table's definition and settings. A *table is never changed
// once published in Service.tables: UpdateTable and the other settings
// operations publish a changed copy, so requests read a consistent
// definition without locks.
type table struct {
	name               string
	arn, id            string
	created            time.Time
	deleting           time.Time // zero until DeleteTable
	updated            time.Time // last UpdateTable, for UPDATING
	keySchema          []KeySchemaElement
	attrDefs           []AttributeDefinition
	billing            string
	rcu, wcu           int64
	decreases          int64
	payPerRequestSince time.Time
	keyAttrs

	lsis, gsis []*index

	stream      *streamSpecification // nil: never enabled
	streamLabel string
	tags        []Tag
	ttlAttr     string // "" when TTL is disabled
	class       string
	protected   bool
}

// clone returns a copy to change and publish.
func (t *table) clone() *table {
	c := *t
	c.lsis = slices.Clone(t.lsis)
	c.gsis = slices.Clone(t.gsis)
	c.tags = slices.Clone(t.tags)
	c.attrDefs = slices.Clone(t.attrDefs)
	return &c
}

// index returns the secondary index called name, or nil.
func (t *table) index(name string) *index {
	for _, ix := range t.lsis {
		if ix.name == name {
			return ix
		}
	}
	for _, ix := range t.gsis {
		if ix.name == name {
			return ix
		}
	}
	return nil
}

// indexes returns the local then the global secondary indexes.
func (t *table) indexes() []*index {
	return append(slices.Clone(t.lsis), t.gsis...)
}

// schema is the table's definition as a Backend sees it.
func (t *table) schema() Schema {
	s := Schema{Hash: KeyAttr{t.hashName, tagName(t.hashTag)}, Range: KeyAttr{t.rangeName, rangeType(t.rangeTag)}}
	for _, ix := range t.indexes() {
		s.Indexes = append(s.Indexes, ix.schema())
	}
	return s
}

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// keySchemaChecks adds the constraint errors of a key schema list.
func keySchemaChecks(c *constraints, ks []KeySchemaElement, path string, checkType bool) {
	if !c.notNull(ks == nil, path) {
		return
	}
	for i, k := range ks {
		p := fmt.Sprintf("%s.%d.member", path, i+1)
		c.notNull(k.AttributeName == nil, p+".attributeName")
		if c.notNull(k.KeyType == nil, p+".keyType") && checkType {
			c.enum(k.KeyType, p+".keyType", "HASH", "RANGE")
		}
	}
	if len(ks) > 2 {
		c.add(quoted(keySchemaString(ks)), path, "Member must have length less than or equal to 2")
	}
	if len(ks) < 1 {
		c.add(quoted("[]"), path, "Member must have length greater than or equal to 1")
	}
}

func keySchemaString(ks []KeySchemaElement) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("KeySchemaElement(attributeName=%s, keyType=%s)", str(k.AttributeName), str(k.KeyType))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func throughputChecks(c *constraints, pt *provisionedThroughput, path string) {
	if pt == nil {
		return
	}
	if c.notNull(pt.WriteCapacityUnits == nil, path+".writeCapacityUnits") {
		c.intMin(pt.WriteCapacityUnits, 1, path+".writeCapacityUnits")
	}
	if c.notNull(pt.ReadCapacityUnits == nil, path+".readCapacityUnits") {
		c.intMin(pt.ReadCapacityUnits, 1, path+".readCapacityUnits")
	}
}

func indexChecks(c *constraints, ixs []indexInput, path string) {
	for i, ix := range ixs {
		p := fmt.Sprintf("%s.%d.member", path, i+1)
		c.name(ix.IndexName, p+".indexName", true)
		keySchemaChecks(c, ix.KeySchema, p+".keySchema", true)
		if c.notNull(ix.Projection == nil, p+".projection") {
			c.enum(ix.Projection.ProjectionType, p+".projection.projectionType", "ALL", "INCLUDE", "KEYS_ONLY")
			if ix.Projection.NonKeyAttributes != nil && len(ix.Projection.NonKeyAttributes) < 1 {
				c.add(quoted("[]"), p+".projection.nonKeyAttributes", "Member must have length greater than or equal to 1")
			}
		}
		throughputChecks(c, ix.ProvisionedThroughput, p+".provisionedThroughput")
	}
}

func (s *Service) createTable(ctx context.Context, in *createTableInput) (*tableOutput, error) {
	if in.TableName == nil {
		return nil, required("TableName")
	}
	var c constraints
	c.notNull(in.AttributeDefinitions == nil, "attributeDefinitions")
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
	keySchemaChecks(&c, in.KeySchema, "keySchema", true)
	indexChecks(&c, in.LocalSecondaryIndexes, "localSecondaryIndexes")
	indexChecks(&c, in.GlobalSecondaryIndexes, "globalSecondaryIndexes")
	if in.StreamSpecification != nil {
		c.notNull(in.StreamSpecification.StreamEnabled == nil, "streamSpecification.streamEnabled")
		c.enum(in.StreamSpecification.StreamViewType, "streamSpecification.streamViewType", streamViewTypes...)
	}
	c.enum(in.TableClass, "tableClass", "STANDARD", "STANDARD_INFREQUENT_ACCESS")
	if err := c.err(); err != nil {
		return nil, err
	}

	billing := billingProvisioned
	if in.BillingMode != nil {
		billing = *in.BillingMode
	}
	var rcu, wcu int64
	if billing == billingPayPerRequest {
		if in.ProvisionedThroughput != nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
	} else {
		pt := in.ProvisionedThroughput
		if pt == nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		rcu, wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
		if rcu > maxCapacityUnits {
			return nil, awsproto.Validation("Given value %d for ReadCapacityUnits is out of bounds", rcu)
		}
		if wcu > maxCapacityUnits {
			return nil, awsproto.Validation("Given value %d for WriteCapacityUnits is out of bounds", wcu)
		}
	}

	defs := map[string]string{}
	defNames := make([]string, 0, len(in.AttributeDefinitions))
	for _, d := range in.AttributeDefinitions {
		if _, dup := defs[*d.AttributeName]; dup {
			return nil, awsproto.Validation("Cannot have two attributes with the same name")
		}
		defs[*d.AttributeName] = *d.AttributeType
		defNames = append(defNames, *d.AttributeName)
	}
	keys, err := checkKeySchema(in.KeySchema, defs, defNames)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, k := range keys.names() {
		used[k] = true
	}
	if in.LocalSecondaryIndexes == nil && in.GlobalSecondaryIndexes == nil && len(in.KeySchema) != len(in.AttributeDefinitions) {
		return nil, awsproto.Validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	seen := map[string]bool{}
	var lsis, gsis []*index
	if in.LocalSecondaryIndexes != nil {
		if len(in.LocalSecondaryIndexes) == 0 {
			return nil, awsproto.Validation("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
		}
		if keys.rangeTag == 0 {
			return nil, awsproto.Validation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		for _, li := range in.LocalSecondaryIndexes {
			ix, err := checkIndex(li, defs, defNames, keys.hashName, billing)
			if err != nil {
				return nil, err
			}
			if seen[ix.name] {
				return nil, awsproto.Validation("One or more parameter values were invalid: Duplicate index name: %s", ix.name)
			}
			seen[ix.name] = true
			lsis = append(lsis, ix)
			for _, k := range ix.names() {
				used[k] = true
			}
		}
		if len(lsis) > maxLSIs {
			return nil, awsproto.Validation("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of %d", maxLSIs)
		}
	}
	if in.GlobalSecondaryIndexes != nil {
		if len(in.GlobalSecondaryIndexes) == 0 {
			return nil, awsproto.Validation("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
		}
		for _, gi := range in.GlobalSecondaryIndexes {
			ix, err := checkIndex(gi, defs, defNames, "", billing)
			if err != nil {
				return nil, err
			}
			if seen[ix.name] {
				return nil, awsproto.Validation("One or more parameter values were invalid: Duplicate index name: %s", ix.name)
			}
			seen[ix.name] = true
			gsis = append(gsis, ix)
			for _, k := range ix.names() {
				used[k] = true
			}
		}
		if len(gsis) > maxGSIs {
			return nil, awsproto.Validation("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGSIs)
		}
	}
	if len(used) != len(defs) {
		return nil, awsproto.Validation("One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [%s], keys used: [%s]", strings.Join(defNames, ", "), strings.Join(sortedSet(used), ", "))
	}
	var stream *streamSpecification
	if sp := in.StreamSpecification; sp != nil {
		if *sp.StreamEnabled && sp.StreamViewType == nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: Enabled stream requires a StreamViewType")
		}
		if !*sp.StreamEnabled && sp.StreamViewType != nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: Disabled stream cannot have a StreamViewType")
		}
		if *sp.StreamEnabled {
			stream = sp
		}
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
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
		arn:     tableARN(name),
		id:      fmt.Sprintf("00000000-0000-4000-8000-%012x", s.nextID),
		created: now,
		billing: billing, rcu: rcu, wcu: wcu,
		keySchema: in.KeySchema, attrDefs: in.AttributeDefinitions,
		keyAttrs: keys,
		lsis:     lsis, gsis: gsis,
		tags:      in.Tags,
		class:     str(in.TableClass),
		protected: in.DeletionProtectionEnabled != nil && *in.DeletionProtectionEnabled,
	}
	if billing == billingPayPerRequest {
		t.payPerRequestSince = now
	}
	for _, ix := range t.indexes() {
		ix.arn = t.arn + "/index/" + ix.name
		ix.created = now
	}
	if stream != nil {
		t.stream = stream
		t.streamLabel = s.streamLabel(now)
		s.streams.open(t)
	}
	if err := s.backend.CreateTable(ctx, name, t.schema()); err != nil {
		if errors.Is(err, ErrTableExists) {
			// A table deleted by DeleteTable is dropped from the backend
			// when it is gone; one still there is stale.
			_ = s.backend.DropTable(ctx, name)
			err = s.backend.CreateTable(ctx, name, t.schema())
		}
		if err != nil {
			return nil, fmt.Errorf("create table %s: %w", name, err)
		}
	}
	s.tables[name] = t
	s.log.Debug("create table", "table", name)
	return &tableOutput{TableDescription: s.describe(ctx, t, statusCreating)}, nil
}

func tableARN(name string) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", Region, Account, name)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (k keyAttrs) names() []string {
	if k.rangeName == "" {
		return []string{k.hashName}
	}
	return []string{k.hashName, k.rangeName}
}

// checkKeySchema checks a table's or index's key schema against the
// attribute definitions.
func checkKeySchema(ks []KeySchemaElement, defs map[string]string, defNames []string) (keyAttrs, error) {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = *k.AttributeName
	}
	if len(names) > len(defs) {
		return keyAttrs{}, awsproto.Validation("Invalid KeySchema: Some index key attribute have no definition")
	}
	for _, n := range names {
		if _, ok := defs[n]; !ok {
			return keyAttrs{}, awsproto.Validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(names, ", "), strings.Join(defNames, ", "))
		}
	}
	if len(names) == 2 && names[0] == names[1] {
		return keyAttrs{}, awsproto.Validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	}
	if *ks[0].KeyType != "HASH" {
		return keyAttrs{}, awsproto.Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(ks) == 2 && *ks[1].KeyType != "RANGE" {
		return keyAttrs{}, awsproto.Validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	}
	k := keyAttrs{hashName: names[0], hashTag: keyTag(defs[names[0]])}
	if len(names) == 2 {
		k.rangeName, k.rangeTag = names[1], keyTag(defs[names[1]])
	}
	return k, nil
}

// checkIndex checks one secondary index of CreateTable or UpdateTable; a
// local index is given the table's hash key, a global one "".
func checkIndex(in indexInput, defs map[string]string, defNames []string, tableHash string, billing string) (*index, error) {
	keys, err := checkKeySchema(in.KeySchema, defs, defNames)
	if err != nil {
		return nil, err
	}
	name := *in.IndexName
	local := tableHash != ""
	if local && keys.rangeTag == 0 {
		return nil, awsproto.Validation("One or more parameter values were invalid: Index KeySchema does not have a range key for index: %s", name)
	}
	if local && keys.hashName != tableHash {
		return nil, awsproto.Validation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", name, keys.hashName, tableHash)
	}
	pt := in.Projection.ProjectionType
	if pt == nil {
		return nil, awsproto.Validation("One or more parameter values were invalid: Unknown ProjectionType: null")
	}
	if in.Projection.NonKeyAttributes != nil && *pt != "INCLUDE" {
		return nil, awsproto.Validation("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", *pt)
	}
	if *pt == "INCLUDE" && len(in.Projection.NonKeyAttributes) == 0 {
		return nil, awsproto.Validation("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
	}
	ix := &index{name: name, local: local, keySchema: in.KeySchema, proj: *in.Projection, keyAttrs: keys}
	if !local {
		if billing == billingPayPerRequest && in.ProvisionedThroughput != nil {
			return nil, awsproto.Validation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", name)
		}
		if billing == billingProvisioned {
			if in.ProvisionedThroughput == nil {
				return nil, awsproto.Validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", name)
			}
			ix.rcu, ix.wcu = *in.ProvisionedThroughput.ReadCapacityUnits, *in.ProvisionedThroughput.WriteCapacityUnits
		}
	}
	return ix, nil
}

// statusOf is the table's status at now.
func (s *Service) statusOf(t *table, now time.Time) string {
	switch {
	case !t.deleting.IsZero():
		return statusDeleting
	case now.Sub(t.created) < s.statusDelay:
		return statusCreating
	case !t.updated.IsZero() && now.Sub(t.updated) < s.statusDelay:
		return statusUpdating
	}
	return statusActive
}

// describe renders the table's description with the given status ("" for
// the status at this moment).
func (s *Service) describe(ctx context.Context, t *table, status string) *tableDescription {
	now := s.now()
	if status == "" {
		status = s.statusOf(t, now)
	}
	d := &tableDescription{
		TableName: t.name, TableStatus: status, TableArn: t.arn, TableId: t.id,
		CreationDateTime:     epoch(t.created),
		KeySchema:            t.keySchema,
		AttributeDefinitions: t.attrDefs,
		ProvisionedThroughput: throughputDescription{
			ReadCapacityUnits: t.rcu, WriteCapacityUnits: t.wcu, NumberOfDecreasesToday: t.decreases,
		},
		DeletionProtectionEnabled: t.protected,
	}
	if t.billing == billingPayPerRequest {
		d.BillingModeSummary = &billingModeSummary{BillingMode: billingPayPerRequest}
		if status != statusCreating {
			d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = epoch(t.payPerRequestSince)
		}
	} else if !t.payPerRequestSince.IsZero() {
		d.BillingModeSummary = &billingModeSummary{BillingMode: billingProvisioned}
	}
	if t.class != "" {
		d.TableClassSummary = &tableClassSummary{TableClass: t.class}
	}
	if t.stream != nil {
		d.StreamSpecification = t.stream
		d.LatestStreamLabel = t.streamLabel
		d.LatestStreamArn = t.arn + "/stream/" + t.streamLabel
	}
	stats := map[string][2]int64{}
	_ = s.backend.View(ctx, []string{t.name}, func(tx ReadTx) error {
		n, b := tx.Stats(t.name, "")
		stats[""] = [2]int64{n, b}
		for _, ix := range t.indexes() {
			n, b := tx.Stats(t.name, ix.name)
			stats[ix.name] = [2]int64{n, b}
		}
		return nil
	})
	d.ItemCount, d.TableSizeBytes = stats[""][0], stats[""][1]
	for _, ix := range t.lsis {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, indexDescription{
			IndexName: ix.name, KeySchema: ix.keySchema, Projection: ix.proj,
			IndexSizeBytes: stats[ix.name][1], ItemCount: stats[ix.name][0], IndexArn: ix.arn,
		})
	}
	for _, ix := range t.gsis {
		st := statusActive
		switch {
		case status == statusCreating || status == statusDeleting:
			st = status
		case now.Sub(ix.created) < s.statusDelay:
			st = statusCreating
		}
		id := indexDescription{
			IndexName: ix.name, KeySchema: ix.keySchema, Projection: ix.proj, IndexStatus: st,
			ProvisionedThroughput: &throughputDescription{ReadCapacityUnits: ix.rcu, WriteCapacityUnits: ix.wcu, NumberOfDecreasesToday: ix.decreases},
			IndexSizeBytes:        stats[ix.name][1], ItemCount: stats[ix.name][0], IndexArn: ix.arn,
		}
		if st == statusCreating && status != statusCreating {
			f := false
			id.Backfilling = &f
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, id)
	}
	return d
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// tableNameChecks checks the TableName of a table operation.
func tableNameChecks(name *string) error {
	if name == nil {
		return required("TableName")
	}
	var c constraints
	c.name(name, "tableName", true)
	return c.err()
}

func (s *Service) describeTable(ctx context.Context, in *tableNameInput) (*describeTableOutput, error) {
	if err := tableNameChecks(in.TableName); err != nil {
		return nil, err
	}
	t, ok := s.lookup(*in.TableName)
	if !ok {
		return nil, awsproto.NotFound("Requested resource not found: Table: %s not found", *in.TableName)
	}
	return &describeTableOutput{Table: s.describe(ctx, t, "")}, nil
}

func (s *Service) deleteTable(ctx context.Context, in *tableNameInput) (*tableOutput, error) {
	if err := tableNameChecks(in.TableName); err != nil {
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
	switch s.statusOf(t, now) {
	case statusCreating:
		return nil, awsproto.InUse("Attempt to change a resource which is still in use: Table is being created: %s", name)
	case statusDeleting:
		return nil, awsproto.InUse("Attempt to change a resource which is still in use: Table is being deleted: %s", name)
	}
	if t.protected {
		return nil, awsproto.Validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	d := s.describe(ctx, t, statusDeleting)
	t = t.clone()
	t.deleting = now
	s.tables[name] = t
	if s.statusDelay <= 0 {
		s.dropLocked(t)
	}
	s.log.Debug("delete table", "table", name)
	return &tableOutput{TableDescription: d}, nil
}

func (s *Service) listTables(ctx context.Context, in *listTablesInput) (*listTablesOutput, error) {
	var c constraints
	c.intMin(in.Limit, 1, "limit")
	c.intMax(in.Limit, 100, "limit")
	if in.ExclusiveStartTableName != nil {
		c.name(in.ExclusiveStartTableName, "exclusiveStartTableName", false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
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
