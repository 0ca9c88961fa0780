package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	first, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line %q does not print the endpoint", first)
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(m[1] + "/_localstack/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("health: %s", resp.Status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop after cancel")
	}
}

func TestBadFaults(t *testing.T) {
	err := run(t.Context(), []string{"-listen", "127.0.0.1:0", "-faults", "throttle=2"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-faults") {
		t.Errorf("err = %v, want one naming -faults", err)
	}
}

func TestMySQLFlagPointsToMysqlemu(t *testing.T) {
	err := run(t.Context(), []string{"-listen", "127.0.0.1:0", "-mysql", "127.0.0.1:3307"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "emulation/cmd/mysqlemu") {
		t.Errorf("err = %v, want one pointing at emulation/cmd/mysqlemu", err)
	}
}

// BenchmarkStartToFirstAnswer measures how long the standalone emulator,
// built as a binary, takes from exec to its first answer (the health
// check): what a user or a CI script waits for.
func BenchmarkStartToFirstAnswer(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "awsemu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	client := &http.Client{Timeout: time.Second}
	for b.Loop() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "-listen", addr)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := client.Get("http://" + addr + "/_localstack/health")
			if err == nil {
				resp.Body.Close()
				break
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/start")
}
