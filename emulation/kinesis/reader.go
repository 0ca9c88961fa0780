package kinesis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// ErrStreamNotFound is returned by the in-process API for a stream that does
// not exist or was deleted.
var ErrStreamNotFound = errors.New("kinesis stream not found")

// Record is one data record as the in-process Reader (and Backend.Read)
// returns it. Data is shared with the store and must not be modified.
type Record struct {
	ShardID        string
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	ArrivalTime    time.Time
	Position       uint64 // the record's place in the stream's order
}

// Reader consumes every shard of one stream in-process, the way a Kinesis
// consumer with one LATEST iterator per open shard would, without HTTP. It
// follows resharding: a closed shard is read to its end, then its children
// from their start. It is not safe for concurrent use.
type Reader struct {
	backend Backend
	name    string
	arn     string
	gen     uint64
	shards  []readerShard // the shards being read
	seen    map[int]bool  // every shard read or being read
}

type readerShard struct {
	index int
	next  uint64 // the position of the next record to return
}

// NewLatestReader returns a Reader positioned at the tip of every open
// shard of the stream named by nameOrARN (a stream name or its ARN): it
// returns only records put after this call. The stream must exist and not
// be deleting; it may still be CREATING.
func (s *Service) NewLatestReader(nameOrARN string) (*Reader, error) {
	ctx := context.Background()
	name := nameOrARN
	if n, ok := streamNameFromARN(nameOrARN); ok {
		name = n
	}
	info, err := s.backend.Stream(ctx, name)
	if err != nil || info.Status == statusDeleting {
		return nil, fmt.Errorf("read %s: %w", nameOrARN, ErrStreamNotFound)
	}
	r := &Reader{backend: s.backend, name: name, arn: info.ARN, gen: info.Gen, seen: map[int]bool{}}
	for _, sh := range info.Shards {
		if !sh.Closed.IsZero() {
			continue
		}
		// A CREATING stream has no records: its tip is the first position.
		next := uint64(1)
		if info.Status != statusCreating {
			gen, pos, err := s.backend.Seek(ctx, name, sh.Index, Seek{Kind: SeekLatest})
			if err != nil || gen != info.Gen {
				return nil, fmt.Errorf("read %s: %w", nameOrARN, ErrStreamNotFound)
			}
			next = pos
		}
		r.seen[sh.Index] = true
		r.shards = append(r.shards, readerShard{index: sh.Index, next: next})
	}
	return r, nil
}

func isNotFound(err error) bool {
	var pe *awsproto.Error
	return errors.As(err, &pe) && pe.Code == awsproto.CodeResourceNotFound
}

// StreamARN is the ARN of the stream being read.
func (r *Reader) StreamARN() string { return r.arn }

// Read returns up to limit records that arrived since the previous Read, in
// the order they were put (across shards, and within each shard in
// sequence order). It also returns a channel that is closed as soon as more
// records arrive after this call, the stream's shards change or it is
// deleted; wait on it instead of polling. Read returns ErrStreamNotFound
// once the stream has been deleted.
func (r *Reader) Read(limit int) ([]Record, <-chan struct{}, error) {
	ctx := context.Background()
	notify, err := r.backend.Changes(ctx, r.name, r.gen)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", r.name, ErrStreamNotFound)
	}
	type read struct {
		slot int
		res  *ReadResult
	}
	reads := make([]read, 0, len(r.shards))
	var cands []Record
	for slot, sh := range r.shards {
		res, err := r.backend.Read(ctx, r.name, r.gen, sh.index, sh.next, limit, MaxGetRecordsBytes)
		if err != nil {
			if isNotFound(err) {
				continue // the stream is still CREATING
			}
			return nil, nil, fmt.Errorf("read %s: %w", r.name, err)
		}
		reads = append(reads, read{slot, res})
		if cands == nil {
			cands = make([]Record, 0, len(res.Records)*len(r.shards))
		}
		cands = append(cands, res.Records...)
	}
	slices.SortFunc(cands, func(a, b Record) int { return cmp.Compare(a.Position, b.Position) })
	if len(cands) > limit {
		cands = cands[:limit]
	}
	// The records returned are those at or before the last one's position.
	cutoff := uint64(0)
	if len(cands) > 0 {
		cutoff = cands[len(cands)-1].Position
	}
	var done []int
	for _, rd := range reads {
		sh := &r.shards[rd.slot]
		recs := rd.res.Records
		n := sort.Search(len(recs), func(i int) bool { return recs[i].Position > cutoff })
		if n > 0 {
			sh.next = rd.res.Records[n-1].Position + 1
		}
		if !rd.res.End || n < len(rd.res.Records) {
			continue
		}
		// Read to its end: its children take over.
		done = append(done, rd.slot)
		for _, c := range rd.res.Children {
			ix := shardIndex(c.ShardID)
			if ix >= 0 && !r.seen[ix] {
				r.seen[ix] = true
				r.shards = append(r.shards, readerShard{index: ix})
			}
		}
	}
	for i := len(done) - 1; i >= 0; i-- {
		r.shards = append(r.shards[:done[i]], r.shards[done[i]+1:]...)
	}
	return cands, notify, nil
}
