package integration_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
	"github.com/mldatalake/mldatalake/pipeline"
)

// TestLocalStackFirehoseLayout runs catalog, etl and verify over Firehose
// objects laid out as LocalStack 4.14.0 writes them: the prefix "firehose"
// given without a trailing '/' gets one added, keys have no "-1-" version
// and no ".gz" (LocalStack ignores CompressionFormat), here with one body
// plain and one gzipped all the same. The outputs must equal the golden
// files of the AWS layout.
func TestLocalStackFirehoseLayout(t *testing.T) {
	s := settings(t, map[string]string{"PIPELINE_TARGET": "embedded", "PIPELINE_FIREHOSE_PREFIX": "firehose"})
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	r := orchestrate.NewRunner(s, e, nil, io.Discard)
	for _, step := range []func(*orchestrate.Runner) (pipeline.Report, error){
		func(r *orchestrate.Runner) (pipeline.Report, error) { return r.Seed(t.Context()) },
		func(r *orchestrate.Runner) (pipeline.Report, error) { return r.Migrate(t.Context()) },
		func(r *orchestrate.Runner) (pipeline.Report, error) { return r.Stage(t.Context()) },
		func(r *orchestrate.Runner) (pipeline.Report, error) { return r.Stream(t.Context()) },
	} {
		if _, err := step(r); err != nil {
			t.Fatal(err)
		}
	}

	// Move what the emulated Firehose delivered (AWS's layout,
	// "firehose2026/MM/DD/HH/gc_firehose-1-...") to LocalStack's.
	c := pipeline.NewClients(e.AWS).S3
	bucket := s.Names.Bucket
	objs, err := pipeline.ListObjects(t.Context(), c, bucket, "firehose")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, o := range objs {
		if !strings.Contains(o.Key, "gc_firehose-1-") {
			t.Fatalf("delivered key %q is not in AWS's layout", o.Key)
		}
		out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	if _, err := pipeline.DeletePrefix(t.Context(), c, bucket, "firehose"); err != nil {
		t.Fatal(err)
	}
	if len(lines) < 2 {
		t.Fatalf("%d records delivered, want at least 2 to split into two objects", len(lines))
	}
	half := len(lines) / 2
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte(strings.Join(lines[half:], ""))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for key, body := range map[string][]byte{
		"firehose/2026/02/26/10/gc_firehose-2026-02-26-10-00-01-8a8c4a2e-7c1e-4d5e-9a51-0c8f0b7d3a11": []byte(strings.Join(lines[:half], "")),
		"firehose/2026/02/26/10/gc_firehose-2026-02-26-10-00-02-1f0e6d3b-2b7a-4a8e-8f2c-5d9e4c3b2a10": gz.Bytes(),
	} {
		if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}

	cat, err := r.Catalog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := cat.Tables["firehose"].Read; got != int64(len(lines)) {
		t.Errorf("catalog table firehose holds %d records, want %d (tables %v)", got, len(lines), cat.Tables)
	}
	if _, err := r.ETL(t.Context()); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Step(t.Context(), "verify")
	if err != nil {
		t.Fatal(err)
	}
	files := rep.Outputs
	for _, out := range []string{pipeline.RatingNew, pipeline.MoviesNew, pipeline.LinksNew} {
		got, err := os.ReadFile(files[out])
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", out+".csv.golden"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the AWS layout's golden file:\n%s\nwant:\n%s", out, got, want)
		}
	}
}
