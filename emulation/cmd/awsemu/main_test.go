package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
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
