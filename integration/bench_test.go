package integration_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

// BenchmarkE2E runs `lake e2e` as a process of its own, as `go tool mage
// e2e` does, at each scale (workshop, 1m, 20m) with the embedded MySQL
// source and, when MYSQL_DSN is set, with that server (MariaDB in CI) as the
// source. It reports the whole run's wall seconds and the process's peak
// resident memory, and each stage's seconds and peak RSS (from
// report.json). Generated datasets are kept between runs in the user's
// cache folder, so only the first run of a scale generates.
//
//	go test ./integration/ -run '^$' -bench 'BenchmarkE2E/1m' -benchtime 1x
func BenchmarkE2E(b *testing.B) {
	bin := buildLake(b)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	datasets := filepath.Join(cache, "mldatalake", "datasets")
	if err := os.MkdirAll(datasets, 0o755); err != nil {
		b.Fatal(err)
	}
	sources := []struct{ name, dsn string }{{"embedded-mysql", ""}}
	if dsn := os.Getenv("MYSQL_DSN"); dsn != "" {
		sources = append(sources, struct{ name, dsn string }{"mariadb", dsn})
	}
	for _, scale := range []string{"workshop", "1m", "20m"} {
		for _, src := range sources {
			b.Run(scale+"/"+src.name, func(b *testing.B) {
				for b.Loop() {
					out := b.TempDir()
					if err := os.Symlink(datasets, filepath.Join(out, "cache")); err != nil {
						b.Fatal(err)
					}
					cmd := exec.Command(bin, "e2e")
					cmd.Env = append(os.Environ(), "OUT_DIR="+out, "FIXTURE_SCALE="+scale, "MYSQL_DSN="+src.dsn, "PIPELINE_TARGET=embedded")
					start := time.Now()
					log, err := cmd.CombinedOutput()
					wall := time.Since(start)
					if err != nil {
						b.Fatalf("lake e2e at %s: %v\n%s", scale, err, log)
					}
					var rep orchestrate.Report
					raw, err := os.ReadFile(filepath.Join(out, "report.json"))
					if err == nil {
						err = json.Unmarshal(raw, &rep)
					}
					if err != nil || !rep.Succeeded {
						b.Fatalf("report: %v (succeeded %v)\n%s", err, rep.Succeeded, log)
					}
					ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
					// The run resets the kernel's high-water mark at each
					// stage to measure the stage's own peak, and the rusage
					// keeps only the last one: the whole run's peak is the
					// highest of the stages' and of what the rusage saw.
					peak := max(float64(ru.Maxrss)/1024, rep.PeakRSSMiB)
					b.ReportMetric(wall.Seconds(), "wall-s")
					b.ReportMetric(peak, "peak-rss-MiB")
					b.ReportMetric(float64(ru.Utime.Sec+ru.Stime.Sec), "cpu-s")
					for _, st := range rep.Stages {
						b.ReportMetric(st.Seconds, st.Stage+"-s")
						b.ReportMetric(st.PeakRSSMiB, st.Stage+"-rss-MiB")
					}
					b.ReportMetric(rep.VerifySeconds, "verify-s")
					b.ReportMetric(rep.VerifyPeakRSSMiB, "verify-rss-MiB")
					b.Logf("%s/%s: %.1f s wall, %.0f MiB peak RSS", scale, src.name, wall.Seconds(), peak)
				}
			})
		}
	}
}
