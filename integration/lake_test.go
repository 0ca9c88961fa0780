package integration_test

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// buildLake builds the command `go tool mage` runs (integration/cmd/lake)
// into a temporary folder, for the tests and benchmarks that run the
// pipeline as a process of its own, and returns its path.
func buildLake(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "lake")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/lake").CombinedOutput(); err != nil {
		tb.Fatalf("build lake: %v\n%s", err, out)
	}
	return bin
}
