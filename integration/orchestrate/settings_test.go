package orchestrate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation/env"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != env.Embedded || s.Scale != "workshop" || s.OutDir != "out" || s.Names.Bucket != "ml-data-lake" ||
		s.Names.Stream != "gc_stream" || s.BufferInterval != time.Second || s.Faults.Enabled() {
		t.Errorf("defaults: %+v", s)
	}
}

func TestLoadConfigFileAndPrefix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lake.env")
	os.WriteFile(cfg, []byte("# test\nPIPELINE_TARGET=embedded\nFIXTURE_SCALE=tiny\nexport PIPELINE_RESOURCE_PREFIX=ci-\nPIPELINE_STREAM=\"mine\"\n"), 0o644)
	s, err := Load(envOf(map[string]string{"PIPELINE_CONFIG": cfg, "FIXTURE_SCALE": "1m"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != env.Embedded {
		t.Errorf("target %q from the file, want embedded", s.Target)
	}
	if s.Scale != "1m" {
		t.Errorf("scale %q: the environment must win over the file", s.Scale)
	}
	if s.Names.Bucket != "ci-ml-data-lake" || s.Names.RatingsTable != "ci-ratings_t" || s.Names.Stream != "mine" {
		t.Errorf("names %+v: defaults take the prefix, explicit names do not", s.Names)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PIPELINE_TARGET": "cloud"}, "PIPELINE_TARGET"},
		{map[string]string{"FIXTURE_SCALE": "huge"}, "FIXTURE_SCALE"},
		{map[string]string{"EMULATOR_FAULTS": "throttle=2"}, "EMULATOR_FAULTS"},
		{map[string]string{"PIPELINE_SHARDS": "0"}, "PIPELINE_SHARDS"},
		{map[string]string{"PIPELINE_CONFIG": "/nonexistent/lake.env"}, "lake.env"},
	} {
		_, err := Load(envOf(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%v) err = %v, want one naming %s", tc.env, err, tc.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.env")
	os.WriteFile(bad, []byte("PIPELINE_TARGET=embedded\nBUCKET=x\n"), 0o644)
	if _, err := Load(envOf(map[string]string{"PIPELINE_CONFIG": bad})); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unknown key: err = %v, want one naming line 2", err)
	}
}

func TestCheckDestroy(t *testing.T) {
	t.Chdir(t.TempDir())
	load := func(m map[string]string) Settings {
		m["PIPELINE_FIREHOSE_ROLE_ARN"] = "arn:aws:iam::1:role/r"
		s, err := Load(envOf(m))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		target env.Target
		want   string // "" allowed
	}{
		{"emulator", map[string]string{}, env.Embedded, ""},
		{"aws without guard", map[string]string{}, env.AWS, "PIPELINE_ALLOW_DESTROY=1"},
		{"aws without prefix", map[string]string{"PIPELINE_ALLOW_DESTROY": "1"}, env.AWS, "PIPELINE_RESOURCE_PREFIX"},
		{"aws name without prefix", map[string]string{"PIPELINE_ALLOW_DESTROY": "1", "PIPELINE_RESOURCE_PREFIX": "t-", "PIPELINE_BUCKET": "prod-lake"}, env.AWS, "prod-lake"},
		{"aws exceptions table without prefix", map[string]string{"PIPELINE_ALLOW_DESTROY": "1", "PIPELINE_RESOURCE_PREFIX": "t-", "PIPELINE_EXCEPTIONS_TABLE": "dms_exceptions"}, env.AWS, "dms_exceptions"},
		{"aws guarded", map[string]string{"PIPELINE_ALLOW_DESTROY": "1", "PIPELINE_RESOURCE_PREFIX": "t-"}, env.AWS, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := load(tc.env).CheckDestroy(tc.target, "drop tables")
			if tc.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrDestroyRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a refusal naming %s", err, tc.want)
			}
		})
	}
}

func TestStageTarget(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		target, endpoint string
		want             env.Target
	}{
		{"endpoint", "", env.Endpoint},
		{"aws", "", env.AWS},
		{"auto", "http://127.0.0.1:4566", env.Endpoint},
		{"auto", "", ""},
		{"embedded", "http://127.0.0.1:4566", ""},
		{"localstack", "", ""},
	} {
		s, err := Load(envOf(map[string]string{"PIPELINE_TARGET": tc.target, "PIPELINE_FIREHOSE_ROLE_ARN": "arn:aws:iam::1:role/r"}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := StageTarget(s, envOf(map[string]string{"AWS_ENDPOINT_URL": tc.endpoint}))
		if tc.want == "" {
			if !errors.Is(err, ErrNoRunningEnv) {
				t.Errorf("%s with endpoint %q: %q, %v; want ErrNoRunningEnv", tc.target, tc.endpoint, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s with endpoint %q: %q, %v; want %q", tc.target, tc.endpoint, got, err, tc.want)
		}
	}
}

func TestGoMemoryLimit(t *testing.T) {
	const gib = int64(1) << 30
	for _, c := range []struct {
		budget int64
		etl    string
		want   int64
	}{
		{4 * gib, "", 2 * gib},            // DuckDB a quarter, a quarter kept free
		{4 * gib, "1536MiB", gib + gib/2}, // DuckDB's share as given
		{4 * gib, "junk", 2 * gib},        // unreadable: a quarter
		{4 * gib, "3800MiB", gib / 2},     // never below an eighth
		{8 * gib, "1GiB", 5 * gib},        // what is kept free grows with the budget
	} {
		s := Settings{MemoryLimit: c.budget, ETLMemoryLimit: c.etl}
		if got := goMemoryLimit(s); got != c.want {
			t.Errorf("budget %d MiB, ETL %q: Go's limit %d MiB, want %d MiB", c.budget>>20, c.etl, got>>20, c.want>>20)
		}
	}
}

// TestREADMEListsEverySetting keeps the README's table of settings in step
// with the code's list (what `go tool mage settings` prints).
func TestREADMEListsEverySetting(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, v := range variables {
		if !strings.Contains(readme, "`"+v.Name+"`") {
			t.Errorf("README.md does not describe %s (%s)", v.Name, v.Help)
		}
	}
}
