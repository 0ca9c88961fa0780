package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mldatalake/mldatalake/pipeline"
)

// lines is a set of source lines, one bit each.
type lines []uint64

func (s *lines) set(n int) bool {
	w := n / 64
	for len(*s) <= w {
		*s = append(*s, 0)
	}
	bit := uint64(1) << (n % 64)
	had := (*s)[w]&bit != 0
	(*s)[w] |= bit
	return had
}

func (s lines) has(n int) bool {
	w := n / 64
	return w < len(s) && s[w]&(uint64(1)<<(n%64)) != 0
}

// deliveryTracker reads what Firehose has written under a prefix and finds
// which records of this run's source have landed, by their event ids: each
// new object is read once.
type deliveryTracker struct {
	s3     pipeline.S3API
	bucket string
	prefix string
	fp     string // this run's source fingerprint

	before  map[string]bool // objects present before the run
	read    map[string]bool // objects of this run already read
	landed  lines           // source lines whose record landed
	records int64           // records in this run's objects, duplicates included
	// distinct counts this source's records that landed, once each; dups
	// the deliveries beyond the first; foreign the records of other
	// sources (no event id, or another fingerprint).
	distinct, dups, foreign int64
}

func newDeliveryTracker(c pipeline.S3API, bucket, prefix, fp string) *deliveryTracker {
	return &deliveryTracker{s3: c, bucket: bucket, prefix: prefix, fp: fp, before: map[string]bool{}, read: map[string]bool{}}
}

// baseline notes the objects an earlier run left, which poll skips.
func (d *deliveryTracker) baseline(ctx context.Context) error {
	objs, err := pipeline.ListObjects(ctx, d.s3, d.bucket, d.prefix)
	for _, o := range objs {
		d.before[o.Key] = true
	}
	return err
}

func (d *deliveryTracker) objects() int { return len(d.read) }

// poll reads the objects that appeared since the last poll.
func (d *deliveryTracker) poll(ctx context.Context) error {
	objs, err := pipeline.ListObjects(ctx, d.s3, d.bucket, d.prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if d.before[o.Key] || d.read[o.Key] {
			continue
		}
		if err := pipeline.ReadObject(ctx, d.s3, d.bucket, o.Key, func(r io.Reader, _ string) error {
			return pipeline.EachLine(r, func(_ int64, line []byte) error {
				d.record(line)
				return nil
			})
		}); err != nil {
			return err
		}
		d.read[o.Key] = true
	}
	return nil
}

var eventIDKey = []byte(`"` + EventIDField + `":"`)

// record counts one delivered JSON line.
func (d *deliveryTracker) record(line []byte) {
	d.records++
	id, ok := eventIDOf(line)
	if !ok {
		d.foreign++
		return
	}
	n, ok := parseEventID(d.fp, id)
	if !ok {
		d.foreign++
		return
	}
	if d.landed.set(n) {
		d.dups++
	} else {
		d.distinct++
	}
}

// eventIDOf finds the event id of a record: at once when the producer wrote
// it (a plain string after "eventid":"), else by decoding the line.
func eventIDOf(line []byte) (string, bool) {
	if i := bytes.Index(line, eventIDKey); i >= 0 {
		rest := line[i+len(eventIDKey):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 && !bytes.ContainsAny(rest[:j], `\`) {
			return string(rest[:j]), true
		}
	}
	var rec map[string]any
	if json.Unmarshal(line, &rec) != nil {
		return "", false
	}
	for k, v := range rec {
		if s, ok := v.(string); ok && strings.EqualFold(k, EventIDField) {
			return s, true
		}
	}
	return "", false
}

// missing returns the lines of want that have not landed, and the first few
// of their event ids for a message.
func (d *deliveryTracker) missing(want lines) (n int64, first []string) {
	for w, bits := range want {
		for b := range 64 {
			if bits&(1<<b) == 0 {
				continue
			}
			line := w*64 + b
			if !d.landed.has(line) {
				n++
				if len(first) < 5 {
					first = append(first, EventID(d.fp, line))
				}
			}
		}
	}
	return n, first
}

// MissingError is returned when records produced never landed.
type MissingError struct {
	Missing, Produced int64
	// First are the first few missing event ids.
	First    []string
	Resends  int
	Location string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%d of %d records produced never landed under %s after %d resends; first missing event ids: %s",
		e.Missing, e.Produced, e.Location, e.Resends, strings.Join(e.First, ", "))
}
