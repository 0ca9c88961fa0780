package kinesis

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// MemStore is the in-memory Backend: streams in a map, each shard's
// records in a slice ordered by position.
type MemStore struct {
	cfg MemConfig

	gens atomic.Uint64 // stream incarnations, so that a recreated stream is new

	mu      sync.Mutex
	streams map[string]*memStream
}

var _ Backend = (*MemStore)(nil)

// MemConfig configures a MemStore.
type MemConfig struct {
	// Now is the clock of arrival times and of timestamps in responses;
	// state transitions follow real time regardless. Default time.Now.
	Now func() time.Time
	// Delay is how long a stream stays CREATING, UPDATING after a split or
	// merge, and DELETING.
	Delay time.Duration
	// Region and Account appear in ARNs and messages.
	Region, Account string
	// ShardLimit is the most open shards the account may have.
	ShardLimit int
}

// NewMemStore returns an empty in-memory store.
func NewMemStore(cfg MemConfig) *MemStore {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Account == "" {
		cfg.Account = DefaultAccount
	}
	if cfg.ShardLimit == 0 {
		cfg.ShardLimit = MaxShardsPerAccount
	}
	return &MemStore{cfg: cfg, streams: map[string]*memStream{}}
}

// Stream statuses.
const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"
	statusUpdating = "UPDATING"
	statusDeleting = "DELETING"
)

// Retention limits, in hours.
const (
	defaultRetentionHours = 24
	minRetentionHours     = 24
	maxRetentionHours     = 8760
	maxTagsPerStream      = 50
)

type memStream struct {
	name    string
	arn     string
	gen     uint64
	created time.Time // service clock, for StreamCreationTimestamp
	mode    string

	// Real (monotonic) times drive the status.
	createdReal time.Time
	deletedReal time.Time // zero until DeleteStream

	mu        sync.Mutex // guards everything below
	retention time.Duration
	tags      map[string]string
	shards    []*memShard   // by shard number
	open      []*memShard   // the open shards by hash key, for placement
	counter   uint64        // the last position given to a record
	notify    chan struct{} // closed and replaced on every change
	pending   *reshard      // a split or merge that has not taken effect yet
}

// reshard is a split or merge waiting for the end of UPDATING.
type reshard struct {
	startReal time.Time
	apply     func(now time.Time)
}

type memShard struct {
	info       ShardInfo
	start, end [16]byte // hash-key range, inclusive, big-endian
	recs       recordLog
}

func (s *MemStore) streamNotFound(name string) error {
	return awsproto.NotFound("Stream %s under account %s not found.", name, s.cfg.Account)
}

func (s *MemStore) notActive(name, status string) error {
	return awsproto.InUse("Stream %s under account %s not ACTIVE, instead in state %s", name, s.cfg.Account, status)
}

// lookup returns the stream called name, forgetting it if its deletion has
// completed.
func (s *MemStore) lookup(name string) (*memStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st != nil && st.gone(s.cfg.Delay) {
		delete(s.streams, name)
		st = nil
	}
	if st == nil {
		return nil, s.streamNotFound(name)
	}
	return st, nil
}

func (st *memStream) gone(delay time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.deletedReal.IsZero() && time.Since(st.deletedReal) >= delay
}

// status settles a due reshard and reports the state; the caller holds st.mu.
func (st *memStream) status(delay time.Duration, now func() time.Time) string {
	switch {
	case !st.deletedReal.IsZero():
		return statusDeleting
	case time.Since(st.createdReal) < delay:
		return statusCreating
	case st.pending != nil:
		if time.Since(st.pending.startReal) < delay {
			return statusUpdating
		}
		st.pending.apply(now())
		st.pending = nil
		st.changed()
	}
	return statusActive
}

// changed wakes whoever waits on the stream; the caller holds st.mu.
func (st *memStream) changed() {
	close(st.notify)
	st.notify = make(chan struct{})
}

// maxHashKey is 2^128-1, the top of the hash-key space.
var maxHashKey = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// hashRanges splits 0..2^128-1 into n ranges as AWS does: each range is
// floor(2^128/n) keys wide and the last one ends at 2^128-1.
func hashRanges(n int) [][2]*big.Int {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	step := new(big.Int).Div(space, big.NewInt(int64(n)))
	out := make([][2]*big.Int, n)
	for i := range n {
		lo := new(big.Int).Mul(step, big.NewInt(int64(i)))
		hi := new(big.Int).Sub(new(big.Int).Add(lo, step), big.NewInt(1))
		if i == n-1 {
			hi = new(big.Int).Set(maxHashKey)
		}
		out[i] = [2]*big.Int{lo, hi}
	}
	return out
}

func key16(v *big.Int) [16]byte {
	var b [16]byte
	v.FillBytes(b[:])
	return b
}

func keyInt(k [16]byte) *big.Int { return new(big.Int).SetBytes(k[:]) }

// PartitionKeyHash is the 128-bit hash key Kinesis derives from a partition
// key: its MD5 digest read as a big-endian unsigned integer.
func PartitionKeyHash(partitionKey string) *big.Int {
	sum := md5.Sum([]byte(partitionKey))
	return new(big.Int).SetBytes(sum[:])
}

// shardName is the id of shard number ix, as Kinesis prints it.
func shardName(ix int64) string {
	if ix < 0 {
		return fmt.Sprintf("shardId--%011d", -ix)
	}
	return fmt.Sprintf("shardId-%012d", ix)
}

// newShard adds a shard covering lo..hi, created at now; the caller holds
// st.mu (or owns st).
func (st *memStream) newShard(lo, hi [16]byte, createSecs int64, now time.Time, parent, adjacent string) *memShard {
	ix := len(st.shards)
	sh := &memShard{start: lo, end: hi, info: ShardInfo{
		Index: ix, ID: shardName(int64(ix)), Parent: parent, AdjacentParent: adjacent,
		StartKey: keyInt(lo).String(), EndKey: keyInt(hi).String(),
		StartSeq: formatSeq(createSecs, ix, 0, createSecs), CreateSecs: createSecs, Opened: now,
	}}
	st.shards = append(st.shards, sh)
	return sh
}

// reindex rebuilds the placement list; the caller holds st.mu.
func (st *memStream) reindex() {
	st.open = st.open[:0]
	for _, sh := range st.shards {
		if sh.info.Closed.IsZero() {
			st.open = append(st.open, sh)
		}
	}
	sort.Slice(st.open, func(i, j int) bool { return bytes.Compare(st.open[i].start[:], st.open[j].start[:]) < 0 })
}

// close ends a shard at now; the caller holds st.mu.
func (sh *memShard) close(now time.Time) {
	sh.info.Closed = now
	sh.info.EndSeq = formatSeq(sh.info.CreateSecs, sh.info.Index, maxSeqIx, now.Unix())
}

// slotFor returns the index in st.open of the shard whose hash-key range
// holds h.
func (st *memStream) slotFor(h [16]byte) int {
	i := sort.Search(len(st.open), func(i int) bool {
		return bytes.Compare(st.open[i].end[:], h[:]) >= 0
	})
	return min(i, len(st.open)-1)
}

// openShards counts the open shards of every stream that is not deleting.
func (s *MemStore) openShards() int {
	n := 0
	for _, st := range s.streams {
		st.mu.Lock()
		if st.deletedReal.IsZero() {
			n += len(st.open)
		}
		st.mu.Unlock()
	}
	return n
}

func (s *MemStore) limitExceeded(current, more int) error {
	return awsproto.Errorf(400, awsproto.CodeLimitExceeded,
		"This request would exceed the shard limit for the account %s in %s. Current shard count for the account: %d. Limit: %d. Number of additional shards that would have resulted from this request: %d. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
		s.cfg.Account, s.cfg.Region, current, s.cfg.ShardLimit, more)
}

// CreateStream implements Backend.
func (s *MemStore) CreateStream(_ context.Context, spec StreamSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.streams[spec.Name]; old != nil {
		if !old.gone(s.cfg.Delay) {
			return awsproto.InUse("Stream %s under account %s already exists.", spec.Name, s.cfg.Account)
		}
		delete(s.streams, spec.Name)
	}
	if cur := s.openShards(); cur+spec.Shards > s.cfg.ShardLimit {
		return s.limitExceeded(cur, spec.Shards)
	}
	now := s.cfg.Now()
	st := &memStream{
		name: spec.Name, arn: "arn:aws:kinesis:" + s.cfg.Region + ":" + s.cfg.Account + ":stream/" + spec.Name,
		gen: s.gens.Add(1), created: now, mode: spec.Mode, createdReal: time.Now(),
		retention: defaultRetentionHours * time.Hour, tags: map[string]string{},
		notify: make(chan struct{}),
	}
	// The first shards' sequence numbers date from a little before the
	// stream's creation, as AWS's do.
	createSecs := now.Add(-2 * time.Second).Unix()
	for _, r := range hashRanges(spec.Shards) {
		st.newShard(key16(r[0]), key16(r[1]), createSecs, now, "", "")
	}
	st.reindex()
	s.streams[spec.Name] = st
	return nil
}

// DeleteStream implements Backend.
func (s *MemStore) DeleteStream(_ context.Context, name string) error {
	st, err := s.lookup(name)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch status := st.status(s.cfg.Delay, s.cfg.Now); status {
	case statusCreating, statusActive:
	default:
		return s.notActive(name, status)
	}
	st.deletedReal = time.Now()
	st.changed() // wake readers so that they see the deletion
	return nil
}

// Stream implements Backend.
func (s *MemStore) Stream(_ context.Context, name string) (*StreamInfo, error) {
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	info := st.info(s.cfg.Delay, s.cfg.Now)
	info.Shards = make([]ShardInfo, len(st.shards))
	for i, sh := range st.shards {
		info.Shards[i] = sh.info
	}
	info.Tags = make(map[string]string, len(st.tags))
	for k, v := range st.tags {
		info.Tags[k] = v
	}
	return info, nil
}

// info describes st without shards and tags; the caller holds st.mu.
func (st *memStream) info(delay time.Duration, now func() time.Time) *StreamInfo {
	return &StreamInfo{
		Name: st.name, ARN: st.arn, Gen: st.gen, Status: st.status(delay, now), Mode: st.mode,
		Created: st.created, RetentionHours: int(st.retention / time.Hour),
	}
}

// ListStreams implements Backend.
func (s *MemStore) ListStreams(_ context.Context) ([]StreamInfo, error) {
	s.mu.Lock()
	all := make([]*memStream, 0, len(s.streams))
	for n, st := range s.streams {
		if st.gone(s.cfg.Delay) {
			delete(s.streams, n)
			continue
		}
		all = append(all, st)
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	out := make([]StreamInfo, len(all))
	for i, st := range all {
		st.mu.Lock()
		out[i] = *st.info(s.cfg.Delay, s.cfg.Now)
		st.mu.Unlock()
	}
	return out, nil
}

func (s *MemStore) shardNotFound(name string, shard int) error {
	return awsproto.NotFound("Could not find shard %s in stream %s under account %s.", shardName(int64(shard)), name, s.cfg.Account)
}

// reshardable locks st and checks that it is ACTIVE and that the shards
// exist and are open. On success the caller must unlock st.mu.
func (s *MemStore) reshardable(name string, shards ...int) (*memStream, error) {
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	if status := st.status(s.cfg.Delay, s.cfg.Now); status != statusActive {
		st.mu.Unlock()
		return nil, s.notActive(name, status)
	}
	for _, ix := range shards {
		if ix >= len(st.shards) {
			st.mu.Unlock()
			return nil, s.shardNotFound(name, ix)
		}
	}
	return st, nil
}

// startReshard puts st in UPDATING until apply runs; the caller holds st.mu.
func (s *MemStore) startReshard(st *memStream, apply func(now time.Time)) {
	st.pending = &reshard{startReal: time.Now(), apply: apply}
	if s.cfg.Delay <= 0 {
		st.status(s.cfg.Delay, s.cfg.Now)
	}
}

// SplitShard implements Backend.
func (s *MemStore) SplitShard(_ context.Context, name string, shard int, k *big.Int) error {
	s.mu.Lock()
	open := s.openShards()
	s.mu.Unlock()
	st, err := s.reshardable(name, shard)
	if err != nil {
		return err
	}
	defer st.mu.Unlock()
	sh := st.shards[shard]
	if !sh.info.Closed.IsZero() {
		return awsproto.InvalidArgument("Shard %s in stream %s under account %s has already been merged or split, and thus is not eligible for splitting.", sh.info.ID, name, s.cfg.Account)
	}
	if open+1 > s.cfg.ShardLimit {
		return s.limitExceeded(open, 1)
	}
	lo, hi := keyInt(sh.start), keyInt(sh.end)
	if k.Cmp(new(big.Int).Add(lo, big.NewInt(1))) <= 0 || k.Cmp(hi) >= 0 {
		return awsproto.InvalidArgument("NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
			k, sh.info.ID, name, s.cfg.Account, sh.info.StartKey, sh.info.EndKey)
	}
	s.startReshard(st, func(now time.Time) {
		sh.close(now)
		createSecs := now.Unix() + 1
		st.newShard(sh.start, key16(new(big.Int).Sub(k, big.NewInt(1))), createSecs, now, sh.info.ID, "")
		st.newShard(key16(k), sh.end, createSecs, now, sh.info.ID, "")
		st.reindex()
	})
	return nil
}

// MergeShards implements Backend.
func (s *MemStore) MergeShards(_ context.Context, name string, shard, adjacent int) error {
	st, err := s.reshardable(name, shard, adjacent)
	if err != nil {
		return err
	}
	defer st.mu.Unlock()
	a, b := st.shards[shard], st.shards[adjacent]
	next := new(big.Int).Add(keyInt(a.end), big.NewInt(1))
	if next.Cmp(keyInt(b.start)) != 0 {
		return awsproto.InvalidArgument("Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible for merging",
			a.info.ID, b.info.ID, name, s.cfg.Account)
	}
	for _, sh := range []*memShard{a, b} {
		if !sh.info.Closed.IsZero() {
			return awsproto.InvalidArgument("Shard %s in stream %s under account %s has already been merged or split, and thus is not eligible for merging.", sh.info.ID, name, s.cfg.Account)
		}
	}
	s.startReshard(st, func(now time.Time) {
		a.close(now)
		b.close(now)
		st.newShard(a.start, b.end, now.Unix()+1, now, a.info.ID, b.info.ID)
		st.reindex()
	})
	return nil
}

// SetRetention implements Backend.
func (s *MemStore) SetRetention(_ context.Context, name string, hours int, increase bool) error {
	st, err := s.lookup(name)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	cur := int(st.retention / time.Hour)
	switch {
	case hours < minRetentionHours:
		return awsproto.InvalidArgument("Minimum allowed retention period is %d hours. Requested retention period (%d hours) is too short.", minRetentionHours, hours)
	case hours > maxRetentionHours:
		return awsproto.InvalidArgument("Maximum allowed retention period is %d hours. Requested retention period (%d hours) is too long.", maxRetentionHours, hours)
	case increase && hours < cur:
		return awsproto.InvalidArgument("Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", hours, name, cur)
	case !increase && hours > cur:
		return awsproto.InvalidArgument("Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", hours, name, cur)
	}
	st.retention = time.Duration(hours) * time.Hour
	return nil
}

// TagStream implements Backend.
func (s *MemStore) TagStream(_ context.Context, name string, tags map[string]string) error {
	st, err := s.lookup(name)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	n := len(st.tags)
	for k := range tags {
		if _, ok := st.tags[k]; !ok {
			n++
		}
	}
	if n > maxTagsPerStream {
		// Kinesis's message still names the limit of 10 it once had.
		return awsproto.InvalidArgument("Failed to add tags to stream %s under account %s because a given stream cannot have more than 10 tags associated with it.", name, s.cfg.Account)
	}
	for k, v := range tags {
		st.tags[k] = v
	}
	return nil
}

// UntagStream implements Backend.
func (s *MemStore) UntagStream(_ context.Context, name string, keys []string) error {
	st, err := s.lookup(name)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, k := range keys {
		delete(st.tags, k)
	}
	return nil
}

// Put implements Backend.
func (s *MemStore) Put(_ context.Context, name string, recs []PutEntry, out []PutResult) error {
	st, err := s.lookup(name)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	nowSecs := now.Unix()
	st.mu.Lock()
	defer st.mu.Unlock()
	if status := st.status(s.cfg.Delay, s.cfg.Now); status != statusActive && status != statusUpdating {
		return s.streamNotFound(name)
	}
	// Kinesis writes a batch shard by shard: the records of one shard get
	// consecutive positions, in request order. order lists the records so.
	slots := make([]int32, len(recs)) // the placement slot of each record
	counts := make([]int, len(st.open)+1)
	for i := range recs {
		s := st.slotFor(recs[i].HashKey)
		slots[i] = int32(s)
		counts[s+1]++
	}
	for s := 1; s < len(counts); s++ {
		counts[s] += counts[s-1]
	}
	order := make([]int32, len(recs))
	for i, s := range slots {
		order[counts[s]] = int32(i)
		counts[s]++
	}
	stored := 0
	for _, i := range order {
		e := &recs[i]
		sh := st.open[slots[i]]
		if e.Reject {
			out[i] = PutResult{ErrorCode: awsproto.CodeThroughputExceeded,
				ErrorMessage: fmt.Sprintf("Rate exceeded for shard %s in stream %s under account %s.", sh.info.ID, name, s.cfg.Account)}
			continue
		}
		sh.recs.trim(now, st.retention)
		st.counter++
		seq := formatSeq(sh.info.CreateSecs, sh.info.Index, st.counter, max(nowSecs, sh.info.CreateSecs))
		sh.recs.append(st.counter, now, e.PartitionKey, e.Data)
		out[i] = PutResult{ShardID: sh.info.ID, SequenceNumber: seq}
		stored++
	}
	if stored > 0 {
		st.changed()
	}
	return nil
}

// readable finds a stream whose shards can be read: it exists as incarnation
// gen (any, if gen is 0), is ACTIVE or UPDATING and has the shard. It
// returns the stream locked.
func (s *MemStore) readable(name string, gen uint64, shard int) (*memStream, error) {
	missing := awsproto.NotFound("Shard %s in stream %s under account %s does not exist", shardName(int64(shard)), name, s.cfg.Account)
	st, err := s.lookup(name)
	if err != nil {
		return nil, missing
	}
	st.mu.Lock()
	status := st.status(s.cfg.Delay, s.cfg.Now)
	if (gen != 0 && st.gen != gen) || (status != statusActive && status != statusUpdating) || shard >= len(st.shards) {
		st.mu.Unlock()
		return nil, missing
	}
	return st, nil
}

// Seek implements Backend.
func (s *MemStore) Seek(_ context.Context, name string, shard int, at Seek) (uint64, uint64, error) {
	st, err := s.readable(name, 0, shard)
	if err != nil {
		return 0, 0, err
	}
	defer st.mu.Unlock()
	switch at.Kind {
	case SeekTrimHorizon:
		return st.gen, 0, nil
	case SeekAtTime:
		recs := &st.shards[shard].recs
		if i := recs.searchTime(at.Time); i < recs.len() {
			return st.gen, recs.pos(i), nil
		}
	}
	return st.gen, st.counter + 1, nil
}

// Read implements Backend.
func (s *MemStore) Read(_ context.Context, name string, gen uint64, shard int, pos uint64, limit, maxBytes int) (*ReadResult, error) {
	st, err := s.readable(name, gen, shard)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	now := s.cfg.Now()
	sh := st.shards[shard]
	recs := &sh.recs
	recs.trim(now, st.retention)
	i := recs.search(pos)
	out := &ReadResult{Next: pos, Records: make([]Record, 0, min(limit, recs.len()-i))}
	size := 0
	for ; i < recs.len() && len(out.Records) < limit; i++ {
		key, data := recs.get(i)
		if size > 0 && size+len(data)+len(key) > maxBytes {
			break
		}
		size += len(data) + len(key)
		pos, arrival := recs.pos(i), recs.arrival(i)
		// The sequence number is derived, as Put made it, not stored.
		seq := formatSeq(sh.info.CreateSecs, sh.info.Index, pos, max(arrival.Unix(), sh.info.CreateSecs))
		out.Records = append(out.Records, Record{ShardID: sh.info.ID, SequenceNumber: seq, PartitionKey: key,
			Data: data, ArrivalTime: arrival, Position: pos})
		out.Next = pos + 1
	}
	if i < recs.len() {
		out.MillisBehind = max(0, now.Sub(recs.arrival(i)).Milliseconds())
	} else if !sh.info.Closed.IsZero() {
		out.End = true
		for _, c := range st.shards {
			if c.info.Parent == sh.info.ID || c.info.AdjacentParent == sh.info.ID {
				parents := []string{c.info.Parent}
				if c.info.AdjacentParent != "" {
					parents = append(parents, c.info.AdjacentParent)
				}
				out.Children = append(out.Children, ChildShard{ShardID: c.info.ID, ParentShards: parents, StartKey: c.info.StartKey, EndKey: c.info.EndKey})
			}
		}
	}
	return out, nil
}

// Changes implements Backend.
func (s *MemStore) Changes(_ context.Context, name string, gen uint64) (<-chan struct{}, error) {
	st, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gen != gen || !st.deletedReal.IsZero() {
		return nil, s.streamNotFound(name)
	}
	st.status(s.cfg.Delay, s.cfg.Now)
	return st.notify, nil
}
