package stream

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/pipeline"
)

// TestDeliveryCounterLayouts counts records in objects of both key layouts,
// AWS's and LocalStack's, gzipped with and without ".gz", and skips what is
// hidden: the same rule the catalog and the ETL read by.
func TestDeliveryCounterLayouts(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	c := pipeline.NewClients(srv.Config()).S3
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	for key, body := range map[string][]byte{
		"firehose/2026/02/26/10/gc_firehose-1-2026-02-26-10-00-01-aaaa":    []byte("{}\n{}\n"),
		"firehose/2026/02/26/10/gc_firehose-1-2026-02-26-10-00-02-bbbb.gz": gz("{}\n{}\n{}\n"),
		"firehose/2026/02/26/10/gc_firehose-2026-02-26-10-00-03-cccc":      gz("{}\n"), // LocalStack: no version, no .gz
		"firehose/2026/02/26/10/gc_firehose-2026-02-26-10-00-04-dddd":      []byte("{}\n{}\n{}\n{}\n"),
		"firehose/_SUCCESS": nil,
		"firehose/2026/":    nil,
	} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	d := newDeliveryCounter(c, "lake", "firehose")
	if err := d.poll(ctx); err != nil {
		t.Fatal(err)
	}
	if d.total != 10 || d.objects() != 4 {
		t.Errorf("counted %d records in %d objects, want 10 in 4", d.total, d.objects())
	}
}
