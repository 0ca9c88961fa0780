package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTerminalBars runs `lake e2e` in a real terminal (tmux) and reads the
// screen: migrate draws one bar per table, redrawn in place, so each table
// is on the screen once, finished, when the run ends.
func TestTerminalBars(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the terminal run")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: skipping the terminal run (.ci/run installs it)")
	}
	bin := buildLake(t)
	session := "lake-bars-" + filepath.Base(t.TempDir())
	out := t.TempDir()
	script := "cd " + out + " && OUT_DIR=" + out + " FIXTURE_SCALE=workshop " + bin + " e2e; echo LAKE-EXIT=$?; sleep 60"
	tmux := func(args ...string) string {
		t.Helper()
		b, err := exec.Command("tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	cmd := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "60", "env -i PATH="+os.Getenv("PATH")+" HOME="+os.Getenv("HOME")+" TERM=xterm-256color sh -c '"+script+"'")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, b)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })

	var screen string
	sawBars := false
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(screen, "LAKE-EXIT=") {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end within 3 minutes; the screen:\n%s", screen)
		}
		time.Sleep(100 * time.Millisecond)
		screen = tmux("capture-pane", "-p", "-t", session)
		if strings.Contains(screen, "migrate  ratings_t") && strings.Contains(screen, "[") {
			sawBars = true
		}
	}
	if !strings.Contains(screen, "LAKE-EXIT=0") {
		t.Fatalf("the run failed; the screen:\n%s", screen)
	}
	if !sawBars {
		t.Errorf("no migrate bar was seen while the run went; the screen at the end:\n%s", screen)
	}
	for _, table := range []string{"ratings_t", "movies_t", "links_t", "tags_t"} {
		n := strings.Count(screen, "migrate  "+table)
		if n != 1 {
			t.Errorf("migrate's bar of %s is on the screen %d times, want once:\n%s", table, n, screen)
		}
	}
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, "migrate  ") && strings.Contains(line, "_t ") && !strings.Contains(line, "100 %") {
			t.Errorf("a migrate bar did not finish at 100 %%: %q", line)
		}
	}
	t.Logf("the screen at the end:\n%s", screen)
}
