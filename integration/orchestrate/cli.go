package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/aws/smithy-go/logging"

	"github.com/mldatalake/mldatalake/emulation/env"
)

// Interrupted is the cause of a context cancelled by a signal.
type Interrupted struct{ Signal os.Signal }

func (i Interrupted) Error() string { return "interrupted by " + i.Signal.String() }

// ExitCode is the exit status of a command that ended with err under ctx:
// 0, 128 + the signal's number when a signal interrupted it (130 for
// Ctrl-C), 1 otherwise.
func ExitCode(ctx context.Context, err error) int {
	var in Interrupted
	if errors.As(context.Cause(ctx), &in) {
		if s, ok := in.Signal.(syscall.Signal); ok {
			return 128 + int(s)
		}
		return 130
	}
	if err != nil {
		return 1
	}
	return 0
}

// Commands are what Main runs, with the line `lake -h` prints for each. The
// mage targets are these commands.
var Commands = []struct{ Name, Help string }{
	{"e2e", "bring up the environment, seed, run every stage, verify, publish the outputs, tear down"},
	{"up", "bring the environment up and leave it running (embedded: serve until Ctrl-C)"},
	{"emulator", "serve the AWS emulator alone on PIPELINE_UP_AWS_ADDR until Ctrl-C"},
	{"down", "delete what the pipeline created on a running target"},
	{"plan", "print who and where the target is and what e2e would create and delete"},
	{"settings", "list the settings and their defaults"},
	{"seed", "prepare the dataset and load it into the MySQL source (starts a run)"},
	{"migrate", "the DMS-style full load from MySQL into DynamoDB"},
	{"stage", "upload the raw dataset files to the bucket"},
	{"stream", "produce the new ratings to Kinesis and wait until Firehose delivered them"},
	{"catalog", "crawl the stream's prefix and the DynamoDB tables into the catalog"},
	{"etl", "run the Glue job in DuckDB and write the training CSVs to S3"},
	{"verify", "assert the training CSVs and publish them to OUT_DIR/trainingdata"},
	{"train", "fit the baseline recommender on rating_new and write the SageMaker channels"},
	{"etl-sql", "write the built-in transform's SQL into the folder PIPELINE_ETL_SQL names, to edit"},
	{"show-catalog", "print the catalog in OUT_DIR/catalog.duckdb as the Glue console shows it"},
	{"aws-role", "create the IAM role Firehose assumes and print its ARN"},
	{"localstack-up", "start compose.yaml's LocalStack and MySQL"},
	{"localstack-e2e", "run e2e on LocalStack and MySQL containers"},
	{"localstack-down", "stop what localstack-up started"},
}

// Main runs one command with args and returns the exit status. getenv reads
// the settings (nil: os.Getenv). Cancelling ctx with an Interrupted cause
// ends the command with 128 + the signal's number.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if getenv == nil {
		getenv = os.Getenv
	}
	if len(args) != 1 || !slices.ContainsFunc(Commands, func(c struct{ Name, Help string }) bool { return c.Name == args[0] }) {
		fmt.Fprintf(stderr, "usage: lake COMMAND, one of:\n")
		for _, c := range Commands {
			fmt.Fprintf(stderr, "  %-16s %s\n", c.Name, c.Help)
		}
		return 2
	}
	err := command(ctx, args[0], getenv, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", args[0], err)
	}
	return ExitCode(ctx, err)
}

func command(ctx context.Context, name string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch name {
	case "settings":
		fmt.Fprint(stdout, "Settings (environment variables, or KEY=VALUE lines in $PIPELINE_CONFIG or ./pipeline.env):\n\n", Help())
		return nil
	case "localstack-up":
		return ComposeUp(ctx, stdout)
	case "localstack-down":
		return ComposeDown(ctx, stdout)
	case "plan":
		s, err := Load(getenv)
		if err != nil {
			return err
		}
		return Plan(ctx, s, stdout)
	case "etl-sql", "show-catalog":
		s, err := Load(getenv)
		if err != nil {
			return err
		}
		if name == "etl-sql" {
			return WriteETLSQL(s, stdout)
		}
		return ShowCatalog(ctx, s, stdout)
	}
	if name == "localstack-e2e" {
		inner := getenv
		getenv = func(k string) string {
			if k == env.TargetEnvVar {
				return string(env.LocalStack)
			}
			return inner(k)
		}
		name = "e2e"
	}
	load := LoadChecked
	if name == "aws-role" || name == "down" || name == "up" || name == "emulator" {
		load = func(ctx context.Context, getenv func(string) string) (Settings, error) {
			s, err := Load(getenv)
			if err == nil {
				err = checkWritable(s.OutDir)
			}
			return s, err
		}
	}
	s, err := load(ctx, getenv)
	if err != nil {
		return err
	}
	applyMemoryLimit(s, getenv)
	progress := NewProgress(stdout)
	logOut := stderr
	if progress.Terminal() {
		logOut = progress.Writer()
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: s.LogLevel}))
	switch name {
	case "up":
		return Up(ctx, s, log, stdout)
	case "emulator":
		return Emulator(ctx, s, log, stdout)
	case "e2e":
		return runE2E(ctx, s, log, stdout, progress)
	case "aws-role":
		if s.Target != env.AWS && s.Target != env.Endpoint {
			return fmt.Errorf("makes a role on a running target: PIPELINE_TARGET=aws (or endpoint), not %s", s.Target)
		}
	}
	if s.Target, err = StageTarget(s, getenv); err != nil {
		return err
	}
	e, err := OpenEnv(ctx, s, log)
	if err != nil {
		return err
	}
	defer e.Close()
	switch name {
	case "down":
		return Down(ctx, s, e, stdout)
	case "aws-role":
		fmt.Fprintln(stdout, TargetLine(s, e))
		_, err := Role(ctx, s, e, stdout)
		return err
	}
	r := NewRunner(s, e, log, stdout)
	r.progress = progress
	rep, err := r.Step(ctx, name)
	if rep == nil {
		return err
	}
	if name == "verify" {
		rep.WriteSummary(stdout)
	} else if st := rep.stage(name); st != nil {
		WriteStages(stdout, *st)
		if name == "train" {
			rep.writeTrainSummary(stdout)
		}
	}
	return err
}

// runE2E is the e2e command: the whole pipeline on the settings' target.
func runE2E(ctx context.Context, s Settings, log *slog.Logger, stdout io.Writer, progress *Progress) error {
	e, err := OpenEnv(ctx, s, log)
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintln(stdout, TargetLine(s, e))
	r := NewRunner(s, e, log, stdout)
	r.progress = progress
	rep, runErr := r.E2E(ctx)
	rep.WriteSummary(stdout)
	fmt.Fprintf(stdout, "reports: %s/report.json, %s/junit.xml, %s/%s\n", s.OutDir, s.OutDir, s.OutDir, HTMLFile)
	return runErr
}

// sdkLogs sends what the AWS SDK logs (retries, checksum notices) to log at
// debug level, instead of the SDK's own lines on stderr.
func sdkLogs(e *env.Env, log *slog.Logger) {
	e.AWS.Logger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		log.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "aws-sdk", "class", string(c))
	})
}

// applyMemoryLimit sets the Go runtime's soft memory limit to what
// PIPELINE_MEMORY_LIMIT leaves after DuckDB's share and a quarter kept for
// what neither accounts for (DuckDB's allocations outside its buffer pool,
// which took its resident memory half again past its limit at 20M, the C
// heap, thread stacks), unless GOMEMLIMIT is set (the runtime has read it
// already). At MovieLens 20M an eighth kept free left the etl stage at
// 3,999 MiB of 4,096; a quarter, 3,363, with no measurable cost in time.
func applyMemoryLimit(s Settings, getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" || s.MemoryLimit <= 0 {
		return
	}
	debug.SetMemoryLimit(goMemoryLimit(s))
}

// goMemoryLimit is the Go runtime's share of the memory budget.
func goMemoryLimit(s Settings) int64 {
	duck, err := parseBytes(s.ETLMemoryLimit)
	if err != nil || duck >= s.MemoryLimit {
		duck = s.MemoryLimit / 4
	}
	return max(s.MemoryLimit-duck-s.MemoryLimit/4, s.MemoryLimit/8)
}
