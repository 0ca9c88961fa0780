package integration_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/train"
)

// TestTrainAfterVerify runs the stages one at a time: train refuses to run
// before verify has passed in the run, then writes both SageMaker channels
// (label first, no header, the newest tenth of rating_new held out) to S3
// and OUT_DIR, and report.json carries train.rmse and train.baseline_rmse.
func TestTrainAfterVerify(t *testing.T) {
	// Tiny: the RMSE against the baseline at workshop and 1m scale is
	// pipeline/train's TestBeatsBaseline.
	s := settings(t, map[string]string{"PIPELINE_TARGET": "embedded"})
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	r := orchestrate.NewRunner(s, e, nil, io.Discard)
	for _, name := range []string{"seed", "migrate", "stage", "stream", "catalog", "etl"} {
		if _, err := r.Step(t.Context(), name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := r.Step(t.Context(), "train"); err == nil || !strings.Contains(err.Error(), "run verify first") {
		t.Fatalf("train before verify: %v, want an error saying to run verify first", err)
	}
	if _, err := r.Step(t.Context(), "verify"); err != nil {
		t.Fatalf("verify: %v", err)
	}
	rep, err := r.Step(t.Context(), "train")
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	onDisk := readRunReport(t, s.OutDir)
	if onDisk.Train == nil || onDisk.Train.RMSE == 0 || onDisk.Train.BaselineRMSE == 0 {
		t.Fatalf("report.json's train: %+v", onDisk.Train)
	}
	ratings := int64(len(readColumn(t, rep.Outputs[pipeline.RatingNew], "userid")))
	m := onDisk.Train
	if m.Validation != ratings/10 || m.Train+m.Validation != ratings {
		t.Errorf("channels of %d and %d rows, want %d and %d", m.Train, m.Validation, ratings-ratings/10, ratings/10)
	}
	for channel, file := range m.Files {
		lines := readLines(t, filepath.Join(s.OutDir, file))
		want := m.Train
		if channel == train.ValidationDir {
			want = m.Validation
		}
		if int64(len(lines)) != want {
			t.Errorf("%s: %d lines, want %d", file, len(lines), want)
		}
		// Label first, no header: four numbers, the first a rating.
		f := strings.Split(lines[0], ",")
		v, err := strconv.ParseFloat(f[0], 64)
		if len(f) != len(train.Columns) || err != nil || v < 0.5 || v > 5 {
			t.Errorf("%s line 1 %q: want rating,userid,movieid,timestamp", file, lines[0])
		}
	}
	keys, err := pipeline.ListKeys(t.Context(), pipeline.NewClients(e.AWS).S3, s.Names.Bucket, train.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, " ") != train.Prefix+train.TrainFile+" "+train.Prefix+train.ValidationFile {
		t.Errorf("keys under %s: %v", train.Prefix, keys)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
