package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// BenchRun is one `go test -bench` invocation of Bench.
type BenchRun struct {
	Package, Pattern, Benchtime string
}

// BenchRuns are the project's benchmarks. The heavy ones (20 million rows,
// a whole e2e run) run once; the others for the default benchmark time.
var BenchRuns = []BenchRun{
	{"./integration/", "BenchmarkE2EWorkshop", "1x"},
	{"./emulation/env/", ".", ""},
	{"./emulation/mysql/", ".", ""},
	{"./emulation/dynamodb/", "BenchmarkBatchWriteItem", ""},
	{"./emulation/dynamodb/", "BenchmarkMemory20MRatingItems", "1x"},
	{"./emulation/kinesis/", ".", ""},
	{"./fixtures/generate/", "BenchmarkGenerateWorkshop", ""},
	{"./fixtures/generate/", "Benchmark(Generate|Prepare)20M", "1x"},
	{"./fixtures/sqlsource/", "BenchmarkLoad|BenchmarkBatchSize", "3x"},
	{"./fixtures/sqlsource/", "BenchmarkEmbeddedSource", "1x"},
	{"./pipeline/migrate/", ".", "1x"},
	{"./pipeline/catalog/", ".", ""},
	{"./pipeline/etl/", ".", ""},
}

// Bench runs BenchRuns and writes their output to path (and to out). The
// figures are for comparing within one run on one machine: shared machines
// are noisy.
func Bench(ctx context.Context, path string, out io.Writer) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := io.MultiWriter(f, out)
	fmt.Fprintf(w, "# go tool mage bench, %s, %s %s/%s, %d CPUs\n", time.Now().UTC().Format(time.RFC3339), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	var failed []string
	for _, b := range BenchRuns {
		args := []string{"test", "-run", "^$", "-bench", b.Pattern, "-benchmem", "-timeout", "60m"}
		if b.Benchtime != "" {
			args = append(args, "-benchtime", b.Benchtime)
		}
		args = append(args, b.Package)
		fmt.Fprintf(w, "\n# go %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Run(); err != nil {
			failed = append(failed, b.Package+" "+b.Pattern)
		}
	}
	fmt.Fprintf(out, "\nresults written to %s\n", path)
	if len(failed) > 0 {
		return fmt.Errorf("benchmarks failed: %s", strings.Join(failed, "; "))
	}
	return nil
}
