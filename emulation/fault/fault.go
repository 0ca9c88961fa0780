package fault

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvVar is the setting that carries a fault specification (see Parse).
const EnvVar = "EMULATOR_FAULTS"

// Kind is one kind of probabilistic fault.
type Kind string

// The kinds of fault. Each has a probability in Config.
const (
	// Throttle rejects a request with the service's own throttling error.
	Throttle Kind = "throttle"
	// Partial fails single entries of a batch (DynamoDB BatchWriteItem
	// UnprocessedItems, Kinesis PutRecords per-record errors, Firehose
	// PutRecordBatch per-record errors).
	Partial Kind = "partial"
	// LostResponse applies the request, then resets the connection instead
	// of answering.
	LostResponse Kind = "lost_response"
	// Error5xx answers with the service's internal error, without applying
	// the request.
	Error5xx Kind = "error5xx"
)

var kinds = []Kind{Throttle, Partial, LostResponse, Error5xx}

// Config says how often each fault happens.
type Config struct {
	// Probability of each kind, from 0 to 1.
	Rates map[Kind]float64
	// Latency is added to every request.
	Latency time.Duration
	// FirehoseStart delays the readers of a Kinesis-sourced delivery
	// stream: the stream is ACTIVE at once, but its reader starts at LATEST
	// only after FirehoseStart, so records put to the Kinesis stream in
	// between are never delivered (LocalStack 4.14's behaviour).
	FirehoseStart time.Duration
	// Seed makes the sequence of faults repeatable.
	Seed uint64
}

// Enabled reports whether any fault is configured.
func (c Config) Enabled() bool {
	for _, r := range c.Rates {
		if r > 0 {
			return true
		}
	}
	return c.Latency > 0 || c.FirehoseStart > 0
}

// String renders c in the form Parse reads.
func (c Config) String() string {
	var parts []string
	for _, k := range kinds {
		if r := c.Rates[k]; r > 0 {
			parts = append(parts, fmt.Sprintf("%s=%g", k, r))
		}
	}
	if c.Latency > 0 {
		parts = append(parts, "latency="+c.Latency.String())
	}
	if c.FirehoseStart > 0 {
		parts = append(parts, "firehose_start="+c.FirehoseStart.String())
	}
	if len(parts) > 0 {
		parts = append(parts, "seed="+strconv.FormatUint(c.Seed, 10))
	}
	return strings.Join(parts, ",")
}

// Parse reads a comma-separated list such as
// "throttle=0.1,partial=0.05,lost_response=0.02,error5xx=0.01,latency=5ms,firehose_start=3s,seed=42".
// An empty string is no faults. Unknown keys and out-of-range values are errors.
func Parse(s string) (Config, error) {
	c := Config{Rates: map[Kind]float64{}, Seed: 1}
	s = strings.TrimSpace(s)
	if s == "" {
		return c, nil
	}
	for _, field := range strings.Split(s, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return Config{}, fmt.Errorf("fault %q: want key=value", field)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "latency":
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return Config{}, fmt.Errorf("fault latency=%q: want a duration such as 5ms", val)
			}
			c.Latency = d
		case "firehose_start":
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return Config{}, fmt.Errorf("fault firehose_start=%q: want a duration such as 3s", val)
			}
			c.FirehoseStart = d
		case "seed":
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return Config{}, fmt.Errorf("fault seed=%q: want a non-negative integer", val)
			}
			c.Seed = n
		default:
			k := Kind(key)
			if !known(k) {
				return Config{}, fmt.Errorf("fault %q: unknown kind (want one of %s, latency, firehose_start, seed)", key, kindList())
			}
			p, err := strconv.ParseFloat(val, 64)
			if err != nil || p < 0 || p > 1 {
				return Config{}, fmt.Errorf("fault %s=%q: want a probability from 0 to 1", key, val)
			}
			c.Rates[k] = p
		}
	}
	return c, nil
}

func known(k Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// Injector decides, request by request, which faults happen. A nil *Injector
// injects nothing; all methods are safe for concurrent use.
type Injector struct {
	cfg Config

	mu     sync.Mutex
	rng    *rand.Rand
	ops    map[string]*rand.Rand // per operation, for RollOp
	counts map[Kind]int
}

// New returns an Injector for cfg, or nil when cfg injects nothing.
func New(cfg Config) *Injector {
	if !cfg.Enabled() {
		return nil
	}
	return &Injector{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		ops:    map[string]*rand.Rand{},
		counts: map[Kind]int{},
	}
}

// Config returns the configuration the injector was built with.
func (i *Injector) Config() Config {
	if i == nil {
		return Config{}
	}
	return i.cfg
}

// Roll reports whether a fault of kind k happens now. Every call draws from
// the seeded sequence, so the outcome depends only on the seed and the order
// of calls.
func (i *Injector) Roll(k Kind) bool {
	if i == nil {
		return false
	}
	p := i.cfg.Rates[k]
	if p <= 0 {
		return false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	hit := i.rng.Float64() < p
	if hit {
		i.counts[k]++
	}
	return hit
}

// RollOp is Roll for one request of operation op (such as
// "Kinesis_20131202.PutRecords"), drawn from a sequence of op's own: the
// faults a client's calls of one operation meet depend only on the seed and
// the order of those calls, not on how other operations (waiters, polls)
// interleave with them.
func (i *Injector) RollOp(op string, k Kind) bool {
	if i == nil {
		return false
	}
	p := i.cfg.Rates[k]
	if p <= 0 {
		return false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	rng := i.ops[op]
	if rng == nil {
		h := fnv.New64a()
		h.Write([]byte(op))
		rng = rand.New(rand.NewPCG(i.cfg.Seed, h.Sum64()))
		i.ops[op] = rng
	}
	hit := rng.Float64() < p
	if hit {
		i.counts[k]++
	}
	return hit
}

// Latency is the delay to add to each request.
func (i *Injector) Latency() time.Duration {
	if i == nil {
		return 0
	}
	return i.cfg.Latency
}

// FirehoseStart is how long a Kinesis-sourced delivery stream's reader
// waits before it starts at LATEST.
func (i *Injector) FirehoseStart() time.Duration {
	if i == nil {
		return 0
	}
	return i.cfg.FirehoseStart
}

// Counts returns how many faults of each kind were injected so far.
func (i *Injector) Counts() map[Kind]int {
	out := map[Kind]int{}
	if i == nil {
		return out
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for k, n := range i.counts {
		out[k] = n
	}
	return out
}
