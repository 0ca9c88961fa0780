package dynamodb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// DynamoDB Streams: each table whose stream is enabled records every change
// to its items, in order, in one shard that ListStreams, DescribeStream,
// GetShardIterator and GetRecords read. A stream disabled (or whose table
// is deleted) keeps its records and is DISABLED.

type streamRecord struct {
	EventID      string        `json:"eventID"`
	EventName    string        `json:"eventName"`
	EventVersion string        `json:"eventVersion"`
	EventSource  string        `json:"eventSource"`
	AwsRegion    string        `json:"awsRegion"`
	Dynamodb     streamChange  `json:"dynamodb"`
	UserIdentity *userIdentity `json:"userIdentity,omitempty"`
}

// userIdentity marks the REMOVE records of items TTL expired.
type userIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
}

type streamChange struct {
	ApproximateCreationDateTime float64 `json:"ApproximateCreationDateTime"`
	Keys                        rawJSON `json:"Keys"`
	NewImage                    rawJSON `json:"NewImage,omitempty"`
	OldImage                    rawJSON `json:"OldImage,omitempty"`
	SequenceNumber              string  `json:"SequenceNumber"`
	SizeBytes                   int     `json:"SizeBytes"`
	StreamViewType              string  `json:"StreamViewType"`
}

type stream struct {
	arn, label, table string
	tableID           string
	viewType          string
	keySchema         []KeySchemaElement
	created           time.Time
	disabled          bool
	shardID           string
	firstSeq          uint64
	records           []streamRecord
}

type streamStore struct {
	mu      sync.Mutex
	streams map[string]*stream // by ARN
	byTable map[string]*stream // the enabled stream of each table
	seq     uint64
}

func newStreamStore() *streamStore {
	return &streamStore{streams: map[string]*stream{}, byTable: map[string]*stream{}}
}

// streamLabel is a stream's label: its creation time, unique per table.
func (s *Service) streamLabel(now time.Time) string {
	return now.UTC().Format("2006-01-02T15:04:05.000")
}

// open starts the stream of a table whose definition says it is enabled.
func (ss *streamStore) open(t *table) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	arn := t.arn + "/stream/" + t.streamLabel
	st := &stream{arn: arn, label: t.streamLabel, table: t.name, tableID: t.id, viewType: str(t.stream.StreamViewType),
		keySchema: t.keySchema, created: time.Now(), shardID: fmt.Sprintf("shardId-%020d-%08x", time.Now().UnixMilli(), len(ss.streams)+1),
		firstSeq: ss.seq + 1}
	ss.streams[arn] = st
	ss.byTable[t.name] = st
}

// closeTable disables the table's stream.
func (ss *streamStore) closeTable(name string, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if st, ok := ss.byTable[name]; ok {
		st.disabled = true
		delete(ss.byTable, name)
	}
}

// recordExpiry appends the deletion of an expired item.
func (ss *streamStore) recordExpiry(t *table, old Item, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.appendLocked(t, old, nil, true, now) {
		st := ss.byTable[t.name]
		st.records[len(st.records)-1].UserIdentity = &userIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
	}
}

// record appends the change of one item to the table's stream.
func (ss *streamStore) record(t *table, old, next Item, deleted bool, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.appendLocked(t, old, next, deleted, now)
}

// appendLocked appends a change; it reports false when the table has no
// enabled stream.
func (ss *streamStore) appendLocked(t *table, old, next Item, deleted bool, now time.Time) bool {
	st, ok := ss.byTable[t.name]
	if !ok || st.tableID != t.id {
		return false
	}
	name := "MODIFY"
	switch {
	case deleted:
		name = "REMOVE"
		next = nil
	case old == nil:
		name = "INSERT"
	}
	src := next
	if src == nil {
		src = old
	}
	ss.seq++
	ch := streamChange{
		ApproximateCreationDateTime: float64(now.Unix()),
		Keys:                        appendItemJSON(nil, t.keyItem(src)),
		SequenceNumber:              fmt.Sprintf("%021d", ss.seq),
		StreamViewType:              st.viewType,
	}
	ch.SizeBytes = len(ch.Keys)
	if next != nil && (st.viewType == "NEW_IMAGE" || st.viewType == "NEW_AND_OLD_IMAGES") {
		ch.NewImage = appendItemJSON(nil, next)
		ch.SizeBytes += itemSize(next)
	}
	if old != nil && (st.viewType == "OLD_IMAGE" || st.viewType == "NEW_AND_OLD_IMAGES") {
		ch.OldImage = appendItemJSON(nil, old)
		ch.SizeBytes += itemSize(old)
	}
	st.records = append(st.records, streamRecord{
		EventID: fmt.Sprintf("%032x", ss.seq), EventName: name, EventVersion: "1.1",
		EventSource: "aws:dynamodb", AwsRegion: Region, Dynamodb: ch,
	})
	return true
}

type listStreamsInput struct {
	TableName               *string `json:"TableName"`
	Limit                   *int64  `json:"Limit"`
	ExclusiveStartStreamArn *string `json:"ExclusiveStartStreamArn"`
}

type streamSummary struct {
	StreamArn   string `json:"StreamArn"`
	TableName   string `json:"TableName"`
	StreamLabel string `json:"StreamLabel"`
}

type listStreamsOutput struct {
	Streams                []streamSummary `json:"Streams"`
	LastEvaluatedStreamArn *string         `json:"LastEvaluatedStreamArn,omitempty"`
}

func (s *Service) listStreams(ctx context.Context, in *listStreamsInput) (*listStreamsOutput, error) {
	var c constraints
	c.intMin(in.Limit, 1, "limit")
	c.intMax(in.Limit, 100, "limit")
	if in.TableName != nil {
		c.name(in.TableName, "tableName", false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	ss := s.streams
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var all []streamSummary
	for _, st := range ss.streams {
		if in.TableName == nil || *in.TableName == st.table {
			all = append(all, streamSummary{StreamArn: st.arn, TableName: st.table, StreamLabel: st.label})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].StreamArn < all[j].StreamArn })
	if in.ExclusiveStartStreamArn != nil {
		i := sort.Search(len(all), func(i int) bool { return all[i].StreamArn > *in.ExclusiveStartStreamArn })
		all = all[i:]
	}
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	out := &listStreamsOutput{Streams: []streamSummary{}}
	if len(all) > limit {
		all = all[:limit]
		last := all[limit-1].StreamArn
		out.LastEvaluatedStreamArn = &last
	}
	out.Streams = append(out.Streams, all...)
	return out, nil
}

type streamArnInput struct {
	StreamArn             *string `json:"StreamArn"`
	Limit                 *int64  `json:"Limit"`
	ExclusiveStartShardId *string `json:"ExclusiveStartShardId"`
}

type sequenceRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shard struct {
	ShardId             string        `json:"ShardId"`
	SequenceNumberRange sequenceRange `json:"SequenceNumberRange"`
}

type streamDescription struct {
	StreamArn               string             `json:"StreamArn"`
	StreamLabel             string             `json:"StreamLabel"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamViewType          string             `json:"StreamViewType"`
	CreationRequestDateTime float64            `json:"CreationRequestDateTime"`
	TableName               string             `json:"TableName"`
	KeySchema               []KeySchemaElement `json:"KeySchema"`
	Shards                  []shard            `json:"Shards"`
}

type describeStreamOutput struct {
	StreamDescription streamDescription `json:"StreamDescription"`
}

func (ss *streamStore) find(arn *string) (*stream, error) {
	var c constraints
	if c.notNull(arn == nil, "streamArn") {
		if len(*arn) < 37 {
			c.add(quoted(*arn), "streamArn", "Member must have length greater than or equal to 37")
		}
		if len(*arn) > 1024 {
			c.add(quoted(*arn), "streamArn", "Member must have length less than or equal to 1024")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	st, ok := ss.streams[*arn]
	if !ok {
		return nil, awsproto.NotFound("Requested resource not found: Stream: %s not found", *arn)
	}
	return st, nil
}

func (s *Service) describeStream(ctx context.Context, in *streamArnInput) (*describeStreamOutput, error) {
	ss := s.streams
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, err := ss.find(in.StreamArn)
	if err != nil {
		return nil, err
	}
	status := "ENABLED"
	sh := shard{ShardId: st.shardID, SequenceNumberRange: sequenceRange{StartingSequenceNumber: fmt.Sprintf("%021d", st.firstSeq)}}
	if st.disabled {
		status = "DISABLED"
		last := st.firstSeq
		if n := len(st.records); n > 0 {
			last, _ = strconv.ParseUint(st.records[n-1].Dynamodb.SequenceNumber, 10, 64)
		}
		sh.SequenceNumberRange.EndingSequenceNumber = fmt.Sprintf("%021d", last)
	}
	return &describeStreamOutput{StreamDescription: streamDescription{
		StreamArn: st.arn, StreamLabel: st.label, StreamStatus: status, StreamViewType: st.viewType,
		CreationRequestDateTime: epoch(st.created), TableName: st.table, KeySchema: st.keySchema,
		Shards: []shard{sh},
	}}, nil
}

type getShardIteratorInput struct {
	StreamArn         *string `json:"StreamArn"`
	ShardId           *string `json:"ShardId"`
	ShardIteratorType *string `json:"ShardIteratorType"`
	SequenceNumber    *string `json:"SequenceNumber"`
}

type getShardIteratorOutput struct {
	ShardIterator string `json:"ShardIterator"`
}

// iterator is what a shard iterator encodes: the stream, the shard and
// the index of the next record.
type iterator struct {
	Arn   string `json:"a"`
	Shard string `json:"s"`
	Next  int    `json:"n"`
}

func (it iterator) encode() string {
	b, _ := json.Marshal(it)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeIterator(s string) (iterator, bool) {
	var it iterator
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &it) != nil || it.Arn == "" {
		return iterator{}, false
	}
	return it, true
}

func (s *Service) getShardIterator(ctx context.Context, in *getShardIteratorInput) (*getShardIteratorOutput, error) {
	var c constraints
	c.notNull(in.ShardId == nil, "shardId")
	if c.notNull(in.ShardIteratorType == nil, "shardIteratorType") {
		c.enum(in.ShardIteratorType, "shardIteratorType", "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	ss := s.streams
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, err := ss.find(in.StreamArn)
	if err != nil {
		return nil, err
	}
	if *in.ShardId != st.shardID {
		return nil, awsproto.NotFound("Requested resource not found: Shard does not exist")
	}
	it := iterator{Arn: st.arn, Shard: st.shardID}
	switch *in.ShardIteratorType {
	case "LATEST":
		it.Next = len(st.records)
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		if in.SequenceNumber == nil {
			return nil, awsproto.Validation("Sequence number must be specified for AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER shard iterator types")
		}
		i := sort.Search(len(st.records), func(i int) bool { return st.records[i].Dynamodb.SequenceNumber >= padSeq(*in.SequenceNumber) })
		if i == len(st.records) || st.records[i].Dynamodb.SequenceNumber != padSeq(*in.SequenceNumber) {
			return nil, awsproto.Validation("Invalid SequenceNumber: %s", *in.SequenceNumber)
		}
		if *in.ShardIteratorType == "AFTER_SEQUENCE_NUMBER" {
			i++
		}
		it.Next = i
	}
	return &getShardIteratorOutput{ShardIterator: it.encode()}, nil
}

func padSeq(s string) string {
	s = strings.TrimLeft(s, "0")
	if len(s) < 21 {
		s = strings.Repeat("0", 21-len(s)) + s
	}
	return s
}

type getRecordsInput struct {
	ShardIterator *string `json:"ShardIterator"`
	Limit         *int64  `json:"Limit"`
}

type getRecordsOutput struct {
	Records           []streamRecord `json:"Records"`
	NextShardIterator *string        `json:"NextShardIterator,omitempty"`
}

func (s *Service) getRecords(ctx context.Context, in *getRecordsInput) (*getRecordsOutput, error) {
	var c constraints
	c.notNull(in.ShardIterator == nil, "shardIterator")
	c.intMin(in.Limit, 1, "limit")
	c.intMax(in.Limit, 1000, "limit")
	if err := c.err(); err != nil {
		return nil, err
	}
	it, ok := decodeIterator(*in.ShardIterator)
	if !ok {
		return nil, awsproto.Validation("Invalid ShardIterator")
	}
	ss := s.streams
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, ok := ss.streams[it.Arn]
	if !ok || st.shardID != it.Shard {
		return nil, awsproto.NotFound("Requested resource not found: Stream: %s not found", it.Arn)
	}
	limit := 1000
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	end := min(len(st.records), it.Next+limit)
	out := &getRecordsOutput{Records: append([]streamRecord{}, st.records[min(it.Next, end):end]...)}
	if !st.disabled || end < len(st.records) {
		next := iterator{Arn: it.Arn, Shard: it.Shard, Next: end}.encode()
		out.NextShardIterator = &next
	}
	return out, nil
}
