package kinesis

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// AWS limits this emulator enforces.
const (
	MaxRecordsPerPut    = 500
	MaxRecordSize       = 1 << 20 // data plus partition key, bytes
	MaxPutRecordsSize   = 5 << 20 // a whole PutRecords request, data plus keys
	MaxPartitionKeyLen  = 256
	MaxGetRecordsLimit  = 10000
	MaxGetRecordsBytes  = 10 << 20
	MaxShardsPerAccount = 500
	IteratorLifetime    = 5 * time.Minute
)

var streamNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
var hashKeyPattern = regexp.MustCompile(`^(0|[1-9]\d{0,38})$`)
var seqPattern = regexp.MustCompile(`^(0|[1-9]\d{0,128})$`)

// epoch is a timestamp in AWS JSON form: seconds since the epoch as a number.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(e).UnixMilli())/1000, 'f', 3, 64), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		sec := int64(f)
		*e = epoch(time.Unix(sec, int64((f-float64(sec))*1e9)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: want epoch seconds, got %s", b)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	*e = epoch(t)
	return nil
}

type streamModeDetails struct {
	StreamMode string `json:"StreamMode"`
}

func validationf(format string, args ...any) error {
	return awsproto.Validation("1 validation error detected: "+format, args...)
}

func checkStreamName(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > 128 {
		return validationf("Value '%s' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128", name)
	}
	if !streamNamePattern.MatchString(name) {
		return validationf("Value '%s' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name)
	}
	return nil
}

// ---- CreateStream ----

type createStreamInput struct {
	StreamName        string             `json:"StreamName"`
	ShardCount        *int               `json:"ShardCount"`
	StreamModeDetails *streamModeDetails `json:"StreamModeDetails"`
}

type empty struct{}

func (s *Service) createStream(_ context.Context, in *createStreamInput) (*empty, error) {
	if in.StreamName == "" {
		return nil, validationf("Value null at 'streamName' failed to satisfy constraint: Member must not be null")
	}
	if err := checkStreamName(in.StreamName); err != nil {
		return nil, err
	}
	mode := "PROVISIONED"
	if in.StreamModeDetails != nil {
		switch in.StreamModeDetails.StreamMode {
		case "PROVISIONED", "ON_DEMAND":
			mode = in.StreamModeDetails.StreamMode
		default:
			return nil, validationf("Value '%s' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]", in.StreamModeDetails.StreamMode)
		}
	}
	n := 0
	switch {
	case in.ShardCount != nil:
		n = *in.ShardCount
		if n < 1 {
			return nil, validationf("Value '%d' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1", n)
		}
		if mode == "ON_DEMAND" {
			return nil, awsproto.InvalidArgument("ShardCount cannot be specified for an ON_DEMAND stream.")
		}
	case mode == "ON_DEMAND":
		n = 4 // an on-demand stream starts with four shards
	default:
		return nil, awsproto.InvalidArgument("ShardCount is required for a PROVISIONED stream.")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.streams[in.StreamName]; old != nil {
		if !old.gone(s.delay) {
			return nil, awsproto.InUse("Stream %s under account %s already exists.", in.StreamName, s.account)
		}
		delete(s.streams, in.StreamName)
	}
	total := n
	for _, st := range s.streams {
		total += len(st.shards)
	}
	if total > MaxShardsPerAccount {
		return nil, awsproto.Errorf(400, awsproto.CodeLimitExceeded,
			"This request would exceed the shard limit for the account %s in %s. Current shard count for the account: %d. Limit: %d. Number of additional shards that would have resulted from this request: %d.",
			s.account, s.region, total-n, MaxShardsPerAccount, n)
	}
	gen := s.gens.Add(1)
	st := &stream{
		name: in.StreamName, arn: s.StreamARN(in.StreamName), gen: gen,
		created: s.now(), mode: mode, createdReal: time.Now(),
		notify: make(chan struct{}),
	}
	start := s.seq.Add(1)
	for i, r := range hashRanges(n) {
		st.shards = append(st.shards, &shard{
			id: shardID(i), index: i,
			start: key16(r[0]), end: key16(r[1]),
			startKey: r[0].String(), endKey: r[1].String(),
			startingSeq: formatSeq(start, i, gen),
		})
	}
	s.streams[in.StreamName] = st
	s.log.Debug("kinesis stream created", "stream", in.StreamName, "shards", n, "mode", mode)
	return &empty{}, nil
}

// ---- DeleteStream ----

type streamRef struct {
	StreamName string `json:"StreamName"`
	StreamARN  string `json:"StreamARN"`
}

func (r streamRef) name() (string, error) {
	if err := checkStreamName(r.StreamName); err != nil {
		return "", err
	}
	return resolveName(r.StreamName, r.StreamARN)
}

type deleteStreamInput struct {
	streamRef
	EnforceConsumerDeletion bool `json:"EnforceConsumerDeletion"`
}

func (s *Service) deleteStream(_ context.Context, in *deleteStreamInput) (*empty, error) {
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.deletedReal.IsZero() {
		return nil, awsproto.NotFound("Stream %s under account %s not found.", name, s.account)
	}
	st.deletedReal = time.Now()
	close(st.notify) // wake readers so they see the deletion
	st.notify = make(chan struct{})
	s.log.Debug("kinesis stream deleted", "stream", name)
	return &empty{}, nil
}

// ---- DescribeStream, DescribeStreamSummary ----

type hashKeyRange struct {
	StartingHashKey string `json:"StartingHashKey"`
	EndingHashKey   string `json:"EndingHashKey"`
}

type sequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
}

type shardOut struct {
	ShardID             string              `json:"ShardId"`
	HashKeyRange        hashKeyRange        `json:"HashKeyRange"`
	SequenceNumberRange sequenceNumberRange `json:"SequenceNumberRange"`
}

func (sh *shard) out() shardOut {
	return shardOut{
		ShardID:             sh.id,
		HashKeyRange:        hashKeyRange{sh.startKey, sh.endKey},
		SequenceNumberRange: sequenceNumberRange{sh.startingSeq},
	}
}

type enhancedMetrics struct {
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

type describeStreamInput struct {
	streamRef
	Limit                 *int   `json:"Limit"`
	ExclusiveStartShardID string `json:"ExclusiveStartShardId"`
}

type streamDescription struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
	Shards                  []shardOut        `json:"Shards"`
	HasMoreShards           bool              `json:"HasMoreShards"`
	RetentionPeriodHours    int               `json:"RetentionPeriodHours"`
	StreamCreationTimestamp epoch             `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []enhancedMetrics `json:"EnhancedMonitoring"`
	EncryptionType          string            `json:"EncryptionType"`
}

type describeStreamOutput struct {
	StreamDescription streamDescription `json:"StreamDescription"`
}

func (s *Service) describeStream(_ context.Context, in *describeStreamInput) (*describeStreamOutput, error) {
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 10000 {
			return nil, validationf("Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", *in.Limit)
		}
		limit = min(*in.Limit, 100)
	}
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	shards, more := pageShards(st.shards, in.ExclusiveStartShardID, limit)
	out := make([]shardOut, len(shards))
	for i, sh := range shards {
		out[i] = sh.out()
	}
	return &describeStreamOutput{streamDescription{
		StreamName: st.name, StreamARN: st.arn, StreamStatus: st.status(s.delay),
		StreamModeDetails: streamModeDetails{st.mode},
		Shards:            out, HasMoreShards: more, RetentionPeriodHours: int(retention / time.Hour),
		StreamCreationTimestamp: epoch(st.created),
		EnhancedMonitoring:      []enhancedMetrics{{ShardLevelMetrics: []string{}}},
		EncryptionType:          "NONE",
	}}, nil
}

// pageShards returns up to limit shards after the one named after (shard ids
// sort as their indexes do), and whether more follow.
func pageShards(all []*shard, after string, limit int) ([]*shard, bool) {
	from := 0
	if after != "" {
		from = len(all)
		for i, sh := range all {
			if sh.id > after {
				from = i
				break
			}
		}
	}
	to := min(from+limit, len(all))
	return all[from:to], to < len(all)
}

type describeStreamSummaryOutput struct {
	StreamDescriptionSummary struct {
		StreamName              string            `json:"StreamName"`
		StreamARN               string            `json:"StreamARN"`
		StreamStatus            string            `json:"StreamStatus"`
		StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
		RetentionPeriodHours    int               `json:"RetentionPeriodHours"`
		StreamCreationTimestamp epoch             `json:"StreamCreationTimestamp"`
		EnhancedMonitoring      []enhancedMetrics `json:"EnhancedMonitoring"`
		EncryptionType          string            `json:"EncryptionType"`
		OpenShardCount          int               `json:"OpenShardCount"`
		ConsumerCount           int               `json:"ConsumerCount"`
		MaxRecordSizeInKiB      int               `json:"MaxRecordSizeInKiB"`
	} `json:"StreamDescriptionSummary"`
}

func (s *Service) describeStreamSummary(_ context.Context, in *streamRef) (*describeStreamSummaryOutput, error) {
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	out := &describeStreamSummaryOutput{}
	d := &out.StreamDescriptionSummary
	d.StreamName, d.StreamARN, d.StreamStatus = st.name, st.arn, st.status(s.delay)
	d.StreamModeDetails = streamModeDetails{st.mode}
	d.RetentionPeriodHours = int(retention / time.Hour)
	d.StreamCreationTimestamp = epoch(st.created)
	d.EnhancedMonitoring = []enhancedMetrics{{ShardLevelMetrics: []string{}}}
	d.EncryptionType = "NONE"
	d.OpenShardCount = len(st.shards)
	d.MaxRecordSizeInKiB = MaxRecordSize >> 10
	return out, nil
}

// ---- ListStreams ----

type listStreamsInput struct {
	Limit                    *int   `json:"Limit"`
	ExclusiveStartStreamName string `json:"ExclusiveStartStreamName"`
	NextToken                string `json:"NextToken"`
}

type streamSummary struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeDetails `json:"StreamModeDetails"`
	StreamCreationTimestamp epoch             `json:"StreamCreationTimestamp"`
}

type listStreamsOutput struct {
	StreamNames     []string        `json:"StreamNames"`
	StreamSummaries []streamSummary `json:"StreamSummaries"`
	HasMoreStreams  bool            `json:"HasMoreStreams"`
	NextToken       *string         `json:"NextToken,omitempty"`
}

func (s *Service) listStreams(_ context.Context, in *listStreamsInput) (*listStreamsOutput, error) {
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 10000 {
			return nil, validationf("Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", *in.Limit)
		}
		limit = min(*in.Limit, 100)
	}
	after := in.ExclusiveStartStreamName
	if in.NextToken != "" {
		tok, ok := decodeToken(in.NextToken)
		if !ok {
			return nil, awsproto.InvalidArgument("Invalid NextToken.")
		}
		after = tok
	}
	out := &listStreamsOutput{StreamNames: []string{}, StreamSummaries: []streamSummary{}}
	for _, n := range s.names() {
		if after != "" && n <= after {
			continue
		}
		if len(out.StreamNames) == limit {
			out.HasMoreStreams = true
			tok := encodeToken(out.StreamNames[limit-1])
			out.NextToken = &tok
			break
		}
		st, err := s.lookup(n)
		if err != nil {
			continue
		}
		out.StreamNames = append(out.StreamNames, n)
		out.StreamSummaries = append(out.StreamSummaries, streamSummary{
			StreamName: n, StreamARN: st.arn, StreamStatus: st.status(s.delay),
			StreamModeDetails: streamModeDetails{st.mode}, StreamCreationTimestamp: epoch(st.created),
		})
	}
	return out, nil
}

// ---- ListShards ----

type listShardsInput struct {
	streamRef
	NextToken             string `json:"NextToken"`
	ExclusiveStartShardID string `json:"ExclusiveStartShardId"`
	MaxResults            *int   `json:"MaxResults"`
	ShardFilter           *struct {
		Type string `json:"Type"`
	} `json:"ShardFilter"`
}

type listShardsOutput struct {
	Shards    []shardOut `json:"Shards"`
	NextToken *string    `json:"NextToken,omitempty"`
}

func (s *Service) listShards(_ context.Context, in *listShardsInput) (*listShardsOutput, error) {
	limit := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 10000 {
			return nil, validationf("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 10000", *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	var name, after string
	if in.NextToken != "" {
		if in.StreamName != "" || in.StreamARN != "" || in.ExclusiveStartShardID != "" {
			return nil, awsproto.InvalidArgument("NextToken and StreamName cannot be provided together.")
		}
		tok, ok := decodeToken(in.NextToken)
		if !ok {
			return nil, awsproto.InvalidArgument("Invalid NextToken.")
		}
		name, after, _ = strings.Cut(tok, "\x00")
	} else {
		var err error
		if name, err = in.name(); err != nil {
			return nil, err
		}
		after = in.ExclusiveStartShardID
	}
	if in.ShardFilter != nil {
		switch in.ShardFilter.Type {
		case "AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP":
			// Every shard is open and has been since creation: each filter keeps all.
		default:
			return nil, validationf("Value '%s' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]", in.ShardFilter.Type)
		}
	}
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	if st.status(s.delay) == statusCreating {
		return nil, awsproto.InUse("Stream %s under account %s is not ACTIVE.", name, s.account)
	}
	shards, more := pageShards(st.shards, after, limit)
	out := &listShardsOutput{Shards: make([]shardOut, len(shards))}
	for i, sh := range shards {
		out.Shards[i] = sh.out()
	}
	if more {
		tok := encodeToken(name + "\x00" + shards[len(shards)-1].id)
		out.NextToken = &tok
	}
	return out, nil
}

// ---- PutRecord, PutRecords ----

type putEntry struct {
	Data            []byte  `json:"Data"`
	PartitionKey    *string `json:"PartitionKey"`
	ExplicitHashKey *string `json:"ExplicitHashKey"`
}

type putRecordInput struct {
	streamRef
	putEntry
	SequenceNumberForOrdering string `json:"SequenceNumberForOrdering"`
}

type putRecordOutput struct {
	ShardID        string `json:"ShardId"`
	SequenceNumber string `json:"SequenceNumber"`
	EncryptionType string `json:"EncryptionType"`
}

// checkEntry validates one record as AWS does; field is its path in the
// request ("" for PutRecord, "records.N.member." for PutRecords). It returns
// the hash key that places the record.
func checkEntry(e *putEntry, field string) ([16]byte, error) {
	if e.PartitionKey == nil {
		return [16]byte{}, validationf("Value null at '%spartitionKey' failed to satisfy constraint: Member must not be null", field)
	}
	if e.Data == nil {
		return [16]byte{}, validationf("Value null at '%sdata' failed to satisfy constraint: Member must not be null", field)
	}
	key := *e.PartitionKey
	if n := utf8.RuneCountInString(key); n < 1 || n > MaxPartitionKeyLen {
		bound := "greater than or equal to 1"
		if n > 0 {
			bound = fmt.Sprintf("less than or equal to %d", MaxPartitionKeyLen)
		}
		return [16]byte{}, validationf("Value '%s' at '%spartitionKey' failed to satisfy constraint: Member must have length %s", key, field, bound)
	}
	if len(e.Data) > MaxRecordSize {
		return [16]byte{}, validationf("Value 'java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]' at '%sdata' failed to satisfy constraint: Member must have length less than or equal to %d", len(e.Data), len(e.Data), field, MaxRecordSize)
	}
	if size := len(e.Data) + len(key); size > MaxRecordSize {
		return [16]byte{}, awsproto.InvalidArgument("Record size %d bytes (data plus partition key) exceeds the limit of %d bytes.", size, MaxRecordSize)
	}
	if e.ExplicitHashKey == nil {
		return key16(PartitionKeyHash(key)), nil
	}
	h := *e.ExplicitHashKey
	if !hashKeyPattern.MatchString(h) {
		return [16]byte{}, validationf("Value '%s' at '%sexplicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})", h, field)
	}
	v, _ := new(big.Int).SetString(h, 10)
	if v.Cmp(maxHashKey) > 0 {
		return [16]byte{}, awsproto.InvalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", h)
	}
	return key16(v), nil
}

func (s *Service) putRecord(_ context.Context, in *putRecordInput) (*putRecordOutput, error) {
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	h, err := checkEntry(&in.putEntry, "")
	if err != nil {
		return nil, err
	}
	st, err := s.active(name)
	if err != nil {
		return nil, err
	}
	res := s.append(st, []putEntry{in.putEntry}, [][16]byte{h}, []bool{false})
	return &putRecordOutput{ShardID: res[0].ShardID, SequenceNumber: res[0].SequenceNumber, EncryptionType: "NONE"}, nil
}

type putRecordsInput struct {
	streamRef
	Records []putEntry `json:"Records"`
}

type putRecordsResult struct {
	ShardID        string `json:"ShardId,omitempty"`
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	ErrorCode      string `json:"ErrorCode,omitempty"`
	ErrorMessage   string `json:"ErrorMessage,omitempty"`
}

type putRecordsOutput struct {
	FailedRecordCount int                `json:"FailedRecordCount"`
	Records           []putRecordsResult `json:"Records"`
	EncryptionType    string             `json:"EncryptionType"`
}

func (s *Service) putRecords(_ context.Context, in *putRecordsInput) (*putRecordsOutput, error) {
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	switch n := len(in.Records); {
	case in.Records == nil:
		return nil, validationf("Value null at 'records' failed to satisfy constraint: Member must not be null")
	case n == 0:
		return nil, validationf("Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case n > MaxRecordsPerPut:
		return nil, validationf("Value '[PutRecordsRequestEntry x %d]' at 'records' failed to satisfy constraint: Member must have length less than or equal to %d", n, MaxRecordsPerPut)
	}
	hashes := make([][16]byte, len(in.Records))
	total := 0
	for i := range in.Records {
		h, err := checkEntry(&in.Records[i], fmt.Sprintf("records.%d.member.", i+1))
		if err != nil {
			return nil, err
		}
		hashes[i] = h
		total += len(in.Records[i].Data) + len(*in.Records[i].PartitionKey)
	}
	if total > MaxPutRecordsSize {
		return nil, awsproto.InvalidArgument("Records size exceeds 5 MB limit: the request's data and partition keys total %d bytes, more than %d.", total, MaxPutRecordsSize)
	}
	st, err := s.active(name)
	if err != nil {
		return nil, err
	}
	failed := make([]bool, len(in.Records))
	for i := range failed {
		failed[i] = s.faults.Roll(fault.Partial)
	}
	out := &putRecordsOutput{Records: s.append(st, in.Records, hashes, failed), EncryptionType: "NONE"}
	for _, r := range out.Records {
		if r.ErrorCode != "" {
			out.FailedRecordCount++
		}
	}
	return out, nil
}

// append stores the entries not marked failed, in order, and reports where
// each went; a failed entry is answered with a throughput error and not stored.
func (s *Service) append(st *stream, entries []putEntry, hashes [][16]byte, failed []bool) []putRecordsResult {
	now := s.now()
	out := make([]putRecordsResult, len(entries))
	st.mu.Lock()
	defer st.mu.Unlock()
	stored := 0
	for i := range entries {
		sh := st.shardFor(hashes[i])
		if failed[i] {
			out[i] = putRecordsResult{ErrorCode: awsproto.CodeThroughputExceeded,
				ErrorMessage: fmt.Sprintf("Rate exceeded for shard %s in stream %s under account %s.", sh.id, st.name, s.account)}
			continue
		}
		if len(sh.recs) > 0 && now.Sub(sh.recs[0].arrival) > retention {
			sh.trim(now)
		}
		c := s.seq.Add(1)
		seq := formatSeq(c, sh.index, st.gen)
		sh.recs = append(sh.recs, record{counter: c, seq: seq, key: *entries[i].PartitionKey, data: entries[i].Data, arrival: now})
		out[i] = putRecordsResult{ShardID: sh.id, SequenceNumber: seq}
		stored++
	}
	if stored > 0 {
		close(st.notify)
		st.notify = make(chan struct{})
	}
	return out
}
