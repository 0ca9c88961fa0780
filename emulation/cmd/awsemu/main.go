// Command awsemu serves the AWS emulator (S3, DynamoDB, Kinesis, Firehose,
// IAM, STS) on one port until interrupted, for the AWS CLI, boto3, the
// pipeline's endpoint target or anything else that speaks AWS.
//
//	go run ./emulation/cmd/awsemu -listen 127.0.0.1:4566
//	aws --endpoint-url http://127.0.0.1:4566 s3 ls
//
// The embedded MySQL-compatible server is a command of its own,
// emulation/cmd/mysqlemu: linking it here would cost every start of this
// one its initialisation (go-mysql-server's regular expressions take most
// of a quarter second).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "awsemu:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("awsemu", flag.ContinueOnError)
	flags.SetOutput(stderr)
	listen := flags.String("listen", "127.0.0.1:4566", "address to serve the AWS services on")
	s3Dir := flags.String("s3-dir", "", "keep S3 objects as files under this folder (default: in memory)")
	faults := flags.String("faults", os.Getenv(fault.EnvVar), "fault injection, e.g. throttle=0.1,partial=0.05,seed=42 (default $"+fault.EnvVar+")")
	mysqlAddr := flags.String("mysql", "", "no longer served here: run go run ./emulation/cmd/mysqlemu -listen ADDR")
	verbose := flags.Bool("v", false, "log requests and background work")
	if err := flags.Parse(args); err != nil {
		return err
	}

	if *mysqlAddr != "" {
		return fmt.Errorf("-mysql %s: the MySQL-compatible server is a command of its own: go run ./emulation/cmd/mysqlemu -listen %s", *mysqlAddr, *mysqlAddr)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	fc, err := fault.Parse(*faults)
	if err != nil {
		return fmt.Errorf("-faults: %w", err)
	}
	opts := []emulation.Option{emulation.WithAddr(*listen), emulation.WithLogger(log), emulation.WithFaults(fc)}
	if *s3Dir != "" {
		opts = append(opts, emulation.WithS3Dir(*s3Dir))
	}
	srv, err := emulation.NewServer(opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "AWS emulator (s3, dynamodb, kinesis, firehose, iam, sts) listening on %s\n", srv.URL)
	fmt.Fprintf(stdout, "  export AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n", srv.URL, emulation.DefaultRegion)
	fmt.Fprintf(stdout, "  aws --endpoint-url %s s3 ls\n", srv.URL)
	if fc.Enabled() {
		fmt.Fprintf(stdout, "  fault injection: %s\n", fc)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "awsemu: stopping")
	return nil
}
