package kinesis

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
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

const (
	modeProvisioned = "PROVISIONED"
	modeOnDemand    = "ON_DEMAND"
	onDemandShards  = 4 // an on-demand stream starts with four shards
)

type streamModeDetails struct {
	StreamMode *string `json:"StreamMode"`
}

type streamModeOut struct {
	StreamMode string `json:"StreamMode"`
}

// ---- CreateStream ----

type createStreamInput struct {
	ShardCount        *integer           `json:"ShardCount"`
	StreamName        *string            `json:"StreamName"`
	StreamModeDetails *streamModeDetails `json:"StreamModeDetails"`
	Tags              map[string]string  `json:"Tags"`
}

// empty is the output of operations that answer with an empty body.
type empty struct{}

func (s *Service) createStream(ctx context.Context, in *createStreamInput) (*empty, error) {
	var v violations
	// ShardCount is optional in today's API (an ON_DEMAND stream has none).
	v.int("shardCount", in.ShardCount, false, 1, 100000)
	v.str("streamName", in.StreamName, strRule{required: true, pattern: &namePattern, min: 1, max: 128})
	if in.StreamModeDetails != nil {
		v.enum("streamModeDetails.streamMode", in.StreamModeDetails.StreamMode, true, "PROVISIONED, ON_DEMAND",
			func(m string) bool { return m == modeProvisioned || m == modeOnDemand })
	}
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	mode := modeProvisioned
	if in.StreamModeDetails != nil {
		mode = *in.StreamModeDetails.StreamMode
	}
	n, given := intp(in.ShardCount)
	switch {
	case given && mode == modeOnDemand:
		return nil, awsproto.InvalidArgument("ShardCount cannot be specified for an ON_DEMAND stream.")
	case mode == modeOnDemand:
		n = onDemandShards
	case !given:
		return nil, awsproto.InvalidArgument("ShardCount is required for a PROVISIONED stream.")
	}
	name := *in.StreamName
	if len(in.Tags) > 0 {
		if err := s.checkTagChars(in.Tags, nil, "add tags to", name); err != nil {
			return nil, err
		}
	}
	if err := s.backend.CreateStream(ctx, StreamSpec{Name: name, Shards: n, Mode: mode}); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		if err := s.backend.TagStream(ctx, name, in.Tags); err != nil {
			return nil, err
		}
	}
	s.log.Debug("kinesis stream created", "stream", name, "shards", n, "mode", mode)
	return nil, nil
}

// ---- DeleteStream ----

type deleteStreamInput struct {
	streamRef
	EnforceConsumerDeletion *boolean `json:"EnforceConsumerDeletion"`
}

func (s *Service) deleteStream(ctx context.Context, in *deleteStreamInput) (*empty, error) {
	var v violations
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	if err := s.backend.DeleteStream(ctx, name); err != nil {
		return nil, err
	}
	s.log.Debug("kinesis stream deleted", "stream", name)
	return nil, nil
}

// ---- DescribeStream, DescribeStreamSummary ----

type hashKeyRange struct {
	StartingHashKey string `json:"StartingHashKey"`
	EndingHashKey   string `json:"EndingHashKey"`
}

type sequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shardOut struct {
	ShardID               string              `json:"ShardId"`
	ParentShardID         string              `json:"ParentShardId,omitempty"`
	AdjacentParentShardID string              `json:"AdjacentParentShardId,omitempty"`
	HashKeyRange          hashKeyRange        `json:"HashKeyRange"`
	SequenceNumberRange   sequenceNumberRange `json:"SequenceNumberRange"`
}

func shardOutOf(sh *ShardInfo) shardOut {
	return shardOut{
		ShardID: sh.ID, ParentShardID: sh.Parent, AdjacentParentShardID: sh.AdjacentParent,
		HashKeyRange:        hashKeyRange{sh.StartKey, sh.EndKey},
		SequenceNumberRange: sequenceNumberRange{sh.StartSeq, sh.EndSeq},
	}
}

type enhancedMetrics struct {
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

var noEnhancedMonitoring = []enhancedMetrics{{ShardLevelMetrics: []string{}}}

type describeStreamInput struct {
	Limit                 *integer `json:"Limit"`
	ExclusiveStartShardID *string  `json:"ExclusiveStartShardId"`
	streamRef
}

type streamDescription struct {
	StreamName              string            `json:"StreamName"`
	StreamARN               string            `json:"StreamARN"`
	StreamStatus            string            `json:"StreamStatus"`
	StreamModeDetails       streamModeOut     `json:"StreamModeDetails"`
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

// visibleShards are the shards a description lists: none while the stream
// is CREATING or DELETING, as AWS shows.
func visibleShards(info *StreamInfo) []ShardInfo {
	if info.Status == statusCreating || info.Status == statusDeleting {
		return nil
	}
	return info.Shards
}

func (s *Service) describeStream(ctx context.Context, in *describeStreamInput) (*describeStreamOutput, error) {
	var v violations
	v.int("limit", in.Limit, false, 1, 10000)
	v.str("exclusiveStartShardId", in.ExclusiveStartShardID, strRule{pattern: &namePattern, min: 1, max: 128})
	name, err := v.streamName(in.streamRef)
	if err != nil {
		return nil, err
	}
	limit := 100
	if n, ok := intp(in.Limit); ok {
		limit = min(n, 100)
	}
	info, err := s.backend.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	shards, more := pageShards(visibleShards(info), deref(in.ExclusiveStartShardID), limit)
	out := make([]shardOut, len(shards))
	for i := range shards {
		out[i] = shardOutOf(&shards[i])
	}
	return &describeStreamOutput{streamDescription{
		StreamName: info.Name, StreamARN: info.ARN, StreamStatus: info.Status,
		StreamModeDetails: streamModeOut{info.Mode},
		Shards:            out, HasMoreShards: more, RetentionPeriodHours: info.RetentionHours,
		StreamCreationTimestamp: epoch(info.Created),
		EnhancedMonitoring:      noEnhancedMonitoring,
		EncryptionType:          "NONE",
	}}, nil
}

// pageShards returns up to limit shards after the one named after (shard ids
// sort as their numbers do), and whether more follow.
func pageShards(all []ShardInfo, after string, limit int) ([]ShardInfo, bool) {
	from := 0
	if after != "" {
		from = len(all)
		for i := range all {
			if all[i].ID > after {
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
		StreamModeDetails       streamModeOut     `json:"StreamModeDetails"`
		RetentionPeriodHours    int               `json:"RetentionPeriodHours"`
		StreamCreationTimestamp epoch             `json:"StreamCreationTimestamp"`
		EnhancedMonitoring      []enhancedMetrics `json:"EnhancedMonitoring"`
		EncryptionType          string            `json:"EncryptionType"`
		OpenShardCount          int               `json:"OpenShardCount"`
		ConsumerCount           int               `json:"ConsumerCount"`
		MaxRecordSizeInKiB      int               `json:"MaxRecordSizeInKiB"`
	} `json:"StreamDescriptionSummary"`
}

func (s *Service) describeStreamSummary(ctx context.Context, in *streamRef) (*describeStreamSummaryOutput, error) {
	var v violations
	v.stream(in)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := in.name()
	if err != nil {
		return nil, err
	}
	info, err := s.backend.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	out := &describeStreamSummaryOutput{}
	d := &out.StreamDescriptionSummary
	d.StreamName, d.StreamARN, d.StreamStatus = info.Name, info.ARN, info.Status
	d.StreamModeDetails = streamModeOut{info.Mode}
	d.RetentionPeriodHours = info.RetentionHours
	d.StreamCreationTimestamp = epoch(info.Created)
	d.EnhancedMonitoring = noEnhancedMonitoring
	d.EncryptionType = "NONE"
	for _, sh := range visibleShards(info) {
		if sh.Closed.IsZero() {
			d.OpenShardCount++
		}
	}
	d.MaxRecordSizeInKiB = MaxRecordSize >> 10
	return out, nil
}

// ---- ListStreams ----

type listStreamsInput struct {
	Limit                    *integer `json:"Limit"`
	ExclusiveStartStreamName *string  `json:"ExclusiveStartStreamName"`
	NextToken                *string  `json:"NextToken"`
}

type streamSummary struct {
	StreamName              string        `json:"StreamName"`
	StreamARN               string        `json:"StreamARN"`
	StreamStatus            string        `json:"StreamStatus"`
	StreamModeDetails       streamModeOut `json:"StreamModeDetails"`
	StreamCreationTimestamp epoch         `json:"StreamCreationTimestamp"`
}

type listStreamsOutput struct {
	StreamNames     []string        `json:"StreamNames"`
	StreamSummaries []streamSummary `json:"StreamSummaries"`
	HasMoreStreams  bool            `json:"HasMoreStreams"`
	NextToken       string          `json:"NextToken,omitempty"`
}

func encodeToken(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeToken(s string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err == nil
}

func (s *Service) listStreams(ctx context.Context, in *listStreamsInput) (*listStreamsOutput, error) {
	var v violations
	v.int("limit", in.Limit, false, 1, 10000)
	v.str("exclusiveStartStreamName", in.ExclusiveStartStreamName, strRule{pattern: &namePattern, min: 1, max: 128})
	v.str("nextToken", in.NextToken, strRule{min: 1, max: 1048576})
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := 100
	if n, ok := intp(in.Limit); ok {
		limit = min(n, 100)
	}
	after := deref(in.ExclusiveStartStreamName)
	if in.NextToken != nil {
		tok, ok := decodeToken(*in.NextToken)
		if !ok {
			return nil, awsproto.InvalidArgument("Invalid NextToken.")
		}
		after = tok
	}
	all, err := s.backend.ListStreams(ctx)
	if err != nil {
		return nil, err
	}
	out := &listStreamsOutput{StreamNames: []string{}, StreamSummaries: []streamSummary{}}
	for _, st := range all {
		if after != "" && st.Name <= after {
			continue
		}
		if len(out.StreamNames) == limit {
			out.HasMoreStreams = true
			out.NextToken = encodeToken(out.StreamNames[limit-1])
			break
		}
		out.StreamNames = append(out.StreamNames, st.Name)
		out.StreamSummaries = append(out.StreamSummaries, streamSummary{
			StreamName: st.Name, StreamARN: st.ARN, StreamStatus: st.Status,
			StreamModeDetails: streamModeOut{st.Mode}, StreamCreationTimestamp: epoch(st.Created),
		})
	}
	return out, nil
}

// ---- ListShards ----

type shardFilter struct {
	Type      *string    `json:"Type"`
	ShardID   *string    `json:"ShardId"`
	Timestamp *timestamp `json:"Timestamp"`
}

type listShardsInput struct {
	ExclusiveStartShardID   *string      `json:"ExclusiveStartShardId"`
	MaxResults              *integer     `json:"MaxResults"`
	NextToken               *string      `json:"NextToken"`
	StreamCreationTimestamp *timestamp   `json:"StreamCreationTimestamp"`
	ShardFilter             *shardFilter `json:"ShardFilter"`
	streamRef
}

type listShardsOutput struct {
	Shards    []shardOut `json:"Shards"`
	NextToken string     `json:"NextToken,omitempty"`
}

var shardFilterTypes = []string{"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"}

func (s *Service) listShards(ctx context.Context, in *listShardsInput) (*listShardsOutput, error) {
	var v violations
	v.str("exclusiveStartShardId", in.ExclusiveStartShardID, strRule{pattern: &namePattern, min: 1, max: 128})
	v.int("maxResults", in.MaxResults, false, 1, 10000)
	v.str("nextToken", in.NextToken, strRule{min: 1, max: 1048576})
	v.stream(&in.streamRef)
	if f := in.ShardFilter; f != nil {
		v.enum("shardFilter.type", f.Type, true, strings.Join(shardFilterTypes, ", "), func(t string) bool {
			for _, ok := range shardFilterTypes {
				if t == ok {
					return true
				}
			}
			return false
		})
		v.str("shardFilter.shardId", f.ShardID, strRule{pattern: &namePattern, min: 1, max: 128})
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := 1000
	if n, ok := intp(in.MaxResults); ok {
		limit = n
	}
	var name, after string
	switch {
	case in.NextToken != nil:
		if in.StreamName != nil || in.StreamARN != nil || in.ExclusiveStartShardID != nil || in.StreamCreationTimestamp != nil {
			return nil, awsproto.InvalidArgument("NextToken and StreamName cannot be provided together.")
		}
		tok, ok := decodeToken(*in.NextToken)
		if !ok {
			return nil, awsproto.InvalidArgument("Invalid NextToken.")
		}
		name, after, _ = strings.Cut(tok, "\x00")
	case in.StreamName == nil && in.StreamARN == nil:
		return nil, awsproto.InvalidArgument("Either NextToken or StreamName should be provided.")
	default:
		var err error
		if name, err = in.name(); err != nil {
			return nil, err
		}
		after = deref(in.ExclusiveStartShardID)
	}
	info, err := s.backend.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	if info.Status == statusCreating {
		return nil, awsproto.InUse("Stream %s under account %s is not ACTIVE.", name, s.account)
	}
	shards := visibleShards(info)
	if f := in.ShardFilter; f != nil {
		var err error
		if shards, after, err = s.filterShards(info, shards, f, after); err != nil {
			return nil, err
		}
	}
	page, more := pageShards(shards, after, limit)
	out := &listShardsOutput{Shards: make([]shardOut, len(page))}
	for i := range page {
		out.Shards[i] = shardOutOf(&page[i])
	}
	if more {
		out.NextToken = encodeToken(name + "\x00" + page[len(page)-1].ID)
	}
	return out, nil
}

// filterShards applies a ShardFilter: the shards open at a point in time
// (the trim horizon, now or a timestamp) or open since.
func (s *Service) filterShards(info *StreamInfo, all []ShardInfo, f *shardFilter, after string) ([]ShardInfo, string, error) {
	now := s.now()
	openAt := func(sh *ShardInfo, t time.Time) bool {
		return !sh.Opened.After(t) && (sh.Closed.IsZero() || sh.Closed.After(t))
	}
	openSince := func(sh *ShardInfo, t time.Time) bool { return sh.Closed.IsZero() || sh.Closed.After(t) }
	horizon := now.Add(-time.Duration(info.RetentionHours) * time.Hour)
	var keep func(*ShardInfo) bool
	switch *f.Type {
	case "AFTER_SHARD_ID":
		if f.ShardID == nil {
			return nil, "", awsproto.InvalidArgument("ShardId must be specified for ShardFilter type AFTER_SHARD_ID.")
		}
		after = *f.ShardID
		keep = func(*ShardInfo) bool { return true }
	case "AT_TRIM_HORIZON":
		keep = func(sh *ShardInfo) bool { return openAt(sh, horizon) || (sh.Parent == "" && sh.Opened.After(horizon)) }
	case "FROM_TRIM_HORIZON":
		keep = func(sh *ShardInfo) bool { return openSince(sh, horizon) }
	case "AT_LATEST":
		keep = func(sh *ShardInfo) bool { return sh.Closed.IsZero() }
	case "AT_TIMESTAMP", "FROM_TIMESTAMP":
		if f.Timestamp == nil {
			return nil, "", awsproto.InvalidArgument("Timestamp must be specified for ShardFilter type %s.", *f.Type)
		}
		t := f.Timestamp.time()
		if *f.Type == "AT_TIMESTAMP" {
			keep = func(sh *ShardInfo) bool { return openAt(sh, t) || (sh.Parent == "" && sh.Opened.After(t)) }
		} else {
			keep = func(sh *ShardInfo) bool { return openSince(sh, t) }
		}
	}
	var out []ShardInfo
	for i := range all {
		if keep(&all[i]) {
			out = append(out, all[i])
		}
	}
	return out, after, nil
}
