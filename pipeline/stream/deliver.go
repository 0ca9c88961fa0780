package stream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/pipeline"
)

// deliveryCounter counts the records Firehose has written under a prefix,
// reading each new object once.
type deliveryCounter struct {
	s3      *s3.Client
	bucket  string
	prefix  string
	before  map[string]bool  // objects present before the run
	counted map[string]int64 // records per object of this run
	total   int64
}

func newDeliveryCounter(c *s3.Client, bucket, prefix string) *deliveryCounter {
	return &deliveryCounter{s3: c, bucket: bucket, prefix: prefix, before: map[string]bool{}, counted: map[string]int64{}}
}

func (d *deliveryCounter) baseline(ctx context.Context) error {
	return d.list(ctx, func(key string) error { d.before[key] = true; return nil })
}

func (d *deliveryCounter) objects() int { return len(d.counted) }

func (d *deliveryCounter) list(ctx context.Context, fn func(key string) error) error {
	objs, err := pipeline.ListObjects(ctx, d.s3, d.bucket, d.prefix)
	for _, o := range objs {
		if err := fn(o.Key); err != nil {
			return err
		}
	}
	return err
}

// poll reads the objects that appeared since the last poll.
func (d *deliveryCounter) poll(ctx context.Context) error {
	return d.list(ctx, func(key string) error {
		if d.before[key] {
			return nil
		}
		if _, ok := d.counted[key]; ok {
			return nil
		}
		n, err := d.count(ctx, key)
		if err != nil {
			return err
		}
		d.counted[key] = n
		d.total += n
		return nil
	})
}

// count returns the number of newline-terminated records in one object,
// gunzipped when it is gzip (see pipeline.ReadObject: by its first bytes,
// whatever its key).
func (d *deliveryCounter) count(ctx context.Context, key string) (int64, error) {
	var n int64
	err := pipeline.ReadObject(ctx, d.s3, d.bucket, key, func(r io.Reader, _ string) error {
		buf := make([]byte, 64<<10)
		for {
			m, err := r.Read(buf)
			n += int64(bytes.Count(buf[:m], []byte{'\n'}))
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	return n, err
}

// wait polls until want records have landed or the timeout passes. More
// records than produced is not an error here (Firehose delivers at least
// once); the caller compares the counts.
func (d *deliveryCounter) wait(ctx context.Context, want int64, timeout time.Duration, progress func(int64)) (int64, error) {
	deadline := time.Now().Add(timeout)
	delay := 200 * time.Millisecond
	for {
		if err := d.poll(ctx); err != nil {
			return d.total, err
		}
		progress(d.total)
		if d.total >= want {
			return d.total, nil
		}
		if time.Now().After(deadline) {
			return d.total, fmt.Errorf("only %d of %d records landed under s3://%s/%s after %v", d.total, want, d.bucket, d.prefix, timeout)
		}
		select {
		case <-ctx.Done():
			return d.total, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*3/2, time.Second)
	}
}
