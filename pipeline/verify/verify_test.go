package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/stage"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// A prepared dataset and the outputs the Glue job computes from it.
var prepared = map[string]string{
	"ratings.csv":              "userId,movieId,rating,timestamp\n2,10,3.0,\"1112484727\"\n1,20,4.5,1112484580\n",
	"ratings-partial-load.csv": "userId,movieId,rating,timestamp\n1,10,0.5,1500000000\n",
	"movies.csv":               "movieId,title,genres\n20,\"Heat, \"\"The\"\" (1995)\",Action|Crime\n10,Amélie (2001),Comedy|Romance\n",
	"links.csv":                "movieId,imdbId,tmdbId\n10,0211915,194\n20,0113277,\n",
}

var goodOutputs = map[string]string{
	"rating_new": "userid,movieid,rating,timestamp_c\n1,10,0.5,1500000000\n1,20,4.5,1112484580\n2,10,3.0,1112484727\n",
	"movies_new": "movieid,title,genres\n10,Amélie (2001),Comedy|Romance\n20,\"Heat, The (1995)\",Action|Crime\n",
	"links_new":  "movieid,imdbid,tmdbid\n10,0211915,194\n20,0113277,\n",
}

func writePrepared(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range prepared {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func putOutputs(t *testing.T, srv *emulation.Server, outputs map[string]string, extra ...string) {
	t.Helper()
	c := pipeline.NewClients(srv.Config()).S3
	if err := stage.EnsureBucket(t.Context(), c, pipeline.DefaultBucket, ""); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) {
		if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range outputs {
		put(pipeline.TrainingPrefix+name+"/part-00000-c000.csv", body)
		put(pipeline.TrainingPrefix+name+"/_SUCCESS", "")
	}
	for _, k := range extra {
		put(k, "x\n")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	expected, err := verify.Expect(writePrepared(t), verify.DefaultKeepRows)
	if err != nil {
		t.Fatal(err)
	}
	goodCounts := func() *verify.Counts {
		return &verify.Counts{
			SourceRows:  map[string]int64{"ratings": 2, "movies": 2, "links": 2},
			TargetItems: map[string]int64{"ratings_t": 2, "movies_t": 2, "links_t": 2},
			Produced:    1, Delivered: 1, StreamInput: 1,
		}
	}
	with := func(name, body string) map[string]string {
		m := map[string]string{}
		for k, v := range goodOutputs {
			m[k] = v
		}
		m[name] = body
		return m
	}
	for _, tc := range []struct {
		name    string
		outputs map[string]string
		extra   []string
		counts  func(*verify.Counts)
		fail    string // the failing assertion
		message string // what its message must say
	}{
		{name: "good"},
		{name: "header", outputs: with("links_new", "movieId,imdbId,tmdbId\n10,0211915,194\n20,0113277,\n"),
			fail: "links_new/header", message: "row 1"},
		{name: "unsorted", outputs: with("rating_new", "userid,movieid,rating,timestamp_c\n1,20,4.5,1112484580\n1,10,0.5,1500000000\n2,10,3.0,1112484727\n"),
			fail: "rating_new/sorted", message: "row 3 column userid"},
		{name: "non-integer id", outputs: with("movies_new", "movieid,title,genres\n10,Amélie (2001),Comedy|Romance\nx,\"Heat, The (1995)\",Action|Crime\n"),
			fail: "movies_new/integer ids", message: `row 3 column movieid: "x"`},
		{name: "text changed", outputs: with("links_new", "movieid,imdbid,tmdbid\n10,211915,194\n20,0113277,\n"),
			fail: "links_new/contents", message: "missing rows: 10,0211915,194"},
		{name: "two files", extra: []string{pipeline.TrainingPrefix + "movies_new/part-00001-c000.csv"},
			fail: "movies_new/one data file", message: "2 CSV files"},
		{name: "lost in migrate", counts: func(c *verify.Counts) { c.TargetItems["movies_t"] = 1 },
			fail: "counts/movies source = movies_t items + exceptions", message: "MySQL movies has 2 rows"},
		{name: "lost in delivery", counts: func(c *verify.Counts) { c.Delivered = 0 },
			fail: "counts/stream produced = distinct delivered", message: "1 records produced"},
		{name: "duplicates kept by the ETL", counts: func(c *verify.Counts) { c.StreamInput = 2 },
			fail: "counts/stream distinct delivered = ETL stream rows", message: "the ETL kept 2 stream records"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulation.NewTestServer(t)
			outputs := tc.outputs
			if outputs == nil {
				outputs = goodOutputs
			}
			putOutputs(t, srv, outputs, tc.extra...)
			counts := goodCounts()
			if tc.counts != nil {
				tc.counts(counts)
			}
			res, err := verify.Run(t.Context(), srv.Config(), verify.Options{Counts: counts, Expected: expected})
			if err != nil {
				t.Fatal(err)
			}
			failed := res.Failed()
			if tc.fail == "" {
				if len(failed) > 0 {
					t.Fatalf("failed: %v", res.Err())
				}
				if len(res.Assertions) < 16 {
					t.Errorf("%d assertions ran, want every check", len(res.Assertions))
				}
				return
			}
			found := false
			for _, a := range failed {
				if a.Name == tc.fail {
					found = true
					if !strings.Contains(a.Message, tc.message) {
						t.Errorf("%s: message %q lacks %q", a.Name, a.Message, tc.message)
					}
				}
			}
			if !found {
				t.Errorf("assertion %s did not fail; failures: %v", tc.fail, res.Err())
			}
		})
	}
}
