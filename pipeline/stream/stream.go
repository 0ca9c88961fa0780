package stream

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/pipeline"
)

// SourceKey is the object the new ratings are read from.
const SourceKey = "data/partial-load/ratings-partial-load.csv"

// DefaultRoleARN is the Firehose role used when none is configured; emulators
// accept any role.
const DefaultRoleARN = "arn:aws:iam::000000000000:role/firehose-delivery-role"

// Options configure Run. Zero values mean the defaults given.
type Options struct {
	Names pipeline.Names
	// Shards of the Kinesis stream; default 2.
	Shards int32
	// RoleARN is the role Firehose assumes to read Kinesis and write S3; on
	// real AWS it must exist. Default DefaultRoleARN.
	RoleARN string
	// BufferSizeMB and BufferInterval are Firehose's buffering hints; a
	// buffer is delivered when either is reached. Defaults 5 MB and 5 s.
	BufferSizeMB   int32
	BufferInterval time.Duration
	// Compression is UNCOMPRESSED (default) or GZIP.
	Compression fhtypes.CompressionFormat
	// ErrorOutputPrefix is where Firehose writes what it could not deliver;
	// default "firehose-errors/".
	ErrorOutputPrefix string
	// SetupTimeout bounds waiting for the streams to be ACTIVE; default 5 min.
	SetupTimeout time.Duration
	// ProduceTimeout bounds retrying one batch's failed records; default 5 min.
	ProduceTimeout time.Duration
	// DeliveryTimeout bounds waiting for every record to land in S3, resends
	// included; default BufferInterval plus 5 minutes.
	DeliveryTimeout time.Duration
	// SettleTime is how long no new record may land before the missing ones
	// are sent again; it doubles after each resend. Default twice
	// BufferInterval, at least 3 s.
	SettleTime time.Duration
	// MaxResends bounds the rounds of resending; default 5.
	MaxResends int
	// Rejects receives the CSV rows that are not ratings (line, reason, raw
	// fields). When nil, the first bad row fails the stage.
	Rejects *csv.Writer
	// Progress, when set, is called as records are produced and delivered.
	Progress func(produced, delivered int64)
	Logger   *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Shards == 0 {
		o.Shards = 2
	}
	if o.RoleARN == "" {
		o.RoleARN = DefaultRoleARN
	}
	if o.BufferSizeMB == 0 {
		o.BufferSizeMB = 5
	}
	if o.BufferInterval == 0 {
		o.BufferInterval = 5 * time.Second
	}
	if o.Compression == "" {
		o.Compression = fhtypes.CompressionFormatUncompressed
	}
	if o.ErrorOutputPrefix == "" {
		o.ErrorOutputPrefix = "firehose-errors/"
	}
	if o.SetupTimeout == 0 {
		o.SetupTimeout = 5 * time.Minute
	}
	if o.ProduceTimeout == 0 {
		o.ProduceTimeout = 5 * time.Minute
	}
	if o.DeliveryTimeout == 0 {
		o.DeliveryTimeout = o.BufferInterval + 5*time.Minute
	}
	if o.SettleTime == 0 {
		o.SettleTime = max(2*o.BufferInterval, 3*time.Second)
	}
	if o.MaxResends == 0 {
		o.MaxResends = 5
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(int64, int64) {}
	}
	return o
}

// Run creates the streams, produces every rating of SourceKey, each with an
// event id (see EventID), and reconciles: it reads which event ids have
// landed under the Firehose prefix and, when some have not after
// SettleTime, sends those again, up to MaxResends times, until all have
// landed or DeliveryTimeout passes; then it fails with a *MissingError
// naming how many are missing and the first few ids. Resending is safe
// because the ETL keeps one row per event id.
//
// Report.Read counts CSV rows, Written the records produced (one per row,
// however often sent), Retried the records PutRecords failed and the
// producer sent again at once, Rejected bad rows. Report.Tables["delivered"]
// holds Read: records produced, Written: distinct records landed,
// Duplicates: deliveries beyond the first, Resent: records resent after
// they failed to land. Objects that were under the prefix before the run
// are not read.
func Run(ctx context.Context, cfg aws.Config, opts Options) (rep pipeline.Report, err error) {
	start := time.Now()
	o := opts.withDefaults()
	names := o.Names.WithDefaults()
	c := pipeline.NewClients(cfg)
	rep = pipeline.Report{Stage: "stream", Tables: map[string]pipeline.TableCounts{}}
	defer func() { rep.Duration = time.Since(start) }()

	streamARN, err := createStream(ctx, c, names.Stream, o.Shards, o.SetupTimeout)
	if err != nil {
		return rep, err
	}
	if err := createDeliveryStream(ctx, c, o, names, streamARN); err != nil {
		return rep, err
	}
	o.Logger.Info("streams active", "stage", "stream", "stream", names.Stream, "delivery_stream", names.DeliveryStream)

	r := &run{o: o, c: c, names: names, rep: &rep,
		src: fmt.Sprintf("s3://%s/%s", names.Bucket, SourceKey),
		p:   &producer{client: c.Kinesis, stream: names.Stream, timeout: o.ProduceTimeout}}
	head, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(names.Bucket), Key: aws.String(SourceKey)})
	if err != nil {
		return rep, fmt.Errorf("read %s: %w (run the stage stage first)", r.src, err)
	}
	r.fp = fingerprint(SourceKey, aws.ToString(head.ETag))
	// Objects already under the prefix belong to earlier runs.
	r.tracker = newDeliveryTracker(c.S3, names.Bucket, names.FirehosePrefix, r.fp)
	if err := r.tracker.baseline(ctx); err != nil {
		return rep, err
	}

	if err := r.pass(ctx, true); err != nil {
		return rep, err
	}
	rep.Written, rep.Retried = r.produced, r.p.retried
	o.Logger.Info("produced", "stage", "stream", "rows", rep.Read, "records", r.produced, "retried", r.p.retried, "rejected", rep.Rejected)

	err = r.reconcile(ctx)
	rep.Retried = r.p.retried
	rep.Tables["delivered"] = pipeline.TableCounts{Read: r.produced, Written: r.tracker.distinct,
		Duplicates: r.tracker.dups, Resent: r.resent}
	if err != nil {
		return rep, err
	}
	o.Logger.Info("delivered", "stage", "stream", "records", r.tracker.distinct, "duplicates", r.tracker.dups,
		"resent", r.resent, "foreign", r.tracker.foreign, "objects", r.tracker.objects())
	return rep, nil
}

// run is one Run's state.
type run struct {
	o       Options
	c       *pipeline.Clients
	names   pipeline.Names
	rep     *pipeline.Report
	src     string // s3://bucket/key of the source
	fp      string // the source's fingerprint
	p       *producer
	tracker *deliveryTracker

	want     lines // source lines produced
	produced int64 // records produced, once each
	resent   int64 // records sent again after they failed to land
}

// pass reads the source once and produces records: on the first pass every
// good row (bad ones are rejected), on later passes only the rows produced
// before whose records have not landed.
func (r *run) pass(ctx context.Context, first bool) error {
	obj, err := r.c.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.names.Bucket), Key: aws.String(SourceKey)})
	if err != nil {
		return fmt.Errorf("read %s: %w", r.src, err)
	}
	defer obj.Body.Close()
	if got := fingerprint(SourceKey, aws.ToString(obj.ETag)); got != r.fp {
		return fmt.Errorf("%s changed while it was being streamed (fingerprint %s, then %s)", r.src, r.fp, got)
	}
	rd, err := newReader(obj.Body, r.src, r.fp)
	if err != nil {
		return err
	}
	lastProgress := time.Now()
	for {
		data, key, line, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rej *RejectError
		if errors.As(err, &rej) {
			if !first {
				continue
			}
			r.rep.Read++
			r.rep.Rejected++
			if r.o.Rejects == nil {
				return fmt.Errorf("%s: %w", r.src, rej)
			}
			if err := r.o.Rejects.Write(append([]string{r.src, fmt.Sprint(rej.Line), rej.Reason}, rej.Raw...)); err != nil {
				return fmt.Errorf("write stream reject: %w", err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r.src, err)
		}
		if first {
			r.rep.Read++
			if r.want.set(line) {
				return fmt.Errorf("%s: line %d read twice", r.src, line)
			}
			r.produced++
		} else {
			if !r.want.has(line) || r.tracker.landed.has(line) {
				continue
			}
			r.resent++
		}
		if err := r.p.add(ctx, data, key); err != nil {
			return err
		}
		if first && time.Since(lastProgress) > time.Second {
			r.o.Progress(r.produced, 0)
			lastProgress = time.Now()
		}
	}
	if err := r.p.flush(ctx); err != nil {
		return err
	}
	if first && r.o.Rejects != nil {
		r.o.Rejects.Flush()
		if err := r.o.Rejects.Error(); err != nil {
			return fmt.Errorf("write stream rejects: %w", err)
		}
	}
	return nil
}

// reconcile polls the prefix until every record produced has landed,
// resending the missing ones when nothing new lands for the settle time.
func (r *run) reconcile(ctx context.Context) error {
	deadline := time.Now().Add(r.o.DeliveryTimeout)
	settle := r.o.SettleTime
	lastLanded, lastChange := int64(-1), time.Now()
	// Objects land at most every buffer interval: polling at a quarter of
	// it (at most every second) sees the last one soon after it lands.
	maxDelay := min(max(r.o.BufferInterval/4, 100*time.Millisecond), time.Second)
	delay := min(200*time.Millisecond, maxDelay)
	resends := 0
	for {
		if err := r.tracker.poll(ctx); err != nil {
			return err
		}
		r.o.Progress(r.produced, r.tracker.distinct)
		if r.tracker.distinct >= r.produced {
			if n, _ := r.tracker.missing(r.want); n == 0 {
				return nil
			}
		}
		now := time.Now()
		if r.tracker.distinct != lastLanded {
			lastLanded, lastChange = r.tracker.distinct, now
		}
		missingErr := func() error {
			n, first := r.tracker.missing(r.want)
			return &MissingError{Missing: n, Produced: r.produced, First: first, Resends: resends,
				Location: "s3://" + r.names.Bucket + "/" + r.names.FirehosePrefix}
		}
		if now.After(deadline) {
			return missingErr()
		}
		if now.Sub(lastChange) >= settle {
			if resends == r.o.MaxResends {
				return missingErr()
			}
			n, first := r.tracker.missing(r.want)
			r.o.Logger.Warn("records have not landed; sending them again", "stage", "stream", "missing", n,
				"first", first, "settle", settle, "round", resends+1)
			if err := r.pass(ctx, false); err != nil {
				return err
			}
			resends++
			lastChange = time.Now()
			settle *= 2
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*3/2, maxDelay)
	}
}
