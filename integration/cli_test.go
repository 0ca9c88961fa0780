package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/fixtures/generate"
	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

// lake runs one command of the pipeline in-process, as `go tool mage`
// would, with vars as the whole environment. It returns the exit status
// and what the command printed (stdout and stderr together, as in a CI log).
func lake(t *testing.T, ctx context.Context, command string, vars map[string]string) (int, string) {
	t.Helper()
	var out syncBuffer
	code := orchestrate.Main(ctx, []string{command}, func(k string) string { return vars[k] }, &out, &out)
	return code, out.String()
}

// syncBuffer is a bytes.Buffer safe for the command's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func readRunReport(t *testing.T, outDir string) orchestrate.Report {
	t.Helper()
	var rep orchestrate.Report
	b, err := os.ReadFile(filepath.Join(outDir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestFailedRunAfterGoodRun: a good run publishes its training data; a run
// that fails afterwards in the same OUT_DIR leaves none that looks current
// (the good run's is under previous/), and its report says failed. The good
// run, piped as in CI, prints at most 40 lines and no line twice.
func TestFailedRunAfterGoodRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping a workshop-scale run")
	}
	out := t.TempDir()
	vars := map[string]string{"OUT_DIR": out, "FIXTURE_SCALE": "workshop"}
	code, printed := lake(t, t.Context(), "e2e", vars)
	if code != 0 {
		t.Fatalf("good run: exit %d\n%s", code, printed)
	}
	lines := strings.Split(strings.TrimSuffix(printed, "\n"), "\n")
	if len(lines) > 40 {
		t.Errorf("the piped run printed %d lines, want at most 40:\n%s", len(lines), printed)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if l != "" && seen[l] {
			t.Errorf("line printed twice: %q", l)
		}
		seen[l] = true
	}
	var pub orchestrate.Published
	b, err := os.ReadFile(filepath.Join(out, orchestrate.TrainingDir, orchestrate.PublishFile))
	if err == nil {
		err = json.Unmarshal(b, &pub)
	}
	good := readRunReport(t, out)
	if err != nil || pub.RunID == "" || pub.RunID != good.RunID || good.Status != orchestrate.StatusSucceeded {
		t.Fatalf("published %+v (%v), report run %s status %s: want the run's training data marked with its id", pub, err, good.RunID, good.Status)
	}

	// The same OUT_DIR, a dataset whose ratings.csv has a wrong header.
	bad := t.TempDir()
	if _, err := generate.Generate(t.Context(), bad, generate.Tiny); err != nil {
		t.Fatal(err)
	}
	ratings := filepath.Join(bad, "ratings.csv")
	b, err = os.ReadFile(ratings)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(ratings, []byte("user,movie,stars,time\n"+rest), 0o644); err != nil {
		t.Fatal(err)
	}
	code, printed = lake(t, t.Context(), "e2e", map[string]string{"OUT_DIR": out, "MOVIELENS_DIR": bad})
	if code != 1 || !strings.Contains(printed, "ratings.csv") {
		t.Fatalf("bad run: exit %d, want 1 with an error naming ratings.csv:\n%s", code, printed)
	}
	if exists(filepath.Join(out, orchestrate.TrainingDir)) {
		t.Error("after a failed run, OUT_DIR/trainingdata still holds training data")
	}
	if !exists(filepath.Join(out, orchestrate.PreviousDir, orchestrate.TrainingDir, orchestrate.PublishFile)) {
		t.Error("the good run's training data is not under OUT_DIR/previous/trainingdata")
	}
	rep := readRunReport(t, out)
	if rep.Status != orchestrate.StatusFailed || rep.Succeeded || rep.RunID == good.RunID || len(rep.Outputs) > 0 {
		t.Errorf("report after the failed run: run %s status %s succeeded %v outputs %v", rep.RunID, rep.Status, rep.Succeeded, rep.Outputs)
	}
	if !strings.Contains(printed, "no training data published") {
		t.Errorf("the summary does not say nothing was published:\n%s", printed)
	}
}

// TestInterruptDuringStream: Ctrl-C while stream runs ends the command with
// status 130, no training data and a report that says interrupted.
func TestInterruptDuringStream(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	var printed syncBuffer
	done := make(chan int, 1)
	vars := map[string]string{"OUT_DIR": out, "FIXTURE_SCALE": "tiny"}
	go func() {
		done <- orchestrate.Main(ctx, []string{"e2e"}, func(k string) string { return vars[k] }, &printed, &printed)
	}()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(printed.String(), "== stream\n") {
		select {
		case code := <-done:
			t.Fatalf("the run ended (%d) before stream:\n%s", code, printed.String())
		case <-deadline:
			t.Fatalf("the run did not reach stream:\n%s", printed.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(300 * time.Millisecond)
	cancel(orchestrate.Interrupted{Signal: syscall.SIGINT})
	var code int
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop within 30 s of Ctrl-C")
	}
	if code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130:\n%s", code, printed.String())
	}
	if exists(filepath.Join(out, orchestrate.TrainingDir)) {
		t.Error("an interrupted run left OUT_DIR/trainingdata")
	}
	if rep := readRunReport(t, out); rep.Status != orchestrate.StatusInterrupted || rep.Succeeded {
		t.Errorf("report status %q succeeded %v, want interrupted", rep.Status, rep.Succeeded)
	}
}

// TestStagesOutOfOrder runs single stages against a running environment
// (the standalone emulator and an embedded MySQL, through the endpoint
// target): migrate before seed names seed, stream before stage names stage,
// and migrate at another scale than seed's is refused naming both.
func TestStagesOutOfOrder(t *testing.T) {
	srv := emulation.NewTestServer(t)
	mysql, err := env.Open(t.Context(), env.Embedded, env.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mysql.Close() })
	isolate(t)
	out := t.TempDir()
	vars := map[string]string{"OUT_DIR": out, "PIPELINE_TARGET": "endpoint", "MYSQL_DSN": mysql.MySQLDSN, "FIXTURE_SCALE": "tiny"}
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")

	if code, printed := lake(t, t.Context(), "migrate", vars); code != 1 || !strings.Contains(printed, "run seed first") {
		t.Errorf("migrate before seed: exit %d, want 1 with an error saying to run seed first:\n%s", code, printed)
	}
	if code, printed := lake(t, t.Context(), "seed", vars); code != 0 {
		t.Fatalf("seed: exit %d\n%s", code, printed)
	}
	if code, printed := lake(t, t.Context(), "stream", vars); code != 1 || !strings.Contains(printed, "run stage first") {
		t.Errorf("stream before stage: exit %d, want 1 naming stage:\n%s", code, printed)
	}
	workshop := map[string]string{}
	for k, v := range vars {
		workshop[k] = v
	}
	workshop["FIXTURE_SCALE"] = "workshop"
	code, printed := lake(t, t.Context(), "migrate", workshop)
	if code != 1 || !strings.Contains(printed, "generated tiny (seed 2)") || !strings.Contains(printed, "generated workshop (seed 2)") {
		t.Errorf("migrate at workshop after seed at tiny: exit %d, want 1 naming both datasets:\n%s", code, printed)
	}
	// At the seed's scale, migrate runs and its stage is in report.json.
	if code, printed := lake(t, t.Context(), "migrate", vars); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, printed)
	}
	// report.json holds the run's stages so far: seed, migrate, and the
	// stream that was refused, with why.
	rep := readRunReport(t, out)
	var names []string
	for _, st := range rep.Stages {
		names = append(names, st.Stage)
	}
	if rep.Status != orchestrate.StatusRunning || strings.Join(names, ",") != "seed,migrate,stream" ||
		rep.Stages[1].Written == 0 || rep.Stages[1].Error != "" || !strings.Contains(rep.Stages[2].Error, "run stage first") {
		t.Errorf("report.json after seed, stream and migrate: status %s stages %v: %+v", rep.Status, names, rep.Stages)
	}
	junit, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil || !strings.Contains(string(junit), `name="migrate"`) {
		t.Errorf("junit.xml lacks migrate: %v\n%s", err, junit)
	}
}

// TestHeaderOnlyRatings: a ratings.csv with its header and no rows fails the
// run naming the file, instead of passing with an empty rating_new.
func TestHeaderOnlyRatings(t *testing.T) {
	dir := t.TempDir()
	if _, err := generate.Generate(t.Context(), dir, generate.Tiny); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ratings.csv"), []byte("userId,movieId,rating,timestamp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, printed := lake(t, t.Context(), "e2e", map[string]string{"OUT_DIR": t.TempDir(), "MOVIELENS_DIR": dir})
	if code != 1 || !strings.Contains(printed, filepath.Join(dir, "ratings.csv")) || !strings.Contains(printed, "no rows") {
		t.Errorf("exit %d, want 1 with an error naming %s:\n%s", code, filepath.Join(dir, "ratings.csv"), printed)
	}
}

// TestUnwritableOutDir: an OUT_DIR that cannot be written fails before
// anything starts, naming OUT_DIR. (Tests run as root here, which writes
// through permissions: the folder is made impossible instead, below a
// file.)
func TestUnwritableOutDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(file, "out")
	if os.Geteuid() != 0 {
		outDir = filepath.Join(t.TempDir(), "read-only")
		if err := os.Mkdir(outDir, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	code, printed := lake(t, t.Context(), "e2e", map[string]string{"OUT_DIR": outDir})
	if code != 1 || !strings.Contains(printed, "OUT_DIR="+outDir) {
		t.Errorf("exit %d, want 1 naming OUT_DIR:\n%s", code, printed)
	}
	if strings.Contains(printed, "target embedded") || strings.Contains(printed, "== seed") {
		t.Errorf("the run started before failing on OUT_DIR:\n%s", printed)
	}
}

// TestEndpointNotAnsweringSaysWhy: a PIPELINE_TARGET=endpoint left in the
// environment with nothing listening says which variable chose the endpoint
// and where the target came from.
func TestEndpointNotAnsweringSaysWhy(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	code, printed := lake(t, t.Context(), "e2e", map[string]string{"OUT_DIR": t.TempDir(), "PIPELINE_TARGET": "endpoint",
		"MYSQL_DSN": "root@tcp(127.0.0.1:1)/", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
	for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:1", "does not answer", "PIPELINE_TARGET=endpoint from the environment"} {
		if code != 1 || !strings.Contains(printed, want) {
			t.Errorf("exit %d, want 1 with %q:\n%s", code, want, printed)
		}
	}
}
