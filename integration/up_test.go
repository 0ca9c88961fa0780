package integration_test

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

// TestUpThenStages is the laptop workflow: `up` serves the embedded target
// and prints the endpoint and DSN; the single-stage targets then run one by
// one against it through the endpoint target, and verify reconciles them.
func TestUpThenStages(t *testing.T) {
	upSettings := settings(t, map[string]string{"PIPELINE_TARGET": "embedded",
		"PIPELINE_UP_AWS_ADDR": "127.0.0.1:0", "PIPELINE_UP_MYSQL_ADDR": "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- orchestrate.Up(ctx, upSettings, nil, pw); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("up: %v", err)
		}
	})

	endpointRe := regexp.MustCompile(`AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)`)
	dsnRe := regexp.MustCompile(`export MYSQL_DSN='([^']+)'`)
	var endpoint, dsn string
	sc := bufio.NewScanner(pr)
	deadline := time.After(30 * time.Second)
	for endpoint == "" || dsn == "" {
		lines := make(chan string, 1)
		go func() {
			if sc.Scan() {
				lines <- sc.Text()
			} else {
				close(lines)
			}
		}()
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("up stopped printing before the endpoint and DSN: %v", sc.Err())
			}
			if m := endpointRe.FindStringSubmatch(line); m != nil {
				endpoint = m[1]
			}
			if m := dsnRe.FindStringSubmatch(line); m != nil {
				dsn = m[1]
			}
		case <-deadline:
			t.Fatal("up did not print its endpoint and DSN within 30s")
		}
	}
	go io.Copy(io.Discard, pr)

	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	s := settings(t, map[string]string{"PIPELINE_TARGET": "endpoint", "MYSQL_DSN": dsn})
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Target != env.Endpoint {
		t.Fatalf("target %s", e.Target)
	}
	r := orchestrate.NewRunner(s, e, nil, io.Discard)
	for _, st := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"seed", func(ctx context.Context) error { _, err := r.Seed(ctx); return err }},
		{"migrate", func(ctx context.Context) error { _, err := r.Migrate(ctx); return err }},
		{"stage", func(ctx context.Context) error { _, err := r.Stage(ctx); return err }},
		{"stream", func(ctx context.Context) error { _, err := r.Stream(ctx); return err }},
		{"catalog", func(ctx context.Context) error { _, err := r.Catalog(ctx); return err }},
		{"etl", func(ctx context.Context) error { _, err := r.ETL(ctx); return err }},
	} {
		if err := st.fn(t.Context()); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	res, err := r.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(res.Assertions) < 20 {
		t.Errorf("%d assertions: the reconciliation from the saved stage reports did not run", len(res.Assertions))
	}
}
