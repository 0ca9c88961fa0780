//go:build mage

// Targets of the MovieLens data-lake pipeline. `go tool mage -l` lists them;
// `go tool mage settings` lists the environment variables they read.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"

	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/integration/orchestrate"
	"github.com/mldatalake/mldatalake/pipeline"
)

// Default is what `go tool mage` runs without a target.
var Default = E2e

func logger() *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("PIPELINE_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func settings(ctx context.Context) (orchestrate.Settings, error) {
	return orchestrate.LoadChecked(ctx, nil)
}

// interruptible returns ctx cancelled by Ctrl-C or SIGTERM.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// E2e brings up the environment (embedded by default), seeds MySQL, runs every stage, verifies and exports the outputs, and tears down.
func E2e(ctx context.Context) error {
	s, err := settings(ctx)
	if err != nil {
		return err
	}
	return e2e(ctx, s)
}

func e2e(ctx context.Context, s orchestrate.Settings) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	log := logger()
	e, err := orchestrate.OpenEnv(ctx, s, log)
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Println(orchestrate.TargetLine(s, e))
	r := orchestrate.NewRunner(s, e, log, os.Stdout)
	rep, runErr := r.E2E(ctx)
	rep.WriteSummary(os.Stdout)
	if err := rep.WriteFiles(s.OutDir); err != nil {
		return fmt.Errorf("write reports: %w", err)
	}
	fmt.Printf("reports: %s/report.json, %s/junit.xml\n", s.OutDir, s.OutDir)
	return runErr
}

// Up brings the environment up and leaves it running for inspection; on the embedded target it serves until Ctrl-C.
func Up(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	s, err := settings(ctx)
	if err != nil {
		return err
	}
	return orchestrate.Up(ctx, s, logger(), os.Stdout)
}

// Down deletes what the pipeline created on a running target (guarded on real AWS), saying per resource deleted, not found or failed.
func Down(ctx context.Context) error {
	return withStageEnv(ctx, func(ctx context.Context, s orchestrate.Settings, r *orchestrate.Runner) error {
		return orchestrate.Down(ctx, s, r.Env, os.Stdout)
	})
}

// Plan prints who and where the target is, what e2e would create and delete, and the Firehose role's policies, without doing it.
func Plan(ctx context.Context) error {
	s, err := orchestrate.Load(nil)
	if err != nil {
		return err
	}
	return orchestrate.Plan(ctx, s, os.Stdout)
}

// Settings lists the environment variables (and config-file keys) the targets read, with their defaults.
func Settings() {
	fmt.Print("Settings (environment variables, or KEY=VALUE lines in $PIPELINE_CONFIG or ./pipeline.env):\n\n", orchestrate.Help())
}

// withStageEnv opens the running environment a single stage reaches (see
// orchestrate.StageTarget).
func withStageEnv(ctx context.Context, fn func(context.Context, orchestrate.Settings, *orchestrate.Runner) error) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	s, err := settings(ctx)
	if err != nil {
		return err
	}
	if s.Target, err = orchestrate.StageTarget(s, os.Getenv); err != nil {
		return err
	}
	log := logger()
	e, err := orchestrate.OpenEnv(ctx, s, log)
	if err != nil {
		return err
	}
	defer e.Close()
	return fn(ctx, s, orchestrate.NewRunner(s, e, log, os.Stdout))
}

// runStage runs one stage against the running environment and prints its
// row of the summary table.
func runStage(ctx context.Context, name string, stage func(*orchestrate.Runner, context.Context) (pipeline.Report, error)) error {
	return withStageEnv(ctx, func(ctx context.Context, _ orchestrate.Settings, r *orchestrate.Runner) error {
		rep, err := stage(r, ctx)
		rep.Stage = name
		orchestrate.WriteStages(os.Stdout, rep)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
}

// Seed prepares the dataset (FIXTURE_SCALE or MOVIELENS_DIR) and loads it into the MySQL source.
func Seed(ctx context.Context) error { return runStage(ctx, "seed", (*orchestrate.Runner).Seed) }

// Migrate runs the DMS-style full load from MySQL into DynamoDB.
func Migrate(ctx context.Context) error { return runStage(ctx, "migrate", (*orchestrate.Runner).Migrate) }

// Stage uploads the raw dataset files to the bucket (data/...).
func Stage(ctx context.Context) error { return runStage(ctx, "stage", (*orchestrate.Runner).Stage) }

// Stream produces the new ratings to Kinesis and waits until Firehose has delivered them to S3.
func Stream(ctx context.Context) error { return runStage(ctx, "stream", (*orchestrate.Runner).Stream) }

// Catalog crawls the stream's S3 prefix and the DynamoDB tables into the catalog.
func Catalog(ctx context.Context) error { return runStage(ctx, "catalog", (*orchestrate.Runner).Catalog) }

// ETL runs the Glue job in DuckDB and writes the training CSVs to S3.
func ETL(ctx context.Context) error { return runStage(ctx, "etl", (*orchestrate.Runner).ETL) }

// Verify asserts the training CSVs in S3 and exports them to OUT_DIR/trainingdata.
func Verify(ctx context.Context) error {
	return withStageEnv(ctx, func(ctx context.Context, _ orchestrate.Settings, r *orchestrate.Runner) error {
		res, err := r.Verify(ctx)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		files, err := r.Export(ctx, res)
		for name, f := range files {
			fmt.Printf("output %-10s %s\n", name, f)
		}
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		fmt.Printf("verify: %d assertions, %d failed\n", len(res.Assertions), len(res.Failed()))
		return res.Err()
	})
}

// Emulator serves the standalone AWS emulator on 127.0.0.1:4566 until interrupted (LISTEN overrides the address).
func Emulator() error {
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = "127.0.0.1:4566"
	}
	return sh.RunV("go", "run", "./emulation/cmd/awsemu", "-listen", addr)
}

// Test runs every test: go test ./...
func Test() error {
	return sh.RunV("go", "test", "./...")
}

// Bench runs the benchmarks and writes the results to bench/results.txt.
func Bench(ctx context.Context) error {
	return orchestrate.Bench(ctx, "bench/results.txt", os.Stdout)
}

// Localstack runs the pipeline on LocalStack 4.14 and MySQL 8 in Docker.
type Localstack mg.Namespace

// Up starts compose.yaml's LocalStack and MySQL and prints how to reach them; `go tool mage localstack:down` stops them.
func (Localstack) Up(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	return orchestrate.ComposeUp(ctx, os.Stdout)
}

// E2e runs the whole pipeline on LocalStack and MySQL containers that testcontainers-go starts and removes.
func (Localstack) E2e(ctx context.Context) error {
	s, err := orchestrate.LoadChecked(ctx, func(k string) string {
		if k == env.TargetEnvVar {
			return string(env.LocalStack)
		}
		return os.Getenv(k)
	})
	if err != nil {
		return err
	}
	return e2e(ctx, s)
}

// Down stops and removes what localstack:up started; it stops nothing compose did not start.
func (Localstack) Down(ctx context.Context) error {
	return orchestrate.ComposeDown(ctx, os.Stdout)
}

// AWS holds the steps only real AWS needs.
type AWS mg.Namespace

// Role creates the IAM role Firehose assumes (PIPELINE_RESOURCE_PREFIX + firehose-delivery), scoped to the stream and the bucket, and prints its ARN.
func (AWS) Role(ctx context.Context) error {
	s, err := orchestrate.Load(nil)
	if err != nil {
		return err
	}
	if s.Target != env.AWS && s.Target != env.Endpoint {
		return fmt.Errorf("aws:role makes a role on a running target: PIPELINE_TARGET=aws (or endpoint), not %s", s.Target)
	}
	e, err := orchestrate.OpenEnv(ctx, s, logger())
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Println(orchestrate.TargetLine(s, e))
	_, err = orchestrate.Role(ctx, s, e, os.Stdout)
	return err
}
