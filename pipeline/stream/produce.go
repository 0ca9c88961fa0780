package stream

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kntypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Kinesis PutRecords limits.
const (
	maxBatchRecords = 500
	maxBatchBytes   = 5 << 20
	maxRecordBytes  = 1 << 20
)

// Rating is one streamed record, with the workshop's field names and string
// values, and the event id that makes it one row of the training data
// however often it is delivered.
type Rating struct {
	UserID    string `json:"userid"`
	MovieID   string `json:"movieid"`
	RatingID  string `json:"ratingid"`
	Timestamp string `json:"timestamp"`
	EventID   string `json:"eventid"`
}

// EventIDField is the JSON field of the event id.
const EventIDField = "eventid"

// EventID is the id of the record made from line (1 for the header) of the
// source whose fingerprint is fp: "<fp>-<line>". It is stable across reruns
// of the same dataset (the fingerprint comes from the source object's
// content) and unique per row (a line is one row).
func EventID(fp string, line int) string { return fp + "-" + strconv.Itoa(line) }

// parseEventID returns the line of an id of the source fp, or ok false for
// an id of another source.
func parseEventID(fp, id string) (line int, ok bool) {
	rest, ok := strings.CutPrefix(id, fp+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n > 0
}

// fingerprint names a source object's content: the first 8 bytes of the
// SHA-256 of its ETag (the content's MD5 for a single upload) and key, in
// hex. Records of other datasets, left under the prefix by earlier runs,
// carry another fingerprint.
func fingerprint(key, etag string) string {
	sum := sha256.Sum256([]byte(strings.Trim(etag, `"`) + "\x00" + key))
	return hex.EncodeToString(sum[:8])
}

// header is the expected first line of ratings-partial-load.csv.
var header = []string{"userId", "movieId", "rating", "timestamp"}

// RejectError describes a row of the CSV that is not a rating.
type RejectError struct {
	Line   int
	Reason string
	Raw    []string
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// reader turns the CSV into records.
type reader struct {
	r    *csv.Reader
	name string
	fp   string // the source's fingerprint, for event ids
}

func newReader(r io.Reader, name, fp string) (*reader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	h, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", name, err)
	}
	if len(h) != len(header) {
		return nil, fmt.Errorf("%s: header %q, want %q", name, h, header)
	}
	for i := range header {
		if h[i] != header[i] {
			return nil, fmt.Errorf("%s: header %q, want %q", name, h, header)
		}
	}
	return &reader{r: cr, name: name, fp: fp}, nil
}

// next returns the next record's JSON line, partition key and source line,
// a *RejectError for a bad row, or io.EOF.
func (r *reader) next() (data []byte, key string, line int, err error) {
	row, err := r.r.Read()
	line, _ = r.r.FieldPos(0)
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, "", pe.StartLine, &RejectError{Line: pe.StartLine, Reason: pe.Err.Error()}
		}
		return nil, "", 0, err
	}
	if len(row) != len(header) {
		return nil, "", line, &RejectError{Line: line, Reason: fmt.Sprintf("%d fields, want %d", len(row), len(header)), Raw: append([]string(nil), row...)}
	}
	if _, err := strconv.ParseUint(row[0], 10, 64); err != nil || row[0] == "" {
		return nil, "", line, &RejectError{Line: line, Reason: fmt.Sprintf("userId %q is not an integer", row[0]), Raw: append([]string(nil), row...)}
	}
	b, _ := json.Marshal(Rating{UserID: row[0], MovieID: row[1], RatingID: row[2], Timestamp: row[3], EventID: EventID(r.fp, line)})
	b = append(b, '\n')
	return b, row[0], line, nil
}

// producer sends records with PutRecords in batches within Kinesis's limits
// and resends only the records that failed.
type producer struct {
	client  *kinesis.Client
	stream  string
	timeout time.Duration

	batch      []kntypes.PutRecordsRequestEntry
	batchBytes int

	sent    int64 // records accepted by Kinesis
	retried int64 // records sent again
}

func (p *producer) add(ctx context.Context, data []byte, key string) error {
	size := len(data) + len(key)
	if size > maxRecordBytes {
		return fmt.Errorf("record of %d bytes is over Kinesis's 1 MiB limit", size)
	}
	if len(p.batch) == maxBatchRecords || p.batchBytes+size > maxBatchBytes {
		if err := p.flush(ctx); err != nil {
			return err
		}
	}
	p.batch = append(p.batch, kntypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(key)})
	p.batchBytes += size
	return nil
}

// flush sends the batch until every record is in, with exponential backoff
// and full jitter between rounds, or fails at the deadline.
func (p *producer) flush(ctx context.Context) error {
	pending := p.batch
	deadline := time.Now().Add(p.timeout)
	backoff := 50 * time.Millisecond
	for attempt := 0; len(pending) > 0; attempt++ {
		out, err := p.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(p.stream), Records: pending})
		if err != nil {
			return fmt.Errorf("PutRecords to %s: %w", p.stream, err)
		}
		if aws.ToInt32(out.FailedRecordCount) == 0 {
			p.sent += int64(len(pending))
			break
		}
		var failed []kntypes.PutRecordsRequestEntry
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				failed = append(failed, pending[i])
			}
		}
		p.sent += int64(len(pending) - len(failed))
		p.retried += int64(len(failed))
		pending = failed
		if time.Now().After(deadline) {
			return fmt.Errorf("PutRecords to %s: %d records still failing after %v", p.stream, len(pending), p.timeout)
		}
		sleep := time.Duration(rand.Int64N(int64(backoff)) + 1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	p.batch = p.batch[:0]
	p.batchBytes = 0
	return nil
}
