package integration_test

import (
	"io"
	"testing"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

// BenchmarkE2EWorkshop runs the whole pipeline at workshop scale (100,000
// ratings) on the embedded target, as `go tool mage e2e` does by default,
// and reports each stage's seconds. The dataset is generated once, before
// the timer.
func BenchmarkE2EWorkshop(b *testing.B) {
	s := settings(b, map[string]string{"PIPELINE_TARGET": "embedded", "FIXTURE_SCALE": "workshop", "PIPELINE_BUFFER_INTERVAL": "1s"})
	warm := orchestrate.NewRunner(s, nil, nil, io.Discard)
	if _, err := warm.PrepareDataset(b.Context()); err != nil {
		b.Fatal(err)
	}
	stageSeconds := map[string]float64{}
	for b.Loop() {
		e, err := orchestrate.OpenEnv(b.Context(), s, nil)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := orchestrate.NewRunner(s, e, nil, io.Discard).E2E(b.Context())
		e.Close()
		if err != nil {
			b.Fatal(err)
		}
		for _, st := range rep.Stages {
			stageSeconds[st.Stage] += st.Duration.Seconds()
		}
	}
	for stage, sec := range stageSeconds {
		b.ReportMetric(sec/float64(b.N), stage+"-s/op")
	}
}
