package integration_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
	"github.com/mldatalake/mldatalake/pipeline"
)

// outputsOf reads the three exported outputs of a run.
func outputsOf(t *testing.T, rep *orchestrate.Report) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range []string{pipeline.RatingNew, pipeline.MoviesNew, pipeline.LinksNew} {
		b, err := os.ReadFile(rep.Outputs[name])
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

func sameOutputs(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for name, w := range want {
		if !bytes.Equal(got[name], w) {
			t.Errorf("%s: %s differs from the fault-free run's (%d bytes, want %d)", what, name, len(got[name]), len(w))
		}
	}
}

func streamReport(rep *orchestrate.Report) pipeline.TableCounts {
	for _, st := range rep.Stages {
		if st.Stage == "stream" {
			return st.Tables["delivered"]
		}
	}
	return pipeline.TableCounts{}
}

// TestExactlyOnce runs the workshop dataset fault-free and under faults
// that make Kinesis and Firehose deliver records twice (lost responses) or
// never (a Firehose reader that starts late): every run must pass verify
// and export byte for byte the fault-free run's training data, with the
// duplicates removed and the resends counted in the report.
func TestExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping four workshop-scale runs")
	}
	base := settings(t, map[string]string{"FIXTURE_SCALE": "workshop"})
	clean := runE2E(t, base)
	writeReports(t, base, clean)
	checkReport(t, base, clean)
	want := outputsOf(t, clean)
	cache := filepath.Join(base.OutDir, "cache")

	var dups int64
	for _, tc := range []struct {
		name, faults string
		resent       bool
	}{
		{"lost responses seed 1", "lost_response=0.03,throttle=0.05,partial=0.05,seed=1", false},
		{"lost responses seed 2", "lost_response=0.03,throttle=0.05,partial=0.05,seed=2", false},
		{"lost responses seed 3", "lost_response=0.03,throttle=0.05,partial=0.05,seed=3", false},
		{"late Firehose reader", "firehose_start=3s", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := settings(t, map[string]string{"FIXTURE_SCALE": "workshop", "EMULATOR_FAULTS": tc.faults})
			// The generated dataset of the clean run, not made again.
			if err := os.Symlink(cache, filepath.Join(s.OutDir, "cache")); err != nil {
				t.Fatal(err)
			}
			rep := runE2E(t, s)
			writeReports(t, s, rep)
			checkReport(t, s, rep)
			sameOutputs(t, tc.faults, outputsOf(t, rep), want)
			d := streamReport(rep)
			t.Logf("%s: %d produced, %d delivered, %d duplicates, %d resent", tc.faults, d.Read, d.Written, d.Duplicates, d.Resent)
			dups += d.Duplicates
			if tc.resent && d.Resent == 0 {
				t.Errorf("no record was resent with %s", tc.faults)
			}
			for _, st := range rep.Stages {
				if st.Stage == "etl" && st.Tables[pipeline.RatingNew].Duplicates != d.Duplicates {
					t.Errorf("the ETL removed %d duplicates, the stream stage counted %d", st.Tables[pipeline.RatingNew].Duplicates, d.Duplicates)
				}
			}
		})
	}
	if dups == 0 {
		t.Error("no run with lost responses delivered a record twice: the test did not test deduplication")
	}
}
