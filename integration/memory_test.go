package integration_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

// Memory bounds of TestMemoryPerRating. The in-process state (the emulated
// DynamoDB's items, the Kinesis records, the embedded source until migrate
// is done) grows with the dataset while DuckDB's share is capped: at
// MovieLens 20M it must stay well inside the Go runtime's 2 GiB of the
// 4 GiB budget. 90 bytes a rating is 1.7 GiB at 20M.
const (
	maxLiveBytesPerRating = 90         // measured 63 (live heap after a collection at each stage's end)
	maxPeakRSS1M          = 1280 << 20 // measured 800 to 880 MiB at 1m
)

// TestMemoryPerRating is the CI-sized guard of the MovieLens 20M budget: it
// runs `lake e2e` as a process at workshop scale (100,000 ratings) and at
// 1m (1,000,209), and bounds the Go heap each added rating keeps live (the
// difference of the two runs' highest live heap, so what every run holds
// whatever its size cancels) and the 1m run's peak resident memory. A
// regression that keeps more per row (a store that boxes values, a stage
// that holds a table) shows here long before it breaks a 20m run.
func TestMemoryPerRating(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 1m run")
	}
	bin := buildLake(t)
	type run struct {
		ratings  int64
		liveMiB  float64
		stage    string
		peakMiB  float64
		stageRSS map[string]float64
	}
	e2e := func(scale string) run {
		out := t.TempDir()
		cmd := exec.CommandContext(t.Context(), bin, "e2e")
		cmd.Dir = out
		cmd.Env = append(os.Environ(), "OUT_DIR="+out, "FIXTURE_SCALE="+scale, "PIPELINE_TARGET=embedded",
			"MYSQL_DSN=", "EMULATOR_FAULTS=", "GOMEMLIMIT=", "PIPELINE_MEMORY_LIMIT=")
		log, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("lake e2e at %s: %v\n%s", scale, err, log)
		}
		raw, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep orchestrate.Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatal(err)
		}
		r := run{stageRSS: map[string]float64{}}
		for _, st := range rep.Stages {
			if st.Stage == "train" {
				r.ratings = st.Read
			}
			if st.HeapLiveMiB > r.liveMiB {
				r.liveMiB, r.stage = st.HeapLiveMiB, st.Stage
			}
			r.stageRSS[st.Stage] = st.PeakRSSMiB
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		r.peakMiB = max(rep.PeakRSSMiB, float64(ru.Maxrss)/1024)
		if r.ratings == 0 || r.liveMiB == 0 {
			t.Fatalf("%s: no ratings or no live heap in report.json: %+v", scale, r)
		}
		t.Logf("%s: %d ratings, live heap at most %.1f MiB (after %s), peak RSS %.0f MiB, per stage %v",
			scale, r.ratings, r.liveMiB, r.stage, r.peakMiB, r.stageRSS)
		return r
	}
	small, large := e2e("workshop"), e2e("1m")
	perRating := (large.liveMiB - small.liveMiB) * (1 << 20) / float64(large.ratings-small.ratings)
	t.Logf("live heap per added rating: %.1f bytes (bound %d); at MovieLens 20M that is %.2f GiB",
		perRating, maxLiveBytesPerRating, perRating*20_000_263/(1<<30))
	if perRating > maxLiveBytesPerRating {
		t.Errorf("each rating keeps %.1f bytes of Go heap live, more than %d: the 20m run would not fit its 4 GiB budget", perRating, maxLiveBytesPerRating)
	}
	if large.peakMiB > maxPeakRSS1M>>20 {
		t.Errorf("the 1m run's peak RSS is %.0f MiB, more than %d MiB (per stage: %v)", large.peakMiB, maxPeakRSS1M>>20, large.stageRSS)
	}
}
