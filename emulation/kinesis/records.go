package kinesis

import (
	"context"
	"crypto/md5"
	"math/big"
	"strconv"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// ---- PutRecord, PutRecords ----

type putEntry struct {
	PartitionKey    *string `json:"PartitionKey"`
	ExplicitHashKey *string `json:"ExplicitHashKey"`
	Data            blob    `json:"Data"`
}

var (
	partitionKeyRule    = strRule{required: true, min: 1, max: MaxPartitionKeyLen}
	explicitHashKeyRule = strRule{pattern: &hashKeyPattern}
)

// valid tells cheaply whether the entry satisfies its constraints, as
// nearly all do.
func (e *putEntry) valid() bool {
	if e.PartitionKey == nil || e.Data == nil || len(e.Data) > MaxRecordSize || e.ExplicitHashKey != nil {
		return false
	}
	n := len(*e.PartitionKey) // bytes; at least as many as UTF-16 units
	return n >= 1 && n <= MaxPartitionKeyLen
}

// check adds the entry's constraint violations; prefix is its path in the
// request ("" for PutRecord, "records.N.member." for PutRecords).
func (e *putEntry) check(v *violations, prefix string) {
	v.str(prefix+"partitionKey", e.PartitionKey, partitionKeyRule)
	v.str(prefix+"explicitHashKey", e.ExplicitHashKey, explicitHashKeyRule)
	switch {
	case e.Data == nil:
		v.add("null", prefix+"data", "Member must not be null")
	case len(e.Data) > MaxRecordSize:
		v.add(blobValue(len(e.Data)), prefix+"data", "Member must have length less than or equal to "+strconv.Itoa(MaxRecordSize))
	}
}

// hashKey places the entry: its explicit hash key, or the MD5 of its
// partition key. The members' constraints have been checked.
func (e *putEntry) hashKey() ([16]byte, error) {
	key := *e.PartitionKey
	if size := len(e.Data) + len(key); size > MaxRecordSize {
		return [16]byte{}, awsproto.InvalidArgument("Record size %d bytes (data plus partition key) exceeds the limit of %d bytes.", size, MaxRecordSize)
	}
	if e.ExplicitHashKey == nil {
		return md5.Sum([]byte(key)), nil // PartitionKeyHash, as bytes
	}
	h := *e.ExplicitHashKey
	v, _ := new(big.Int).SetString(h, 10)
	if v.Cmp(maxHashKey) > 0 {
		return [16]byte{}, awsproto.InvalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", h)
	}
	return key16(v), nil
}

type putRecordInput struct {
	SequenceNumberForOrdering *string `json:"SequenceNumberForOrdering"`
	putEntry
	streamRef
}

type putRecordOutput struct {
	ShardID        string `json:"ShardId"`
	SequenceNumber string `json:"SequenceNumber"`
}

// putError answers a request that named a stream and failed a check that
// needs none: Kinesis looks the stream up first, so a missing stream wins.
func (s *Service) putError(ctx context.Context, name string, err error) error {
	if _, serr := s.backend.Stream(ctx, name); serr != nil {
		return serr
	}
	return err
}

func (s *Service) putRecord(ctx context.Context, in *putRecordInput) (*putRecordOutput, error) {
	var v violations
	v.str("sequenceNumberForOrdering", in.SequenceNumberForOrdering, strRule{pattern: &seqPattern})
	in.check(&v, "")
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	h, err := in.hashKey()
	if err != nil {
		return nil, s.putError(ctx, name, err)
	}
	if seq := in.SequenceNumberForOrdering; seq != nil {
		info, ok := parseSeq(*seq)
		if !ok || info.seqSecs > s.now().Unix() {
			return nil, s.putError(ctx, name, awsproto.InvalidArgument(
				"ExclusiveMinimumSequenceNumber %s used in PutRecord on stream %s under account %s is invalid.", *seq, name, s.account))
		}
	}
	entries := []PutEntry{{PartitionKey: *in.PartitionKey, HashKey: h, Data: in.Data}}
	res := make([]PutResult, 1)
	if err := s.backend.Put(ctx, name, entries, res); err != nil {
		return nil, err
	}
	return &putRecordOutput{ShardID: res[0].ShardID, SequenceNumber: res[0].SequenceNumber}, nil
}

type putRecordsInput struct {
	Records []putEntry `json:"Records"`
	streamRef
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
}

// recordsValue is how Java prints the Records list in a message.
func recordsValue(n int) string {
	const member = "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310"
	return "[" + strings.TrimSuffix(strings.Repeat(member+", ", n), ", ") + "]"
}

func (s *Service) putRecords(ctx context.Context, in *putRecordsInput) (*putRecordsOutput, error) {
	var v violations
	switch n := len(in.Records); {
	case in.Records == nil:
		v.add("null", "records", "Member must not be null")
	case n == 0:
		v.add("[]", "records", "Member must have length greater than or equal to 1")
	case n > MaxRecordsPerPut:
		v.add(recordsValue(n), "records", "Member must have length less than or equal to "+strconv.Itoa(MaxRecordsPerPut))
	}
	for i := range in.Records {
		if e := &in.Records[i]; !e.valid() {
			e.check(&v, "records."+strconv.Itoa(i+1)+".member.")
		}
		if len(v.msgs) >= maxViolations {
			break
		}
	}
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	entries := make([]PutEntry, len(in.Records))
	total := 0
	for i := range in.Records {
		e := &in.Records[i]
		h, err := e.hashKey()
		if err != nil {
			return nil, s.putError(ctx, name, err)
		}
		entries[i] = PutEntry{PartitionKey: *e.PartitionKey, HashKey: h, Data: e.Data, Reject: s.faults.Roll(fault.Partial)}
		total += len(e.Data) + len(*e.PartitionKey)
	}
	if total > MaxPutRecordsSize {
		return nil, s.putError(ctx, name, awsproto.InvalidArgument(
			"Records size exceeds 5 MB limit: the request's data and partition keys total %d bytes, more than %d.", total, MaxPutRecordsSize))
	}
	res := make([]PutResult, len(entries))
	if err := s.backend.Put(ctx, name, entries, res); err != nil {
		return nil, err
	}
	out := &putRecordsOutput{Records: make([]putRecordsResult, len(res))}
	for i, r := range res {
		out.Records[i] = putRecordsResult(r)
		if r.ErrorCode != "" {
			out.FailedRecordCount++
		}
	}
	return out, nil
}
