package orchestrate

import (
	"bufio"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
)

// resetPeakRSS starts measuring the process's peak resident memory afresh
// (Linux: "5" to /proc/self/clear_refs resets VmHWM). Elsewhere it does
// nothing.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident memory since the last
// resetPeakRSS, in bytes (VmHWM); 0 where /proc does not tell.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// heapLive is the Go heap live now: it runs a collection first, so what
// the stage left in flight is not counted and the figure is the state the
// process carries into the next stage (a collection costs about a second of
// CPU at MovieLens 20M, once per stage).
func heapLive() int64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(sample[0].Value.Uint64())
}

func mib(b int64) float64 { return float64(b*100>>20) / 100 }

// profileStage starts the stage's CPU profile in dir (nothing when dir is
// empty) and returns what stops it and writes the heap profile.
func profileStage(dir, stage string, log *slog.Logger) func() {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Warn("profile", "stage", stage, "err", err)
		return func() {}
	}
	cpu, err := os.Create(filepath.Join(dir, stage+".cpu.pprof"))
	if err == nil {
		err = pprof.StartCPUProfile(cpu)
	}
	if err != nil {
		log.Warn("profile", "stage", stage, "err", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		heap, err := os.Create(filepath.Join(dir, stage+".heap.pprof"))
		if err == nil {
			err = errors.Join(pprof.Lookup("heap").WriteTo(heap, 0), heap.Close())
		}
		if err != nil {
			log.Warn("profile", "stage", stage, "err", err)
		}
	}
}
