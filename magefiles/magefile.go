//go:build mage

// Targets of the MovieLens data-lake pipeline. `go tool mage -l` lists them;
// `go tool mage settings` lists the environment variables they read.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// Default is what `go tool mage` runs without a target.
var Default = E2e

// The targets are thin: each runs a command of integration/cmd/lake, built
// once per change of the code, so that listing the targets compiles none of
// the pipeline.

// lakeBinary builds integration/cmd/lake into a cache folder of this
// checkout; go build leaves an up-to-date binary as it is.
func lakeBinary() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256([]byte(wd))
	bin := filepath.Join(cache, "mldatalake", hex.EncodeToString(sum[:6]), "lake")
	if err := sh.Run("go", "build", "-o", bin, "./integration/cmd/lake"); err != nil {
		return "", fmt.Errorf("build the pipeline's command: %w", err)
	}
	return bin, nil
}

// lake runs one command of the pipeline. Ctrl-C reaches it (it is in the
// terminal's process group); when mage alone is interrupted, the interrupt
// is passed on. Its exit status is mage's.
func lake(ctx context.Context, command string) error {
	bin, err := lakeBinary()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 4 * time.Second // within mage's 5 s for cleanup
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return mg.Fatalf(ee.ExitCode(), "%s ended with status %d", command, ee.ExitCode())
	}
	return err
}

// E2e brings up the environment (embedded by default), seeds MySQL, runs every stage, verifies, publishes the training data to OUT_DIR, and tears down.
func E2e(ctx context.Context) error { return lake(ctx, "e2e") }

// Up brings the environment up and leaves it running for inspection; on the embedded target it serves until Ctrl-C.
func Up(ctx context.Context) error { return lake(ctx, "up") }

// Down deletes what the pipeline created on a running target (guarded on real AWS), saying per resource deleted, not found or failed.
func Down(ctx context.Context) error { return lake(ctx, "down") }

// Plan prints who and where the target is, what e2e would create and delete, and the Firehose role's policies, without doing it.
func Plan(ctx context.Context) error { return lake(ctx, "plan") }

// Settings lists the environment variables (and config-file keys) the targets read, with their defaults.
func Settings(ctx context.Context) error { return lake(ctx, "settings") }

// Seed prepares the dataset (FIXTURE_SCALE or MOVIELENS_DIR), loads it into the MySQL source and starts a run.
func Seed(ctx context.Context) error { return lake(ctx, "seed") }

// Migrate runs the DMS-style full load from MySQL into DynamoDB.
func Migrate(ctx context.Context) error { return lake(ctx, "migrate") }

// Stage uploads the raw dataset files to the bucket (data/...).
func Stage(ctx context.Context) error { return lake(ctx, "stage") }

// Stream produces the new ratings to Kinesis and waits until Firehose has delivered them to S3.
func Stream(ctx context.Context) error { return lake(ctx, "stream") }

// Catalog crawls the stream's S3 prefix and the DynamoDB tables into the catalog.
func Catalog(ctx context.Context) error { return lake(ctx, "catalog") }

// ETL runs the Glue job in DuckDB and writes the training CSVs to S3.
func ETL(ctx context.Context) error { return lake(ctx, "etl") }

// Verify asserts the training CSVs in S3 and, when they pass, publishes them to OUT_DIR/trainingdata.
func Verify(ctx context.Context) error { return lake(ctx, "verify") }

// Train fits the baseline recommender on rating_new (after verify) and writes the SageMaker channels to S3 and OUT_DIR/sagemaker.
func Train(ctx context.Context) error { return lake(ctx, "train") }

// Etl holds the targets of the Glue job's SQL.
type Etl mg.Namespace

// Sql writes the built-in transform's SQL into the folder PIPELINE_ETL_SQL names, as a starting point for your own.
func (Etl) Sql(ctx context.Context) error { return lake(ctx, "etl-sql") }

// Show prints what a run left, without running anything.
type Show mg.Namespace

// Catalog prints the catalog in OUT_DIR/catalog.duckdb as the Glue console shows it: databases, tables, columns and types, classification, location, record counts.
func (Show) Catalog(ctx context.Context) error { return lake(ctx, "show-catalog") }

// Emulator serves the AWS emulator alone until interrupted, on PIPELINE_UP_AWS_ADDR (default 127.0.0.1:4566).
func Emulator(ctx context.Context) error { return lake(ctx, "emulator") }

// Test runs every test: go test ./...
func Test() error {
	return sh.RunV("go", "test", "./...")
}

// Localstack runs the pipeline on LocalStack 4.14 and MySQL 8 in Docker.
type Localstack mg.Namespace

// Up starts compose.yaml's LocalStack and MySQL and prints how to reach them; `go tool mage localstack:down` stops them.
func (Localstack) Up(ctx context.Context) error { return lake(ctx, "localstack-up") }

// E2e runs the whole pipeline on LocalStack and MySQL containers that testcontainers-go starts and removes.
func (Localstack) E2e(ctx context.Context) error { return lake(ctx, "localstack-e2e") }

// Down stops and removes what localstack:up started; it stops nothing compose did not start.
func (Localstack) Down(ctx context.Context) error { return lake(ctx, "localstack-down") }

// AWS holds the steps only real AWS needs.
type AWS mg.Namespace

// Role creates the IAM role Firehose assumes (PIPELINE_RESOURCE_PREFIX + firehose-delivery), scoped to the stream and the bucket, and prints its ARN.
func (AWS) Role(ctx context.Context) error { return lake(ctx, "aws-role") }

// benchRun is one `go test -bench` invocation of Bench.
type benchRun struct{ pkg, pattern, benchtime string }

// benchRuns are the project's benchmarks. The heavy ones (20 million rows,
// a whole e2e run) run once; the others for the default benchmark time.
var benchRuns = []benchRun{
	{"./integration/", "BenchmarkE2E/", "1x"},
	{"./emulation/env/", ".", ""},
	{"./emulation/mysql/", ".", ""},
	{"./emulation/mysql/colstore/", ".", ""},
	{"./emulation/cmd/awsemu/", ".", ""},
	{"./emulation/dynamodb/", "BenchmarkBatchWriteItem", ""},
	{"./emulation/dynamodb/", "BenchmarkMemory20MRatingItems", "1x"},
	{"./emulation/kinesis/", ".", ""},
	{"./fixtures/generate/", "BenchmarkGenerateWorkshop", ""},
	{"./fixtures/generate/", "Benchmark(Generate|Prepare)20M", "1x"},
	{"./fixtures/sqlsource/", "BenchmarkLoad|BenchmarkBatchSize", "3x"},
	{"./fixtures/sqlsource/", "BenchmarkEmbeddedSource", "1x"},
	{"./pipeline/migrate/", ".", "1x"},
	{"./pipeline/stream/", ".", "3x"},
	{"./pipeline/catalog/", ".", ""},
	{"./pipeline/etl/", ".", ""},
	{"./pipeline/train/", ".", "3x"},
}

// Bench runs the benchmarks and writes the results to bench/results.txt.
func Bench(ctx context.Context) error {
	const path = "bench/results.txt"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := io.MultiWriter(f, os.Stdout)
	fmt.Fprintf(w, "# go tool mage bench, %s, %s %s/%s, %d CPUs\n", time.Now().UTC().Format(time.RFC3339), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	var failed []string
	for _, b := range benchRuns {
		args := []string{"test", "-run", "^$", "-bench", b.pattern, "-benchmem", "-timeout", "60m"}
		if b.benchtime != "" {
			args = append(args, "-benchtime", b.benchtime)
		}
		args = append(args, b.pkg)
		fmt.Fprintf(w, "\n# go %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Run(); err != nil {
			failed = append(failed, b.pkg+" "+b.pattern)
		}
	}
	fmt.Printf("\nresults written to %s\n", path)
	if len(failed) > 0 {
		return fmt.Errorf("benchmarks failed: %s", strings.Join(failed, "; "))
	}
	return nil
}
