package orchestrate

import (
	"bufio"
	"os"
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

func mib(b int64) float64 { return float64(b*100>>20) / 100 }
