package kinesis

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// A shard iterator is opaque to clients. Like AWS's, it is the base64 of
// eight bytes holding 1 followed by a body whose length is a multiple of 16
// bytes, 144 at least. The body holds the stream incarnation, the shard
// number, the position of the next record, the time the iterator was
// issued (service clock, Unix ms), the stream name and a CRC-32 over all of
// that, so that a mangled iterator is rejected; zeros pad it.
type iterator struct {
	gen    uint64
	shard  int
	pos    uint64
	issued time.Time
	stream string
}

const (
	iteratorVersion = 1
	iteratorMinBody = 144
)

func (it iterator) encode() string {
	body := make([]byte, 0, 8+4+8+8+1+len(it.stream)+4)
	body = binary.BigEndian.AppendUint64(body, it.gen)
	body = binary.BigEndian.AppendUint32(body, uint32(it.shard))
	body = binary.BigEndian.AppendUint64(body, it.pos)
	body = binary.BigEndian.AppendUint64(body, uint64(it.issued.UnixMilli()))
	body = append(body, byte(len(it.stream)))
	body = append(body, it.stream...)
	body = binary.BigEndian.AppendUint32(body, crc32.ChecksumIEEE(body))
	n := max(iteratorMinBody, (len(body)+15)/16*16)
	b := make([]byte, 8, 8+n)
	binary.BigEndian.PutUint64(b, iteratorVersion)
	b = append(b, body...)
	b = b[:8+n]
	return base64.StdEncoding.EncodeToString(b)
}

func decodeIterator(s string) (iterator, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) < 8+iteratorMinBody || binary.BigEndian.Uint64(b) != iteratorVersion {
		return iterator{}, false
	}
	body := b[8:]
	const fixed = 8 + 4 + 8 + 8 + 1
	nameLen := int(body[fixed-1])
	end := fixed + nameLen
	if end+4 > len(body) || crc32.ChecksumIEEE(body[:end]) != binary.BigEndian.Uint32(body[end:end+4]) {
		return iterator{}, false
	}
	return iterator{
		gen:    binary.BigEndian.Uint64(body[0:8]),
		shard:  int(binary.BigEndian.Uint32(body[8:12])),
		pos:    binary.BigEndian.Uint64(body[12:20]),
		issued: time.UnixMilli(int64(binary.BigEndian.Uint64(body[20:28]))),
		stream: string(body[fixed:end]),
	}, true
}

// ---- GetShardIterator ----

type getShardIteratorInput struct {
	ShardID                *string `json:"ShardId"`
	ShardIteratorType      *string `json:"ShardIteratorType"`
	StartingSequenceNumber *string `json:"StartingSequenceNumber"`
	streamRef
	Timestamp *timestamp `json:"Timestamp"`
}

type getShardIteratorOutput struct {
	ShardIterator string `json:"ShardIterator"`
}

const (
	iterAtSeq    = "AT_SEQUENCE_NUMBER"
	iterAfterSeq = "AFTER_SEQUENCE_NUMBER"
)

func validIteratorType(t string) bool {
	switch t {
	case iterAfterSeq, SeekLatest, SeekAtTime, iterAtSeq, SeekTrimHorizon:
		return true
	}
	return false
}

// formatMillis prints epoch milliseconds as Kinesis does in messages.
func formatMillis(ms float64) string { return strconv.FormatFloat(ms, 'f', -1, 64) }

func (s *Service) getShardIterator(ctx context.Context, in *getShardIteratorInput) (*getShardIteratorOutput, error) {
	var v violations
	v.str("shardId", in.ShardID, shardIDRule)
	v.enum("shardIteratorType", in.ShardIteratorType, true, "AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON", validIteratorType)
	v.str("startingSequenceNumber", in.StartingSequenceNumber, strRule{pattern: &seqPattern})
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	ix := shardIndex(*in.ShardID)
	if ix < 0 {
		return nil, awsproto.NotFound("Could not find shard %s in stream %s under account %s.", *in.ShardID, name, s.account)
	}
	shardID := shardName(int64(ix))
	missing := awsproto.NotFound("Shard %s in stream %s under account %s does not exist", shardID, name, s.account)
	info, err := s.backend.Stream(ctx, name)
	if err != nil {
		return nil, missing
	}
	shards := visibleShards(info)
	if ix >= len(shards) {
		return nil, missing
	}
	typ := *in.ShardIteratorType
	mustEither := func(what string) error {
		return awsproto.InvalidArgument("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s %s.", typ, what)
	}
	now := s.now()
	var seek Seek
	var pos uint64
	switch typ {
	case SeekTrimHorizon, SeekLatest:
		if in.StartingSequenceNumber != nil {
			return nil, mustEither("and also a StartingSequenceNumber")
		}
		seek.Kind = typ
	case iterAtSeq, iterAfterSeq:
		seq := in.StartingSequenceNumber
		if seq == nil {
			return nil, mustEither("and no StartingSequenceNumber")
		}
		p, err := s.checkSeq(*seq, &shards[ix], name)
		if err != nil {
			return nil, err
		}
		pos = p
		if typ == iterAfterSeq {
			pos++
		}
	case SeekAtTime:
		if in.Timestamp == nil {
			return nil, awsproto.InvalidArgument("Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
		}
		ms := float64(*in.Timestamp) * 1000
		if nowMs := now.UnixMilli(); ms > float64(nowMs) {
			return nil, awsproto.InvalidArgument("The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: %s, currentTimestampInMillis: %d", formatMillis(ms), nowMs)
		}
		seek = Seek{Kind: SeekAtTime, Time: in.Timestamp.time()}
	}
	gen := info.Gen
	if seek.Kind != "" {
		if gen, pos, err = s.backend.Seek(ctx, name, ix, seek); err != nil {
			return nil, err
		}
	}
	it := iterator{gen: gen, shard: ix, pos: pos, issued: now, stream: name}
	return &getShardIteratorOutput{ShardIterator: it.encode()}, nil
}

// checkSeq checks that a StartingSequenceNumber belongs to shard and
// returns its position.
func (s *Service) checkSeq(seq string, shard *ShardInfo, stream string) (uint64, error) {
	info, ok := parseSeq(seq)
	if !ok {
		return 0, awsproto.InvalidArgument("StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid.",
			seq, shard.ID, stream, s.account)
	}
	if info.shardIx != int64(shard.Index) {
		return 0, awsproto.InvalidArgument("Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s",
			shardName(info.shardIx), shard.ID)
	}
	if info.version != seqVersion || info.shardCreateSecs != shard.CreateSecs {
		if info.version == 0 {
			// Kinesis fails on sequence numbers of its first layout.
			return 0, &awsproto.Error{Code: awsproto.CodeInternalFailure, Status: 500}
		}
		return 0, awsproto.InvalidArgument("StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid because it did not come from this stream.",
			seq, shard.ID, stream, s.account)
	}
	return info.seqIx, nil
}

// ---- GetRecords ----

type getRecordsInput struct {
	Limit         *integer `json:"Limit"`
	ShardIterator *string  `json:"ShardIterator"`
	StreamARN     *string  `json:"StreamARN"`
}

type recordOut struct {
	SequenceNumber              string `json:"SequenceNumber"`
	ApproximateArrivalTimestamp epoch  `json:"ApproximateArrivalTimestamp"`
	Data                        []byte `json:"Data"`
	PartitionKey                string `json:"PartitionKey"`
}

type childShardOut struct {
	ShardID      string       `json:"ShardId"`
	ParentShards []string     `json:"ParentShards"`
	HashKeyRange hashKeyRange `json:"HashKeyRange"`
}

type getRecordsOutput struct {
	Records            []recordOut     `json:"Records"`
	NextShardIterator  string          `json:"NextShardIterator,omitempty"`
	MillisBehindLatest int64           `json:"MillisBehindLatest"`
	ChildShards        []childShardOut `json:"ChildShards,omitempty"`
}

// javaDate formats t as Java's Date.toString does in UTC.
func javaDate(t time.Time) string { return t.UTC().Format("Mon Jan 02 15:04:05 MST 2006") }

func (s *Service) getRecords(ctx context.Context, in *getRecordsInput) (*getRecordsOutput, error) {
	var v violations
	v.int("limit", in.Limit, false, 1, MaxGetRecordsLimit)
	v.str("shardIterator", in.ShardIterator, strRule{required: true, min: 1, max: 512})
	v.str("streamARN", in.StreamARN, streamARNRule)
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := MaxGetRecordsLimit
	if n, ok := intp(in.Limit); ok {
		limit = n
	}
	it, ok := decodeIterator(*in.ShardIterator)
	if !ok {
		return nil, awsproto.InvalidArgument("Invalid ShardIterator.")
	}
	now := s.now()
	if now.Sub(it.issued) > IteratorLifetime {
		return nil, awsproto.Errorf(400, "ExpiredIteratorException",
			"Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			javaDate(it.issued), javaDate(now), IteratorLifetime.Milliseconds())
	}
	if in.StreamARN != nil {
		if n, ok := streamNameFromARN(*in.StreamARN); !ok || n != it.stream {
			return nil, awsproto.InvalidArgument("StreamARN %s does not match the stream of the ShardIterator.", *in.StreamARN)
		}
	}
	res, err := s.backend.Read(ctx, it.stream, it.gen, it.shard, it.pos, limit, MaxGetRecordsBytes)
	if err != nil {
		return nil, err
	}
	out := &getRecordsOutput{Records: make([]recordOut, len(res.Records)), MillisBehindLatest: res.MillisBehind}
	for i, r := range res.Records {
		out.Records[i] = recordOut{SequenceNumber: r.SequenceNumber, ApproximateArrivalTimestamp: epoch(r.ArrivalTime), Data: r.Data, PartitionKey: r.PartitionKey}
	}
	if res.End && len(res.Records) == 0 {
		// Past the end of a closed shard: no next iterator, its children
		// instead. The call that returns the shard's last records still
		// gives an iterator, as Kinesis does (kinesalite's recorded tests).
		for _, c := range res.Children {
			out.ChildShards = append(out.ChildShards, childShardOut{ShardID: c.ShardID, ParentShards: c.ParentShards, HashKeyRange: hashKeyRange{c.StartKey, c.EndKey}})
		}
		return out, nil
	}
	next := iterator{gen: it.gen, shard: it.shard, pos: res.Next, issued: now, stream: it.stream}
	out.NextShardIterator = next.encode()
	return out, nil
}
