package kinesis

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// A shard iterator is opaque to clients: base64 of a version byte, the
// stream incarnation, the shard index, the absolute position of the next
// record, the time it was issued (service clock, Unix ms), the stream name,
// and a CRC-32 over all of that so that a mangled iterator is rejected.
type iterator struct {
	gen    uint64
	shard  int
	pos    int64
	issued time.Time
	stream string
}

const iteratorVersion = 1

func (it iterator) encode() string {
	b := make([]byte, 0, 1+8+4+8+8+len(it.stream)+4)
	b = append(b, iteratorVersion)
	b = binary.BigEndian.AppendUint64(b, it.gen)
	b = binary.BigEndian.AppendUint32(b, uint32(it.shard))
	b = binary.BigEndian.AppendUint64(b, uint64(it.pos))
	b = binary.BigEndian.AppendUint64(b, uint64(it.issued.UnixMilli()))
	b = append(b, it.stream...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(b)
}

func decodeIterator(s string) (iterator, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) < 1+8+4+8+8+4 || b[0] != iteratorVersion {
		return iterator{}, false
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return iterator{}, false
	}
	return iterator{
		gen:    binary.BigEndian.Uint64(body[1:9]),
		shard:  int(binary.BigEndian.Uint32(body[9:13])),
		pos:    int64(binary.BigEndian.Uint64(body[13:21])),
		issued: time.UnixMilli(int64(binary.BigEndian.Uint64(body[21:29]))),
		stream: string(body[29:]),
	}, true
}

func encodeToken(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeToken(s string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err == nil
}

// ---- GetShardIterator ----

type getShardIteratorInput struct {
	streamRef
	ShardID                string `json:"ShardId"`
	ShardIteratorType      string `json:"ShardIteratorType"`
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	Timestamp              *epoch `json:"Timestamp"`
}

type getShardIteratorOutput struct {
	ShardIterator string `json:"ShardIterator"`
}

func (s *Service) getShardIterator(_ context.Context, in *getShardIteratorInput) (*getShardIteratorOutput, error) {
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	if in.ShardID == "" {
		return nil, validationf("Value null at 'shardId' failed to satisfy constraint: Member must not be null")
	}
	switch in.ShardIteratorType {
	case "TRIM_HORIZON", "LATEST":
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		if in.StartingSequenceNumber == "" {
			return nil, awsproto.InvalidArgument("StartingSequenceNumber must be specified for ShardIteratorType %s.", in.ShardIteratorType)
		}
		if !seqPattern.MatchString(in.StartingSequenceNumber) {
			return nil, validationf("Value '%s' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})", in.StartingSequenceNumber)
		}
	case "AT_TIMESTAMP":
		if in.Timestamp == nil {
			return nil, awsproto.InvalidArgument("Timestamp must be specified for ShardIteratorType AT_TIMESTAMP.")
		}
	case "":
		return nil, validationf("Value null at 'shardIteratorType' failed to satisfy constraint: Member must not be null")
	default:
		return nil, validationf("Value '%s' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, TRIM_HORIZON, LATEST]", in.ShardIteratorType)
	}
	st, err := s.active(name)
	if err != nil {
		return nil, err
	}
	sh := st.shardByID(in.ShardID)
	if sh == nil {
		return nil, awsproto.NotFound("Shard %s in stream %s under account %s does not exist", in.ShardID, name, s.account)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var pos int64
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
		pos = sh.base
	case "LATEST":
		pos = sh.endPos()
	case "AT_TIMESTAMP":
		pos = sh.posAtTime(time.Time(*in.Timestamp))
	default:
		c, idx, gen, ok := parseSeq(in.StartingSequenceNumber)
		if !ok || gen != st.gen || idx != sh.index {
			return nil, awsproto.InvalidArgument("StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid because it did not come from this stream.",
				in.StartingSequenceNumber, sh.id, name, s.account)
		}
		if in.ShardIteratorType == "AFTER_SEQUENCE_NUMBER" {
			c++
		}
		pos = sh.posAtCounter(c)
	}
	it := iterator{gen: st.gen, shard: sh.index, pos: pos, issued: s.now(), stream: name}
	return &getShardIteratorOutput{ShardIterator: it.encode()}, nil
}

// ---- GetRecords ----

type getRecordsInput struct {
	ShardIterator string `json:"ShardIterator"`
	Limit         *int   `json:"Limit"`
	StreamARN     string `json:"StreamARN"`
}

type recordOut struct {
	SequenceNumber              string `json:"SequenceNumber"`
	ApproximateArrivalTimestamp epoch  `json:"ApproximateArrivalTimestamp"`
	Data                        []byte `json:"Data"`
	PartitionKey                string `json:"PartitionKey"`
}

type getRecordsOutput struct {
	Records            []recordOut `json:"Records"`
	NextShardIterator  string      `json:"NextShardIterator"`
	MillisBehindLatest int64       `json:"MillisBehindLatest"`
}

func (s *Service) getRecords(_ context.Context, in *getRecordsInput) (*getRecordsOutput, error) {
	if in.ShardIterator == "" {
		return nil, validationf("Value null at 'shardIterator' failed to satisfy constraint: Member must not be null")
	}
	if len(in.ShardIterator) > 512 {
		return nil, validationf("Value '%s' at 'shardIterator' failed to satisfy constraint: Member must have length less than or equal to 512", in.ShardIterator)
	}
	limit := MaxGetRecordsLimit
	if in.Limit != nil {
		// AWS documents InvalidArgumentException above 10000; below 1 is a
		// model constraint.
		if *in.Limit > MaxGetRecordsLimit {
			return nil, awsproto.InvalidArgument("Limit %d is greater than the maximum of %d.", *in.Limit, MaxGetRecordsLimit)
		}
		if *in.Limit < 1 {
			return nil, validationf("Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
		}
		limit = *in.Limit
	}
	it, ok := decodeIterator(in.ShardIterator)
	if !ok {
		return nil, awsproto.InvalidArgument("Invalid ShardIterator.")
	}
	now := s.now()
	if now.Sub(it.issued) > IteratorLifetime {
		return nil, awsproto.Errorf(400, "ExpiredIteratorException",
			"Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			it.issued.UTC().Format(time.UnixDate), now.UTC().Format(time.UnixDate), IteratorLifetime.Milliseconds())
	}
	if in.StreamARN != "" {
		if n, ok := streamNameFromARN(in.StreamARN); !ok || n != it.stream {
			return nil, awsproto.InvalidArgument("StreamARN %s does not match the stream of the ShardIterator.", in.StreamARN)
		}
	}
	st, err := s.active(it.stream)
	if err != nil {
		return nil, err
	}
	if st.gen != it.gen || it.shard >= len(st.shards) {
		return nil, awsproto.NotFound("Shard %s in stream %s under account %s does not exist", shardID(it.shard), it.stream, s.account)
	}
	sh := st.shards[it.shard]

	st.mu.Lock()
	defer st.mu.Unlock()
	pos := max(it.pos, sh.base)
	i := int(pos - sh.base)
	out := &getRecordsOutput{Records: []recordOut{}}
	size := 0
	for ; i < len(sh.recs) && len(out.Records) < limit; i++ {
		r := &sh.recs[i]
		if size > 0 && size+len(r.data)+len(r.key) > MaxGetRecordsBytes {
			break
		}
		size += len(r.data) + len(r.key)
		out.Records = append(out.Records, recordOut{SequenceNumber: r.seq, ApproximateArrivalTimestamp: epoch(r.arrival), Data: r.data, PartitionKey: r.key})
	}
	if i < len(sh.recs) {
		out.MillisBehindLatest = max(0, now.Sub(sh.recs[i].arrival).Milliseconds())
	}
	next := iterator{gen: st.gen, shard: sh.index, pos: sh.base + int64(i), issued: now, stream: it.stream}
	out.NextShardIterator = next.encode()
	return out, nil
}
