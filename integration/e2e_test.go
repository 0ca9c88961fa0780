package integration_test

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/fixtures/generate"
	"github.com/mldatalake/mldatalake/integration/orchestrate"
	"github.com/mldatalake/mldatalake/pipeline"
)

// settings loads the harness settings from vars alone (not the process
// environment), with a fresh OUT_DIR.
func settings(t testing.TB, vars map[string]string) orchestrate.Settings {
	t.Helper()
	m := map[string]string{"OUT_DIR": t.TempDir(), "FIXTURE_SCALE": "tiny", "PIPELINE_BUFFER_INTERVAL": "1s"}
	for k, v := range vars {
		m[k] = v
	}
	s, err := orchestrate.Load(func(k string) string { return m[k] })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runE2E opens the environment and runs the whole pipeline.
func runE2E(t testing.TB, s orchestrate.Settings) *orchestrate.Report {
	t.Helper()
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	rep, err := orchestrate.NewRunner(s, e, nil, io.Discard).E2E(t.Context())
	if err != nil {
		var b strings.Builder
		rep.WriteSummary(&b)
		t.Fatalf("e2e on %s: %v\n%s", s.Target, err, b.String())
	}
	return rep
}

// checkReport asserts what every successful run must show.
func checkReport(t *testing.T, s orchestrate.Settings, rep *orchestrate.Report) {
	t.Helper()
	if !rep.Succeeded || rep.Verify == nil || len(rep.Verify.Failed()) > 0 {
		t.Fatalf("run did not succeed: %s", rep.Error)
	}
	names := map[string]bool{}
	for _, a := range rep.Verify.Assertions {
		names[a.Name] = true
	}
	for _, want := range []string{"rating_new/contents", "movies_new/contents", "links_new/contents",
		"counts/stream produced = distinct delivered", "counts/stream distinct delivered = ETL stream rows", "counts/rating_new rows"} {
		if !names[want] {
			t.Errorf("assertion %s did not run", want)
		}
	}
	for _, out := range []string{pipeline.RatingNew, pipeline.MoviesNew, pipeline.LinksNew} {
		files, _ := filepath.Glob(filepath.Join(s.OutDir, "trainingdata", out, "*.csv"))
		if len(files) != 1 {
			t.Errorf("OUT_DIR/trainingdata/%s holds %v, want one CSV", out, files)
		}
	}
	var onDisk orchestrate.Report
	b, err := os.ReadFile(filepath.Join(s.OutDir, "report.json"))
	if err == nil {
		err = json.Unmarshal(b, &onDisk)
	}
	if err != nil || !onDisk.Succeeded {
		t.Errorf("report.json: %v (succeeded %v)", err, onDisk.Succeeded)
	}
	if junit, err := os.ReadFile(filepath.Join(s.OutDir, "junit.xml")); err != nil || !strings.Contains(string(junit), `failures="0"`) {
		t.Errorf("junit.xml: %v", err)
	}
}

func writeReports(t *testing.T, s orchestrate.Settings, rep *orchestrate.Report) {
	t.Helper()
	if err := rep.WriteFiles(s.OutDir); err != nil {
		t.Fatal(err)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestE2EEmbedded runs the tiny dataset through every stage and compares the
// three exported outputs with testdata/<output>.csv.golden (refresh with
// -update and read the diff by eye).
func TestE2EEmbedded(t *testing.T) {
	s := settings(t, map[string]string{"PIPELINE_TARGET": "embedded"})
	rep := runE2E(t, s)
	writeReports(t, s, rep)
	checkReport(t, s, rep)
	if rep.Target != "embedded" {
		t.Errorf("target %q", rep.Target)
	}
	for _, out := range []string{pipeline.RatingNew, pipeline.MoviesNew, pipeline.LinksNew} {
		got, err := os.ReadFile(rep.Outputs[out])
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", out+".csv.golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s:\n%s\nwant:\n%s", rep.Outputs[out], golden, got, want)
		}
	}
}

func TestE2EWithFaults(t *testing.T) {
	s := settings(t, map[string]string{"PIPELINE_TARGET": "embedded",
		"EMULATOR_FAULTS": "throttle=0.05,partial=0.1,error5xx=0.02,seed=7"})
	rep := runE2E(t, s)
	writeReports(t, s, rep)
	checkReport(t, s, rep)
	var retried int64
	for _, st := range rep.Stages {
		retried += st.Retried
	}
	if retried == 0 {
		t.Error("no stage retried anything under fault injection")
	}
}

func TestE2EMariaDB(t *testing.T) {
	dsn := os.Getenv("MYSQL_DSN")
	if dsn == "" {
		t.Skip("MYSQL_DSN is not set: skipping the run with MariaDB as the source (.ci/run sets it)")
	}
	s := settings(t, map[string]string{"PIPELINE_TARGET": "embedded", "MYSQL_DSN": dsn})
	// A schema of its own, so parallel packages using MariaDB do not collide.
	s.Names.SourceSchema = "movielens_e2e"
	rep := runE2E(t, s)
	writeReports(t, s, rep)
	checkReport(t, s, rep)
}

func TestE2EEndpoint(t *testing.T) {
	srv := emulation.NewTestServer(t)
	embedded, err := env.Open(t.Context(), env.Embedded, env.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { embedded.Close() })
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	s := settings(t, map[string]string{"PIPELINE_TARGET": "endpoint", "MYSQL_DSN": embedded.MySQLDSN})
	rep := runE2E(t, s)
	writeReports(t, s, rep)
	checkReport(t, s, rep)
}

// TestE2EMovieLensDir runs on a MovieLens-format directory with its own
// ratings-partial-load.csv: verify compares the outputs with the Glue job's
// transforms applied to exactly those files.
func TestE2EMovieLensDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := generate.Generate(t.Context(), dir, generate.Tiny, generate.WithSeed(99)); err != nil {
		t.Fatal(err)
	}
	// Move the last two ratings into ratings-partial-load.csv.
	b, err := os.ReadFile(filepath.Join(dir, "ratings.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	keep, partial := lines[:len(lines)-2], lines[len(lines)-2:]
	os.WriteFile(filepath.Join(dir, "ratings.csv"), []byte(strings.Join(keep, "")), 0o644)
	os.WriteFile(filepath.Join(dir, "ratings-partial-load.csv"), []byte(lines[0]+strings.Join(partial, "")+"\n"), 0o644)

	s := settings(t, map[string]string{"PIPELINE_TARGET": "embedded", "MOVIELENS_DIR": dir})
	rep := runE2E(t, s)
	writeReports(t, s, rep)
	checkReport(t, s, rep)
	if rep.Dataset != dir {
		t.Errorf("dataset %q, want %q", rep.Dataset, dir)
	}
	var streamed int64
	for _, st := range rep.Stages {
		if st.Stage == "stream" {
			streamed = st.Written
		}
	}
	if streamed != 2 {
		t.Errorf("streamed %d records, want the 2 of ratings-partial-load.csv", streamed)
	}
}

func TestE2ELocalStack(t *testing.T) {
	if err := env.DockerAvailable(t.Context()); err != nil {
		t.Skipf("skipping the LocalStack run: %v", err)
	}
	s := settings(t, map[string]string{"PIPELINE_TARGET": "localstack"})
	rep := runE2E(t, s)
	writeReports(t, s, rep)
	checkReport(t, s, rep)
}
