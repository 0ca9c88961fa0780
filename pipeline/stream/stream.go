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
	// DeliveryTimeout bounds waiting for every record to land in S3; default
	// BufferInterval plus 5 minutes.
	DeliveryTimeout time.Duration
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
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(int64, int64) {}
	}
	return o
}

// Run creates the streams, produces every rating of SourceKey and waits for
// their delivery. Report.Read counts CSV rows, Written records accepted by
// Kinesis, Retried records sent again, Rejected bad rows;
// Report.Tables["delivered"] counts records found in S3 under the prefix
// (objects that were there before the run are not counted).
func Run(ctx context.Context, cfg aws.Config, opts Options) (pipeline.Report, error) {
	start := time.Now()
	o := opts.withDefaults()
	names := o.Names.WithDefaults()
	c := pipeline.NewClients(cfg)
	rep := pipeline.Report{Stage: "stream", Tables: map[string]pipeline.TableCounts{}}

	streamARN, err := createStream(ctx, c, names.Stream, o.Shards, o.SetupTimeout)
	if err != nil {
		return rep, err
	}
	if err := createDeliveryStream(ctx, c, o, names, streamARN); err != nil {
		return rep, err
	}
	// Objects already under the prefix belong to earlier runs.
	counter := newDeliveryCounter(c.S3, names.Bucket, names.FirehosePrefix)
	if err := counter.baseline(ctx); err != nil {
		return rep, err
	}
	o.Logger.Info("streams active", "stage", "stream", "stream", names.Stream, "delivery_stream", names.DeliveryStream)

	obj, err := c.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(names.Bucket), Key: aws.String(SourceKey)})
	if err != nil {
		return rep, fmt.Errorf("read s3://%s/%s: %w", names.Bucket, SourceKey, err)
	}
	defer obj.Body.Close()
	src := fmt.Sprintf("s3://%s/%s", names.Bucket, SourceKey)
	rd, err := newReader(obj.Body, src)
	if err != nil {
		return rep, err
	}
	p := &producer{client: c.Kinesis, stream: names.Stream, timeout: o.ProduceTimeout}
	lastProgress := time.Now()
	for {
		data, key, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rej *RejectError
		if errors.As(err, &rej) {
			rep.Read++
			rep.Rejected++
			if o.Rejects == nil {
				return rep, fmt.Errorf("%s: %w", src, rej)
			}
			if err := o.Rejects.Write(append([]string{src, fmt.Sprint(rej.Line), rej.Reason}, rej.Raw...)); err != nil {
				return rep, fmt.Errorf("write stream reject: %w", err)
			}
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", src, err)
		}
		rep.Read++
		if err := p.add(ctx, data, key); err != nil {
			return rep, err
		}
		if time.Since(lastProgress) > time.Second {
			o.Progress(p.sent, 0)
			lastProgress = time.Now()
		}
	}
	if err := p.flush(ctx); err != nil {
		return rep, err
	}
	if o.Rejects != nil {
		o.Rejects.Flush()
		if err := o.Rejects.Error(); err != nil {
			return rep, fmt.Errorf("write stream rejects: %w", err)
		}
	}
	rep.Written, rep.Retried = p.sent, p.retried
	o.Logger.Info("produced", "stage", "stream", "rows", rep.Read, "records", p.sent, "retried", p.retried, "rejected", rep.Rejected)

	delivered, err := counter.wait(ctx, p.sent, o.DeliveryTimeout, func(n int64) { o.Progress(p.sent, n) })
	rep.Tables["delivered"] = pipeline.TableCounts{Read: p.sent, Written: delivered}
	rep.Duration = time.Since(start)
	if err != nil {
		return rep, err
	}
	o.Logger.Info("delivered", "stage", "stream", "records", delivered, "objects", counter.objects())
	return rep, nil
}
