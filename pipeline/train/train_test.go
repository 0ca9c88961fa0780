package train_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/fixtures/generate"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/stage"
	"github.com/mldatalake/mldatalake/pipeline/train"
)

// ratingNew generates a dataset of scale s and returns its ratings as
// rating_new's CSV (the ETL's header; the rows are the same ratings).
func ratingNew(tb testing.TB, s generate.Scale) []byte {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := generate.Generate(tb.Context(), dir, s); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "ratings.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	_, rows, _ := bytes.Cut(b, []byte("\n"))
	return append([]byte("userid,movieid,rating,timestamp_c\n"), rows...)
}

func TestReadRatings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{name: "columns by name", in: "timestamp_c,rating,movieid,userid,extra\n100,4.5,7,3,x\n",
			want: "[{3 7 4.5 100}]"},
		{name: "no rows", in: "userid,movieid,rating,timestamp_c\n", want: "[]"},
		{name: "missing column", in: "userid,movieid,rating\n1,2,3\n", err: `has no column timestamp_c`},
		{name: "bad id", in: "userid,movieid,rating,timestamp_c\n1,2,3,4\nx,2,3,4\n", err: `row 3 column userid: "x" is not an integer`},
		{name: "bad rating", in: "userid,movieid,rating,timestamp_c\n1,2,three,4\n", err: `row 2 column rating: "three" is not a number`},
		{name: "bad time", in: "userid,movieid,rating,timestamp_c\n1,2,3.0,\"12a\"\n", err: `row 2 column timestamp_c: "12a" is not a Unix time`},
		{name: "short row", in: "userid,movieid,rating,timestamp_c\n1,2\n", err: `row 2: 2 fields, no column rating`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := train.ReadRatings(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := fmt.Sprint(got); s != tc.want && !(tc.want == "[]" && len(got) == 0) {
				t.Errorf("got %s, want %s", s, tc.want)
			}
		})
	}
}

// TestSplit: the newest tenth by time is held out, ties broken by user
// and movie, whatever the input order.
func TestSplit(t *testing.T) {
	t.Parallel()
	var rs []train.Rating
	for i := range 20 {
		rs = append(rs, train.Rating{User: int32(20 - i), Item: 1, Value: 3, Time: int64(i / 2)})
	}
	tr, val := train.Split(rs, 0.1)
	if len(tr) != 18 || len(val) != 2 {
		t.Fatalf("split %d/%d, want 18/2", len(tr), len(val))
	}
	// Times 9 and 9 are the newest, users 1 and 2; within time 9 by user.
	if val[0].Time != 9 || val[0].User != 1 || val[1].User != 2 {
		t.Errorf("holdout %v, want time 9, users 1 then 2", val)
	}
	for _, r := range tr {
		if r.Time > val[0].Time {
			t.Errorf("training rating %v is newer than the holdout", r)
		}
	}
}

// TestFitBiases: on ratings made of a mean, user and item effects, the
// biases find the effects' signs and order, shrunk toward zero for the item
// with few ratings.
func TestFitBiases(t *testing.T) {
	t.Parallel()
	var rs []train.Rating
	item := map[int32]float32{1: +1, 2: 0, 3: -1, 4: +1}
	user := map[int32]float32{1: +0.5, 2: -0.5}
	for u := int32(1); u <= 2; u++ {
		for it := int32(1); it <= 3; it++ {
			for rep := range 50 {
				rs = append(rs, train.Rating{User: u*100 + int32(rep), Item: it, Value: 3 + item[it] + user[u]})
			}
		}
	}
	rs = append(rs, train.Rating{User: 100, Item: 4, Value: 4.5}) // item 4: one rating
	m := train.FitBiases(rs)
	b := m.ItemBias
	// 100 ratings each: shrunk by 100/(100+ItemLambda) = 0.8.
	if !(b[1] > 0.75 && b[1] < 0.85 && b[3] < -0.75 && b[3] > -0.85 && b[2] > -0.05 && b[2] < 0.05) {
		t.Errorf("item biases %v, want about +0.8, 0, -0.8", b)
	}
	if !(b[4] > 0 && b[4] < 0.2) {
		t.Errorf("item 4's bias %.3f: one rating should give a small positive bias", b[4])
	}
	if got := m.Predict(100, 1); got < 4 || got > 5 {
		t.Errorf("Predict(user 100, item 1) = %.2f, want about 4.5", got)
	}
	if got := m.Predict(999, 999); got != m.Mean {
		t.Errorf("Predict of an unknown user and item = %.3f, want the mean %.3f", got, m.Mean)
	}
}

// TestBeatsBaseline: on generated data at workshop and 1m scale the biases
// beat the global mean on the newest tenth; factorisation is measured
// beside them. Figures are logged for the README.
func TestBeatsBaseline(t *testing.T) {
	t.Parallel()
	for _, s := range []generate.Scale{generate.Workshop, generate.ML1M} {
		t.Run(s.Name, func(t *testing.T) {
			if s == generate.ML1M && testing.Short() {
				t.Skip("-short: skipping the 1m scale")
			}
			rs, err := train.ReadRatings(bytes.NewReader(ratingNew(t, s)))
			if err != nil {
				t.Fatal(err)
			}
			f := train.Fit(rs, train.DefaultMF)
			t.Logf("%s: %d train, %d held out (%.0f%% by users unseen in training): global mean %.4f, biases %.4f, biases+MF(%d) %.4f",
				s.Name, len(f.Train), len(f.Validation), 100*f.ColdShare, f.BaselineRMSE, f.BiasRMSE, f.Factors, f.RMSE)
			if f.BiasRMSE > 0.97*f.BaselineRMSE {
				t.Errorf("biases' RMSE %.4f is not 3%% below the global mean's %.4f", f.BiasRMSE, f.BaselineRMSE)
			}
			if f.RMSE > f.BaselineRMSE {
				t.Errorf("MF's RMSE %.4f is above the global mean's %.4f", f.RMSE, f.BaselineRMSE)
			}
		})
	}
}

// TestDeterministic: the same seed gives the same model; another seed
// gives other factors.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	data := ratingNew(t, generate.Workshop)
	fit := func(seed uint64) *train.Fitted {
		rs, err := train.ReadRatings(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		mf := train.DefaultMF
		mf.Seed = seed
		return train.Fit(rs, mf)
	}
	a, b, c := fit(1), fit(1), fit(2)
	if a.RMSE != b.RMSE || a.BiasRMSE != b.BiasRMSE {
		t.Errorf("same seed: RMSE %v and %v", a.RMSE, b.RMSE)
	}
	if a.RMSE == c.RMSE {
		t.Errorf("seeds 1 and 2 give the same RMSE %v", a.RMSE)
	}
	if a.BiasRMSE != c.BiasRMSE {
		t.Errorf("the biases depend on the seed: %v and %v", a.BiasRMSE, c.BiasRMSE)
	}
}

func putRatingNew(tb testing.TB, srv *emulation.Server, body []byte) {
	tb.Helper()
	c := pipeline.NewClients(srv.Config()).S3
	if err := stage.EnsureBucket(tb.Context(), c, pipeline.DefaultBucket, ""); err != nil {
		tb.Fatal(err)
	}
	for key, b := range map[string][]byte{
		pipeline.TrainingPrefix + "rating_new/part-00000-x-c000.csv": body,
		pipeline.TrainingPrefix + "rating_new/_SUCCESS":              nil,
	} {
		if _, err := c.PutObject(tb.Context(), &s3.PutObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestRun: the stage reads rating_new from S3 and writes the two channels
// in SageMaker's layout to S3 and to the local folder, with the figures in
// the report; ErrorIfExists refuses to replace them.
func TestRun(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	body := []byte("userid,movieid,rating,timestamp_c\n")
	for i := range 40 {
		body = fmt.Appendf(body, "%d,%d,%s,%d\n", 1+i%4, 10+i%5, []string{"3.0", "4.5", "1.0", "5.0"}[i%4], 1000+i)
	}
	putRatingNew(t, srv, body)
	local := filepath.Join(t.TempDir(), "sagemaker")
	rep, err := train.Run(t.Context(), srv.Config(), train.Options{LocalDir: local})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 40 || rep.Written != 40 || rep.Tables["train"].Written != 36 || rep.Tables["validation"].Written != 4 {
		t.Errorf("report %+v", rep)
	}
	for _, m := range []string{train.MetricRMSE, train.MetricBaselineRMSE, train.MetricBiasRMSE, train.MetricGlobalMean, train.MetricHoldoutFrom} {
		if _, ok := rep.Metrics[m]; !ok {
			t.Errorf("metric %s missing: %v", m, rep.Metrics)
		}
	}
	if rep.Metrics[train.MetricHoldoutFrom] != 1036 {
		t.Errorf("holdout from %v, want the 37th time 1036", rep.Metrics[train.MetricHoldoutFrom])
	}
	c := pipeline.NewClients(srv.Config()).S3
	keys, err := pipeline.ListKeys(t.Context(), c, pipeline.DefaultBucket, train.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{train.Prefix + "train/train.csv", train.Prefix + "validation/validation.csv"}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	val, err := os.ReadFile(filepath.Join(local, "validation", "validation.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Label first, no header, oldest first: rows 37..40 of the input.
	if got, want := string(val), "3,1,11,1036\n4.5,2,12,1037\n1,3,13,1038\n5,4,14,1039\n"; got != want {
		t.Errorf("validation.csv:\n%s\nwant:\n%s", got, want)
	}
	if _, err := train.Run(t.Context(), srv.Config(), train.Options{Mode: train.ErrorIfExists}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("ErrorIfExists over existing files: %v", err)
	}
}

func TestRunWithoutRatingNew(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	if err := stage.EnsureBucket(t.Context(), pipeline.NewClients(srv.Config()).S3, pipeline.DefaultBucket, ""); err != nil {
		t.Fatal(err)
	}
	_, err := train.Run(t.Context(), srv.Config(), train.Options{})
	if err == nil || !strings.Contains(err.Error(), "holds 0 CSV files") {
		t.Errorf("error %v, want one saying rating_new holds no CSV", err)
	}
}
