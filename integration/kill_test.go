package integration_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

// TestHelperE2EProcess is not a test: TestKilledRun runs the test binary
// again with MLDL_HELPER_E2E=1 to get an e2e in a process of its own, which
// it then kills. Settings come from the environment.
func TestHelperE2EProcess(t *testing.T) {
	if os.Getenv("MLDL_HELPER_E2E") != "1" {
		t.Skip("a helper process for TestKilledRun")
	}
	s, err := orchestrate.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := orchestrate.NewRunner(s, e, nil, os.Stdout).E2E(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestKilledRun kills an e2e with SIGKILL while it is in the middle of
// migrate, and once in the middle of stream, then runs again with the same
// OUT_DIR: the outputs must be those of a clean run.
func TestKilledRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping workshop-scale runs")
	}
	base := settings(t, map[string]string{"FIXTURE_SCALE": "workshop"})
	clean := runE2E(t, base)
	writeReports(t, base, clean)
	want := outputsOf(t, clean)

	for _, tc := range []struct {
		stage string
		after time.Duration
	}{
		{"migrate", 300 * time.Millisecond},
		{"stream", time.Second},
	} {
		t.Run(tc.stage, func(t *testing.T) {
			s := settings(t, map[string]string{"FIXTURE_SCALE": "workshop"})
			if err := os.Symlink(filepath.Join(base.OutDir, "cache"), filepath.Join(s.OutDir, "cache")); err != nil {
				t.Fatal(err)
			}
			killDuring(t, s.OutDir, tc.stage, tc.after)
			rep := runE2E(t, s)
			writeReports(t, s, rep)
			checkReport(t, s, rep)
			sameOutputs(t, "rerun after a kill during "+tc.stage, outputsOf(t, rep), want)
		})
	}
}

// killDuring starts an e2e in a process of its own with outDir, and kills it
// with SIGKILL after it has been in stage for after.
func killDuring(t *testing.T, outDir, stage string, after time.Duration) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperE2EProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MLDL_HELPER_E2E=1", "OUT_DIR="+outDir, "FIXTURE_SCALE=workshop",
		"PIPELINE_TARGET=embedded", "EMULATOR_FAULTS=", "MYSQL_DSN=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	reached := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(io.TeeReader(stdout, &out))
		for sc.Scan() {
			if sc.Text() == "== "+stage {
				close(reached)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case <-reached:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the run did not reach %s within 2 minutes:\n%s", stage, out.String())
	}
	time.Sleep(after)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the run ended by itself before the kill (%v): kill later in a faster stage\n%s", err, out.String())
	}
	t.Logf("killed %v into %s", after, stage)
}
