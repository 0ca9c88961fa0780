package kinesis

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Stream statuses.
const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"
	statusDeleting = "DELETING"
)

// retention is how long records stay readable, AWS's default of 24 hours.
const retention = 24 * time.Hour

// stream is one Kinesis data stream.
type stream struct {
	name    string
	arn     string
	gen     uint64    // incarnation, encoded in sequence numbers and iterators
	created time.Time // by the service clock, for StreamCreationTimestamp
	mode    string    // PROVISIONED or ON_DEMAND

	// Real (monotonic) times of creation and deletion drive the status.
	createdReal time.Time
	deletedReal time.Time // zero until DeleteStream

	mu     sync.Mutex // guards the shards' records, notify and deletedReal
	shards []*shard
	notify chan struct{} // closed and replaced whenever records arrive
}

// shard is one shard with its hash-key range and records.
type shard struct {
	id          string
	index       int
	start, end  [16]byte // hash-key range, inclusive, big-endian
	startKey    string   // the same range as decimal strings
	endKey      string
	startingSeq string
	base        int64 // absolute position of recs[0]; grows as records expire
	recs        []record
}

// record is one stored data record.
type record struct {
	counter uint64
	seq     string
	key     string
	data    []byte
	arrival time.Time
}

func (st *stream) status(delay time.Duration) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case !st.deletedReal.IsZero():
		return statusDeleting
	case time.Since(st.createdReal) < delay:
		return statusCreating
	}
	return statusActive
}

// gone reports whether the stream's deletion has completed.
func (st *stream) gone(delay time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.deletedReal.IsZero() && time.Since(st.deletedReal) >= delay
}

func (st *stream) deleted() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.deletedReal.IsZero()
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

// PartitionKeyHash is the 128-bit hash key Kinesis derives from a partition
// key: its MD5 digest read as a big-endian unsigned integer.
func PartitionKeyHash(partitionKey string) *big.Int {
	sum := md5.Sum([]byte(partitionKey))
	return new(big.Int).SetBytes(sum[:])
}

// shardFor returns the shard whose hash-key range holds h.
func (st *stream) shardFor(h [16]byte) *shard {
	i := sort.Search(len(st.shards), func(i int) bool {
		return bytes.Compare(st.shards[i].end[:], h[:]) >= 0
	})
	if i == len(st.shards) {
		i = len(st.shards) - 1
	}
	return st.shards[i]
}

// shardByID finds a shard by its id; "shardId-000000000001" and
// "shardId-1" name the same shard, as AWS accepts both.
func (st *stream) shardByID(id string) *shard {
	for _, sh := range st.shards {
		if sh.id == id {
			return sh
		}
	}
	if digits, ok := cutShardPrefix(id); ok {
		if n, err := strconv.Atoi(digits); err == nil && n >= 0 && n < len(st.shards) {
			return st.shards[n]
		}
	}
	return nil
}

func cutShardPrefix(id string) (string, bool) {
	const p = "shardId-"
	if len(id) <= len(p) || id[:len(p)] != p {
		return "", false
	}
	return id[len(p):], true
}

func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// Sequence numbers are 56 decimal digits: "49", a 24-digit counter shared by
// every shard of the service (so they increase within a shard and over time),
// the 10-digit shard index and the 20-digit stream incarnation. Equal-length
// decimal strings compare as numbers do.
const seqLen = 56

func formatSeq(counter uint64, shardIndex int, gen uint64) string {
	return fmt.Sprintf("49%024d%010d%020d", counter, shardIndex, gen)
}

// parseSeq reverses formatSeq.
func parseSeq(s string) (counter uint64, shardIndex int, gen uint64, ok bool) {
	if len(s) != seqLen || s[:2] != "49" {
		return 0, 0, 0, false
	}
	c, err1 := strconv.ParseUint(s[2:26], 10, 64)
	i, err2 := strconv.Atoi(s[26:36])
	g, err3 := strconv.ParseUint(s[36:], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, 0, false
	}
	return c, i, g, true
}

// trim drops records older than the retention period; the caller holds st.mu.
func (sh *shard) trim(now time.Time) {
	cut := 0
	for cut < len(sh.recs) && now.Sub(sh.recs[cut].arrival) > retention {
		cut++
	}
	if cut > 0 {
		sh.recs = append([]record(nil), sh.recs[cut:]...)
		sh.base += int64(cut)
	}
}

// end is the absolute position after the last record.
func (sh *shard) endPos() int64 { return sh.base + int64(len(sh.recs)) }

// posAtCounter is the absolute position of the first record whose counter
// is at least c.
func (sh *shard) posAtCounter(c uint64) int64 {
	i := sort.Search(len(sh.recs), func(i int) bool { return sh.recs[i].counter >= c })
	return sh.base + int64(i)
}

// posAtTime is the absolute position of the first record that arrived at or
// after t.
func (sh *shard) posAtTime(t time.Time) int64 {
	i := sort.Search(len(sh.recs), func(i int) bool { return !sh.recs[i].arrival.Before(t) })
	return sh.base + int64(i)
}
