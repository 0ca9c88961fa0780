package kinesis

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// ErrStreamNotFound is returned by the in-process API for a stream that does
// not exist or was deleted.
var ErrStreamNotFound = errors.New("kinesis stream not found")

// Record is one data record as the in-process Reader returns it. Data is
// shared with the stream and must not be modified.
type Record struct {
	ShardID        string
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	ArrivalTime    time.Time
}

// Reader consumes every shard of one stream in-process, the way a Kinesis
// consumer with one LATEST iterator per shard would, without HTTP. It is not
// safe for concurrent use.
type Reader struct {
	svc  *Service
	st   *stream
	next []int64 // per shard, the absolute position of the next record
}

// NewLatestReader returns a Reader positioned at the tip of every shard of
// the stream named by nameOrARN (a stream name or its ARN): it returns only
// records put after this call. The stream must exist and not be deleting; it
// may still be CREATING.
func (s *Service) NewLatestReader(nameOrARN string) (*Reader, error) {
	name := nameOrARN
	if n, ok := streamNameFromARN(nameOrARN); ok {
		name = n
	}
	st, err := s.lookup(name)
	if err != nil || st.deleted() {
		return nil, fmt.Errorf("read %s: %w", nameOrARN, ErrStreamNotFound)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	r := &Reader{svc: s, st: st, next: make([]int64, len(st.shards))}
	for i, sh := range st.shards {
		r.next[i] = sh.endPos()
	}
	return r, nil
}

// StreamARN is the ARN of the stream being read.
func (r *Reader) StreamARN() string { return r.st.arn }

// Read returns up to limit records that arrived since the previous Read, in
// arrival order across shards (and sequence order within each shard). It
// also returns a channel that is closed as soon as more records arrive after
// this call, or the stream is deleted; wait on it instead of polling. Read
// returns ErrStreamNotFound once the stream has been deleted.
func (r *Reader) Read(limit int) ([]Record, <-chan struct{}, error) {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.deletedReal.IsZero() {
		return nil, nil, fmt.Errorf("read %s: %w", st.name, ErrStreamNotFound)
	}
	type cand struct {
		shard int
		rec   *record
	}
	var cands []cand
	for i, sh := range st.shards {
		from := max(r.next[i], sh.base) - sh.base
		to := min(int64(len(sh.recs)), from+int64(limit))
		for j := from; j < to; j++ {
			cands = append(cands, cand{i, &sh.recs[j]})
		}
		r.next[i] = max(r.next[i], sh.base) // records lost to retention are skipped
	}
	sort.Slice(cands, func(a, b int) bool { return cands[a].rec.counter < cands[b].rec.counter })
	if len(cands) > limit {
		cands = cands[:limit]
	}
	out := make([]Record, len(cands))
	for k, c := range cands {
		sh := st.shards[c.shard]
		out[k] = Record{ShardID: sh.id, SequenceNumber: c.rec.seq, PartitionKey: c.rec.key, Data: c.rec.data, ArrivalTime: c.rec.arrival}
		r.next[c.shard]++
	}
	return out, st.notify, nil
}
