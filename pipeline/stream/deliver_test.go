package stream

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/pipeline"
)

// TestDeliveryTracker reads objects of both key layouts, AWS's and
// LocalStack's, gzipped with and without ".gz", skips what is hidden (the
// same rule the catalog and the ETL read by), and tells this source's event
// ids, their duplicates and other records apart.
func TestDeliveryTracker(t *testing.T) {
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
	rec := func(ids ...string) string {
		var b bytes.Buffer
		for _, id := range ids {
			b.WriteString(`{"userid":"1","movieid":"2","ratingid":"3.0","timestamp":"4","eventid":"` + id + `"}` + "\n")
		}
		return b.String()
	}
	for key, body := range map[string][]byte{
		"firehose/2026/02/26/10/gc_firehose-1-2026-02-26-10-00-01-aaaa":    []byte(rec("fp-2", "fp-3")),
		"firehose/2026/02/26/10/gc_firehose-1-2026-02-26-10-00-02-bbbb.gz": gz(rec("fp-4", "fp-5", "fp-3")), // fp-3 twice
		"firehose/2026/02/26/10/gc_firehose-2026-02-26-10-00-03-cccc":      gz(rec("fp-6")),                 // LocalStack: no version, no .gz
		"firehose/2026/02/26/10/gc_firehose-2026-02-26-10-00-04-dddd":      []byte(rec("other-2") + "{}\n" + `{"EventID":"fp-7","userid":"1"}` + "\n"),
		"firehose/_SUCCESS": nil,
		"firehose/2026/":    nil,
	} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	d := newDeliveryTracker(c, "lake", "firehose", "fp")
	if err := d.poll(ctx); err != nil {
		t.Fatal(err)
	}
	if d.records != 9 || d.objects() != 4 || d.distinct != 6 || d.dups != 1 || d.foreign != 2 {
		t.Errorf("read %d records in %d objects: %d distinct, %d duplicates, %d foreign; want 9 in 4: 6, 1, 2",
			d.records, d.objects(), d.distinct, d.dups, d.foreign)
	}
	var want lines
	for _, n := range []int{2, 3, 4, 5, 6, 7, 8, 9} {
		want.set(n)
	}
	if n, first := d.missing(want); n != 2 || strings.Join(first, ",") != "fp-8,fp-9" {
		t.Errorf("missing %d %v, want fp-8 and fp-9", n, first)
	}
	// A second poll reads nothing again.
	if err := d.poll(ctx); err != nil || d.records != 9 {
		t.Errorf("second poll: %v, %d records", err, d.records)
	}
}
