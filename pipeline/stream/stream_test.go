package stream_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/stage"
	"github.com/mldatalake/mldatalake/pipeline/stream"
)

// ratingsCSV returns n ratings as ratings-partial-load.csv and the JSON lines
// the stream must deliver for them.
func ratingsCSV(n int) (string, []string) {
	var b strings.Builder
	b.WriteString("userId,movieId,rating,timestamp\n")
	var want []string
	for i := range n {
		u, m, r, ts := fmt.Sprint(1+i%97), fmt.Sprint(1+i), fmt.Sprintf("%d.%d", 1+i%5, 5*(i%2)), fmt.Sprint(1500000000+i)
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", u, m, r, ts)
		want = append(want, fmt.Sprintf(`{"userid":"%s","movieid":"%s","ratingid":"%s","timestamp":"%s"}`, u, m, r, ts))
	}
	return b.String(), want
}

func setup(t testing.TB, srv *emulation.Server, body string) *s3.Client {
	t.Helper()
	c := pipeline.NewClients(srv.Config()).S3
	if err := stage.EnsureBucket(t.Context(), c, pipeline.DefaultBucket, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(stream.SourceKey), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	return c
}

// delivered reads every object under the prefix and returns its lines, sorted.
func delivered(t *testing.T, c *s3.Client, prefix string) (keys, lines []string) {
	t.Helper()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(pipeline.DefaultBucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			keys = append(keys, key)
			out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = out.Body
			if strings.HasSuffix(key, ".gz") {
				gz, err := gzip.NewReader(out.Body)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				r = gz
			}
			b, _ := io.ReadAll(r)
			out.Body.Close()
			if len(b) > 0 && b[len(b)-1] != '\n' {
				t.Errorf("%s does not end with a newline", key)
			}
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	sort.Strings(lines)
	return keys, lines
}

func TestStream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults string
		gzip   bool
		// dups and resent say whether the faults must cause duplicates and
		// resends.
		dups, resent bool
	}{
		{name: "fault-free"},
		{name: "gzip", gzip: true},
		{name: "throttling and partial failures", faults: "throttle=0.1,partial=0.1,seed=42"},
		{name: "lost responses", faults: "lost_response=0.3,seed=3", dups: true},
		{name: "late Firehose reader", faults: "firehose_start=2s", resent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fc, err := fault.Parse(tc.faults)
			if err != nil {
				t.Fatal(err)
			}
			srv := emulation.NewTestServer(t, emulation.WithFaults(fc))
			body, want := ratingsCSV(1200)
			c := setup(t, srv, body)
			opts := stream.Options{BufferInterval: time.Second, Shards: 4, DeliveryTimeout: time.Minute}
			if tc.gzip {
				opts.Compression = fhtypes.CompressionFormatGzip
			}
			rep, err := stream.Run(t.Context(), srv.Config(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Read != 1200 || rep.Written != 1200 || rep.Tables["delivered"].Written != 1200 {
				t.Errorf("read %d written %d delivered %d; want 1200 each", rep.Read, rep.Written, rep.Tables["delivered"].Written)
			}
			if strings.Contains(tc.faults, "partial") && rep.Retried == 0 {
				t.Errorf("no record was retried under %s", tc.faults)
			}
			keys, lines := delivered(t, c, pipeline.DefaultFirehosePrefix)
			records, ids := withoutEventIDs(t, lines)
			sort.Strings(want)
			if strings.Join(records, "\n") != strings.Join(want, "\n") {
				t.Errorf("delivered %d records (%d distinct), want the %d produced", len(lines), len(records), len(want))
			}
			if len(ids) != len(want) {
				t.Errorf("%d distinct event ids for %d records produced", len(ids), len(want))
			}
			d := rep.Tables["delivered"]
			// Duplicates may come without faults too (the SDK resends a
			// request whose connection broke): the count must be exact.
			if d.Duplicates != int64(len(lines)-len(ids)) || (tc.dups && d.Duplicates == 0) {
				t.Errorf("report: %d duplicates; %d records of %d ids were delivered (duplicates expected: %v)", d.Duplicates, len(lines), len(ids), tc.dups)
			}
			if (d.Resent > 0) != tc.resent {
				t.Errorf("report: %d resent (resends expected: %v)", d.Resent, tc.resent)
			}
			ext := ""
			if tc.gzip {
				ext = `\.gz`
			}
			keyRe := regexp.MustCompile(`^firehose/\d{4}/\d{2}/\d{2}/\d{2}/gc_firehose-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}` + ext + `$`)
			for _, k := range keys {
				if !keyRe.MatchString(k) {
					t.Errorf("key %q does not follow Firehose's layout", k)
				}
			}
		})
	}
}

var eventIDRe = regexp.MustCompile(`,"eventid":"([0-9a-f]{16})-(\d+)"}$`)

// withoutEventIDs returns the records without their event id, one per id,
// sorted, and the set of ids; every record must carry one of one source.
func withoutEventIDs(t *testing.T, lines []string) ([]string, map[string]bool) {
	t.Helper()
	ids := map[string]bool{}
	fps := map[string]bool{}
	var out []string
	for _, l := range lines {
		m := eventIDRe.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("record %s has no event id", l)
		}
		id := m[1] + "-" + m[2]
		fps[m[1]] = true
		if ids[id] {
			continue // a duplicate delivery: one row per id
		}
		ids[id] = true
		out = append(out, l[:len(l)-len(m[0])]+"}")
	}
	if len(fps) > 1 {
		t.Errorf("event ids of %d fingerprints, want one source", len(fps))
	}
	sort.Strings(out)
	return out, ids
}

func TestStreamBadInput(t *testing.T) {
	t.Run("header", func(t *testing.T) {
		srv := emulation.NewTestServer(t)
		setup(t, srv, "user,movie,rating,ts\n1,2,3.0,4\n")
		_, err := stream.Run(t.Context(), srv.Config(), stream.Options{BufferInterval: time.Second})
		if err == nil || !strings.Contains(err.Error(), stream.SourceKey) || !strings.Contains(err.Error(), "header") {
			t.Errorf("err = %v, want one naming the file and its header", err)
		}
	})
	t.Run("rows", func(t *testing.T) {
		srv := emulation.NewTestServer(t)
		setup(t, srv, "userId,movieId,rating,timestamp\n1,2,3.0,4\nx,2,3.0,4\n1,2\n5,6,4.5,7\n")
		var rejects bytes.Buffer
		w := csv.NewWriter(&rejects)
		rep, err := stream.Run(t.Context(), srv.Config(), stream.Options{BufferInterval: time.Second, Rejects: w})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Read != 4 || rep.Written != 2 || rep.Rejected != 2 {
			t.Errorf("read %d written %d rejected %d; want 4, 2, 2", rep.Read, rep.Written, rep.Rejected)
		}
		got := rejects.String()
		for _, want := range []string{`,3,"userId ""x"" is not an integer",x,2,3.0,4`, `,4,"2 fields, want 4",1,2`} {
			if !strings.Contains(got, want) {
				t.Errorf("rejects %q lack %q", got, want)
			}
		}
	})
}
