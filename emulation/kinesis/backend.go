package kinesis

import (
	"context"
	"math/big"
	"time"
)

// Backend keeps the streams, shards and records of the emulated Kinesis.
// Service turns requests into Backend calls after decoding and validating
// them, and turns the results into responses; a Backend knows nothing of
// the wire. MemStore is the in-memory implementation.
//
// Streams are named; shards are numbered from 0 in the order they were
// created, and keep their number after they close. Positions within a shard
// are record counters: every record of a stream gets the next value of the
// stream's counter (from 1), so positions increase within a shard and
// across the stream. Errors are *awsproto.Error values carrying Kinesis's codes and
// messages (ResourceNotFoundException for a missing stream or shard,
// ResourceInUseException for a stream in the wrong state,
// InvalidArgumentException, LimitExceededException).
type Backend interface {
	// CreateStream creates a stream in state CREATING.
	CreateStream(ctx context.Context, spec StreamSpec) error
	// DeleteStream puts a CREATING or ACTIVE stream in state DELETING; it
	// disappears shortly after.
	DeleteStream(ctx context.Context, name string) error
	// Stream describes a stream, with all its shards, open and closed.
	Stream(ctx context.Context, name string) (*StreamInfo, error)
	// ListStreams returns the streams that exist, sorted by name, without
	// their shards.
	ListStreams(ctx context.Context) ([]StreamInfo, error)

	// SplitShard splits an open shard of an ACTIVE stream in two at
	// newStart; MergeShards merges an open shard with the open shard whose
	// hash-key range follows it. The stream is UPDATING until the change
	// takes effect.
	SplitShard(ctx context.Context, name string, shard int, newStart *big.Int) error
	MergeShards(ctx context.Context, name string, shard, adjacent int) error
	// SetRetention changes how long records stay readable, to hours;
	// increase tells which of the two operations asked, as each refuses to
	// go the other way.
	SetRetention(ctx context.Context, name string, hours int, increase bool) error
	// TagStream adds or replaces tags; UntagStream removes tags by key.
	TagStream(ctx context.Context, name string, tags map[string]string) error
	UntagStream(ctx context.Context, name string, keys []string) error

	// Put stores records in order in an ACTIVE or UPDATING stream, placing
	// each by its hash key, and writes where each went to out (same length
	// as recs). An entry marked Reject is not stored and gets a
	// ProvisionedThroughputExceededException result.
	Put(ctx context.Context, name string, recs []PutEntry, out []PutResult) error
	// Seek returns the stream's incarnation and the position in a shard an
	// iterator of the given kind starts at.
	Seek(ctx context.Context, name string, shard int, at Seek) (gen uint64, pos uint64, err error)
	// Read returns up to limit records (and about maxBytes of data) of a
	// shard from position pos on. gen must be the incarnation Seek
	// returned; a stream deleted or created again since is not found.
	Read(ctx context.Context, name string, gen uint64, shard int, pos uint64, limit, maxBytes int) (*ReadResult, error)
	// Changes returns a channel that is closed when records are added to
	// the stream, its shards change or it is deleted.
	Changes(ctx context.Context, name string, gen uint64) (<-chan struct{}, error)
}

// StreamSpec describes a stream to create.
type StreamSpec struct {
	Name   string
	Shards int    // initial shard count
	Mode   string // PROVISIONED or ON_DEMAND
}

// StreamInfo describes a stream.
type StreamInfo struct {
	Name           string
	ARN            string
	Gen            uint64 // incarnation: a stream created again under the same name is new
	Status         string // CREATING, ACTIVE, UPDATING or DELETING
	Mode           string
	Created        time.Time
	RetentionHours int
	Tags           map[string]string
	Shards         []ShardInfo // by shard number; empty in ListStreams
}

// ShardInfo describes a shard.
type ShardInfo struct {
	Index          int
	ID             string
	Parent         string // the shard split or merged into this one
	AdjacentParent string // the other shard of a merge
	StartKey       string // hash-key range, decimal
	EndKey         string
	StartSeq       string
	EndSeq         string // set once the shard is closed
	CreateSecs     int64  // creation time, as encoded in its sequence numbers
	Opened         time.Time
	Closed         time.Time // zero while open
}

// PutEntry is one record to store.
type PutEntry struct {
	PartitionKey string
	HashKey      [16]byte
	Data         []byte
	Reject       bool
}

// PutResult says where a record went, or why it was not stored.
type PutResult struct {
	ShardID        string
	SequenceNumber string
	ErrorCode      string
	ErrorMessage   string
}

// Seek kinds.
const (
	SeekTrimHorizon = "TRIM_HORIZON"
	SeekLatest      = "LATEST"
	SeekAtTime      = "AT_TIMESTAMP"
)

// Seek says where an iterator starts.
type Seek struct {
	Kind string    // SeekTrimHorizon, SeekLatest or SeekAtTime
	Time time.Time // for SeekAtTime: the first record that arrived at or after it
}

// ReadResult is what Read found.
type ReadResult struct {
	Records []Record
	Next    uint64 // the position after the last record returned
	// End is true when the shard is closed and no record follows the ones
	// returned; Children are then the shards that took over its hash keys.
	End      bool
	Children []ChildShard
	// MillisBehind is how far the first record not returned is behind the
	// tip of the stream; 0 when none is left.
	MillisBehind int64
}

// ChildShard is a shard that took over (part of) a closed shard's hash
// keys.
type ChildShard struct {
	ShardID      string
	ParentShards []string
	StartKey     string
	EndKey       string
}
