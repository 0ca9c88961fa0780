package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kntypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/pipeline"
)

// Up brings the environment up and leaves it for inspection: on the embedded
// target it serves in the foreground until ctx ends; on localstack it runs
// `docker compose up`; on endpoint and aws there is nothing to start.
func Up(ctx context.Context, s Settings, log *slog.Logger, out io.Writer) error {
	target := s.Target
	if target == env.Auto {
		if env.DockerAvailable(ctx) == nil {
			target = env.LocalStack
		} else {
			target = env.Embedded
		}
	}
	switch target {
	case env.LocalStack:
		fmt.Fprintln(out, "starting LocalStack and MySQL with compose.yaml")
		if err := compose(ctx, out, "up", "-d", "--wait"); err != nil {
			return err
		}
		printEndpoints(out, "http://127.0.0.1:4566", "root:root@tcp(127.0.0.1:3306)/")
		return nil
	case env.Endpoint, env.AWS:
		fmt.Fprintf(out, "target %s: nothing to start; the stages reach what is already there\n", target)
		return nil
	}
	e, err := env.Open(ctx, env.Embedded, env.WithLogger(log), env.WithFaults(s.Faults),
		env.WithListen(s.UpAWSAddr, s.UpMySQLAddr), env.WithMySQLDSN(s.MySQLDSN),
		env.WithS3Dir(s.OutDir+"/s3"))
	if err != nil {
		return err
	}
	defer e.Close()
	for _, n := range e.Notes {
		fmt.Fprintln(out, n)
	}
	printEndpoints(out, e.Endpoint, e.MySQLDSN)
	fmt.Fprintf(out, "S3 objects are kept as files under %s/s3/buckets\nserving until interrupted (Ctrl-C)\n", s.OutDir)
	<-ctx.Done()
	return nil
}

func printEndpoints(out io.Writer, endpoint, dsn string) {
	fmt.Fprintf(out, `
Point the stages, the AWS CLI and a MySQL client at it:
  export PIPELINE_TARGET=endpoint AWS_ENDPOINT_URL=%s AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  export MYSQL_DSN='%s'
  go tool mage seed migrate stage stream catalog etl verify
  aws --endpoint-url %s s3 ls s3://%s --recursive
  aws --endpoint-url %s dynamodb list-tables
  mysql -h 127.0.0.1 -P %s -u root movielens
`, endpoint, dsn, endpoint, pipeline.DefaultBucket, endpoint, dsnPort(dsn))
}

func dsnPort(dsn string) string {
	_, rest, ok := strings.Cut(dsn, "tcp(")
	if !ok {
		return "3306"
	}
	hostport, _, _ := strings.Cut(rest, ")")
	if i := strings.LastIndex(hostport, ":"); i >= 0 {
		return hostport[i+1:]
	}
	return "3306"
}

// ComposeDown stops what `up` started with compose.yaml and removes its volumes.
func ComposeDown(ctx context.Context, out io.Writer) error { return compose(ctx, out, "down", "-v") }

// ErrNoRunningEnv is returned by StageTarget when single stages have no
// running environment to reach.
var ErrNoRunningEnv = errors.New("single stages run against a running environment: start `go tool mage up` and export what it prints (PIPELINE_TARGET=endpoint, AWS_ENDPOINT_URL, MYSQL_DSN), or use `go tool mage e2e`")

// StageTarget is the target a single stage (seed, migrate, ..., verify, down)
// runs against. Those stages need state left by the ones before, so they
// reach a running environment: endpoint (what `up` printed; auto means
// endpoint when AWS_ENDPOINT_URL is set) or aws. The embedded and localstack
// targets would start a fresh, empty environment for each stage: refused.
func StageTarget(s Settings, getenv func(string) string) (env.Target, error) {
	switch s.Target {
	case env.Endpoint, env.AWS:
		return s.Target, nil
	case env.Auto:
		if getenv("AWS_ENDPOINT_URL") != "" {
			return env.Endpoint, nil
		}
	}
	return "", ErrNoRunningEnv
}

func compose(ctx context.Context, out io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "docker", append([]string{"compose"}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker compose %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Resource is one thing the pipeline creates.
type Resource struct {
	Kind, Name string
}

// Resources lists what a run creates, for plan and down.
func (s Settings) Resources() []Resource {
	n := s.Names
	return []Resource{
		{"S3 bucket", n.Bucket},
		{"DynamoDB table", n.RatingsTable}, {"DynamoDB table", n.MoviesTable},
		{"DynamoDB table", n.LinksTable}, {"DynamoDB table", n.TagsTable},
		{"DynamoDB table", "awsdms_full_load_exceptions"},
		{"Kinesis stream", n.Stream},
		{"Firehose delivery stream", n.DeliveryStream},
		{"catalog database (DuckDB)", n.CatalogDatabase + " in " + s.OutDir + "/catalog.duckdb"},
	}
}

// Plan writes what e2e would create and what it would delete or replace,
// without touching anything.
func Plan(s Settings, out io.Writer) {
	fmt.Fprintf(out, "target %s\n\nwould create (or reuse):\n", s.Target)
	for _, r := range s.Resources() {
		fmt.Fprintf(out, "  %-26s %s\n", r.Kind, r.Name)
	}
	destroy := s.CheckDestroy(s.Target, "these steps")
	fmt.Fprintln(out, "\nwould delete or replace:")
	steps := []string{
		"DynamoDB tables " + strings.Join([]string{s.Names.RatingsTable, s.Names.MoviesTable, s.Names.LinksTable, s.Names.TagsTable}, ", ") + " (migrate's DROP_AND_CREATE)",
		"objects under s3://" + s.Names.Bucket + "/" + s.Names.FirehosePrefix + " (before stream)",
		"objects under s3://" + s.Names.Bucket + "/" + pipeline.TrainingPrefix + " (etl's overwrite)",
	}
	for _, st := range steps {
		if destroy != nil {
			fmt.Fprintf(out, "  no: %s\n", st)
		} else {
			fmt.Fprintf(out, "  %s\n", st)
		}
	}
	if destroy != nil {
		fmt.Fprintf(out, "\n%v\nso migrate loads with DO_NOTHING, stream keeps old objects and etl fails if outputs exist\n", destroy)
	}
}

// Down deletes every resource the pipeline created on the target (guarded
// on real AWS). On localstack it runs `docker compose down`; the embedded
// environment of `up` ends with its process.
func Down(ctx context.Context, s Settings, e *env.Env, out io.Writer) error {
	switch e.Target {
	case env.Embedded:
		return errors.New("the embedded environment lives in the `go tool mage up` process: stop it with Ctrl-C")
	case env.LocalStack:
		return ComposeDown(ctx, out)
	}
	if err := s.CheckDestroy(e.Target, "down"); err != nil {
		return err
	}
	c := pipeline.NewClients(e.AWS)
	var errs []error
	n := s.Names
	if _, err := c.Firehose.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String(n.DeliveryStream)}); err != nil && !isNotFound(err) {
		errs = append(errs, fmt.Errorf("delete delivery stream %s: %w", n.DeliveryStream, err))
	}
	if _, err := c.Kinesis.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(n.Stream), EnforceConsumerDeletion: aws.Bool(true)}); err != nil && !isNotFound(err) {
		errs = append(errs, fmt.Errorf("delete stream %s: %w", n.Stream, err))
	}
	for _, t := range []string{n.RatingsTable, n.MoviesTable, n.LinksTable, n.TagsTable, "awsdms_full_load_exceptions"} {
		if _, err := c.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(t)}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete table %s: %w", t, err))
		}
	}
	if err := deletePrefix(ctx, e.AWS, n.Bucket, ""); err != nil {
		errs = append(errs, err)
	} else if _, err := c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(n.Bucket)}); err != nil && !isNotFound(err) {
		errs = append(errs, fmt.Errorf("delete bucket %s: %w", n.Bucket, err))
	}
	if err := os.Remove(s.OutDir + "/catalog.duckdb"); err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	for _, r := range s.Resources() {
		fmt.Fprintf(out, "deleted %s %s\n", r.Kind, r.Name)
	}
	return errors.Join(errs...)
}

func isNotFound(err error) bool {
	var d *ddbtypes.ResourceNotFoundException
	var k *kntypes.ResourceNotFoundException
	var f *fhtypes.ResourceNotFoundException
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) && (api.ErrorCode() == "NoSuchBucket" || api.ErrorCode() == "NotFound") {
		return true
	}
	return errors.As(err, &d) || errors.As(err, &k) || errors.As(err, &f)
}
