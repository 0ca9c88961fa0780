package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kntypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/stream"
)

// Up brings the environment up and leaves it for inspection: on the embedded
// target it serves in the foreground until ctx ends, starting fresh every
// time (S3's files of an earlier up and its run's records are removed, as
// the in-memory services start empty); on localstack it runs `docker compose
// up`; on endpoint and aws there is nothing to start.
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
		return ComposeUp(ctx, out)
	case env.Endpoint, env.AWS:
		fmt.Fprintf(out, "target %s: nothing to start; the stages reach what is already there\n", target)
		return nil
	}
	// Everything starts fresh: DynamoDB, Kinesis and the embedded MySQL live
	// in this process's memory, so S3's files and the record of a run
	// against an earlier `up` would be all that is left of it.
	var cleared []string
	for _, p := range []string{filepath.Join(s.OutDir, "s3"), s.manifestPath(), s.stagesDir()} {
		if _, err := os.Stat(p); err == nil {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("start fresh: %w", err)
			}
			cleared = append(cleared, p)
		}
	}
	if len(cleared) > 0 {
		fmt.Fprintf(out, "starting fresh: removed what an earlier up left (%s); run seed first\n", strings.Join(cleared, ", "))
	}
	e, err := env.Open(ctx, env.Embedded, env.WithLogger(log), env.WithFaults(s.Faults),
		env.WithListen(s.UpAWSAddr, s.UpMySQLAddr), env.WithMySQLDSN(s.MySQLDSN),
		env.WithS3Dir(filepath.Join(s.OutDir, "s3")))
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

// Emulator serves the AWS emulator alone (no MySQL, S3 in memory) on
// PIPELINE_UP_AWS_ADDR, with EMULATOR_FAULTS, until ctx ends.
func Emulator(ctx context.Context, s Settings, log *slog.Logger, out io.Writer) error {
	srv, err := emulation.NewServer(emulation.WithAddr(s.UpAWSAddr), emulation.WithFaults(s.Faults), emulation.WithLogger(log))
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(out, "AWS emulator (s3, dynamodb, kinesis, firehose, iam, sts) listening on %s\n", srv.URL)
	fmt.Fprintf(out, "  export AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_DEFAULT_REGION=%s AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n",
		srv.URL, emulation.DefaultRegion, emulation.DefaultRegion)
	if s.Faults.Enabled() {
		fmt.Fprintf(out, "  fault injection: %s\n", s.Faults)
	}
	fmt.Fprintln(out, "serving until interrupted (Ctrl-C)")
	<-ctx.Done()
	return nil
}

func printEndpoints(out io.Writer, endpoint, dsn string) {
	fmt.Fprintf(out, `
Point the stages, the AWS CLI and a MySQL client at it:
  export PIPELINE_TARGET=endpoint AWS_ENDPOINT_URL=%s AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
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

// ComposeUp starts compose.yaml's LocalStack and MySQL and waits until they
// are healthy.
func ComposeUp(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "starting LocalStack and MySQL with compose.yaml")
	fmt.Fprintln(out, "note: "+env.LocalStackFirstUse)
	if err := compose(ctx, out, "up", "-d", "--wait"); err != nil {
		return err
	}
	printEndpoints(out, "http://127.0.0.1:4566", "root:root@tcp(127.0.0.1:3306)/")
	return nil
}

// ComposeDown stops and removes what ComposeUp started (containers and
// volumes of compose.yaml's project). When compose runs nothing of the
// project, it says so and stops nothing: containers compose did not start
// (the localstack target's, which end with their run) are not its to stop.
func ComposeDown(ctx context.Context, out io.Writer) error {
	var ps strings.Builder
	cmd := exec.CommandContext(ctx, "docker", "compose", "ps", "--all", "--quiet")
	cmd.Stdout, cmd.Stderr = &ps, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker compose ps: %w", err)
	}
	if strings.TrimSpace(ps.String()) == "" {
		fmt.Fprintln(out, "nothing of compose.yaml is running: nothing to stop")
		return nil
	}
	return compose(ctx, out, "down", "-v")
}

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

// Resource kinds.
const (
	KindBucket         = "S3 bucket"
	KindTable          = "DynamoDB table"
	KindStream         = "Kinesis stream"
	KindDeliveryStream = "Firehose delivery stream"
	KindRole           = "IAM role"
	KindCatalog        = "catalog database (DuckDB)"
)

// Resource is one thing the pipeline creates.
type Resource struct {
	Kind, Name string
	// Local is set for what lives on this machine (the catalog file), not
	// in AWS: the destroy guard does not ask for its prefix.
	Local bool
}

// Resources lists everything a run or aws:role creates, and so everything
// down deletes and the destroy guard checks: one list.
func (s Settings) Resources() []Resource {
	n := s.Names
	return []Resource{
		{Kind: KindDeliveryStream, Name: n.DeliveryStream},
		{Kind: KindStream, Name: n.Stream},
		{Kind: KindTable, Name: n.RatingsTable}, {Kind: KindTable, Name: n.MoviesTable},
		{Kind: KindTable, Name: n.LinksTable}, {Kind: KindTable, Name: n.TagsTable},
		{Kind: KindTable, Name: n.ExceptionsTable},
		{Kind: KindBucket, Name: n.Bucket},
		{Kind: KindRole, Name: n.FirehoseRole},
		{Kind: KindCatalog, Name: n.CatalogDatabase, Local: true},
	}
}

// Plan writes who and where the target is (on aws, from STS), what e2e would
// create and what it would delete or replace, and the Firehose role's
// policies, without changing anything.
func Plan(ctx context.Context, s Settings, out io.Writer) error {
	fmt.Fprintf(out, "target %s\n", s.Target)
	account, region := "000000000000", env.DefaultRegion
	if s.Target == env.AWS {
		cfg, err := env.LoadAWSConfig(ctx, s.Profile)
		if err != nil {
			return err
		}
		id, err := env.CallerIdentity(ctx, cfg)
		if err != nil {
			return fmt.Errorf("who is profile %q: %w", s.Profile, err)
		}
		fmt.Fprintf(out, "AWS %s (profile %q)\n", id, s.Profile)
		account, region = id.Account, id.Region
	}
	fmt.Fprintln(out, "\nwould create (or reuse):")
	for _, r := range s.Resources() {
		name := r.Name
		switch r.Kind {
		case KindRole:
			name += " (only with aws:role)"
		case KindCatalog:
			name += " in " + s.catalogPath()
		}
		fmt.Fprintf(out, "  %-26s %s\n", r.Kind, name)
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
	trust, access := stream.RolePolicies(s.Names, account, region)
	fmt.Fprintf(out, "\nFirehose role %s (aws:role creates it), trust policy:\n%s\naccess policy %s:\n%s\n",
		s.Names.FirehoseRole, trust, stream.RolePolicyName, access)
	return nil
}

// Role creates (or updates) the IAM role Firehose assumes, with the policies
// Plan prints, and prints its ARN and the export that uses it.
func Role(ctx context.Context, s Settings, e *env.Env, out io.Writer) (string, error) {
	account := "000000000000"
	if e.Identity != nil {
		account = e.Identity.Account
	}
	arn, err := stream.EnsureRole(ctx, e.AWS, s.Names, account)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out, "IAM role %s: %s\n  export PIPELINE_FIREHOSE_ROLE_ARN=%s\n", s.Names.FirehoseRole, arn, arn)
	return arn, nil
}

// Deletion outcomes Down reports per resource.
const (
	Deleted  = "deleted"
	NotFound = "not found"
)

// Down deletes every resource of Resources on the target (guarded on real
// AWS) and prints, per resource, deleted, not found or failed with the
// cause. It returns an error when any deletion failed. On localstack it
// refuses: the target's containers end with their run, and compose's are
// stopped by localstack:down. The embedded environment of `up` ends with
// its process.
func Down(ctx context.Context, s Settings, e *env.Env, out io.Writer) error {
	switch e.Target {
	case env.Embedded:
		return errors.New("the embedded environment lives in the `go tool mage up` process: stop it with Ctrl-C")
	case env.LocalStack:
		return errors.New("the localstack target's containers end with their run; to stop compose.yaml's, run `go tool mage localstack:down`")
	}
	if err := s.CheckDestroy(e.Target, "down"); err != nil {
		return err
	}
	c := pipeline.NewClients(e.AWS)
	var errs []error
	for _, r := range s.Resources() {
		found, err := deleteResource(ctx, c, e.AWS, s, r)
		switch {
		case err != nil:
			fmt.Fprintf(out, "  failed     %-26s %s: %v\n", r.Kind, r.Name, err)
			errs = append(errs, fmt.Errorf("delete %s %s: %w", r.Kind, r.Name, err))
		case found:
			fmt.Fprintf(out, "  %-10s %-26s %s\n", Deleted, r.Kind, r.Name)
		default:
			fmt.Fprintf(out, "  %-10s %-26s %s\n", NotFound, r.Kind, r.Name)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("down: %d of %d resources not deleted: %w", len(errs), len(s.Resources()), errors.Join(errs...))
	}
	return nil
}

// deleteResource deletes one resource and reports whether it existed.
func deleteResource(ctx context.Context, c *pipeline.Clients, cfg aws.Config, s Settings, r Resource) (bool, error) {
	var err error
	switch r.Kind {
	case KindDeliveryStream:
		_, err = c.Firehose.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String(r.Name)})
	case KindStream:
		_, err = c.Kinesis.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(r.Name), EnforceConsumerDeletion: aws.Bool(true)})
	case KindTable:
		_, err = c.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.Name)})
	case KindBucket:
		if _, err := pipeline.DeletePrefix(ctx, c.S3, r.Name, ""); err != nil {
			return true, err
		}
		_, err = c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(r.Name)})
	case KindRole:
		return stream.DeleteRole(ctx, cfg, s.Names)
	case KindCatalog:
		err = os.Remove(s.catalogPath())
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	default:
		return false, fmt.Errorf("unknown resource kind %q", r.Kind)
	}
	if err == nil {
		return true, nil
	}
	if isNotFound(err) {
		return false, nil
	}
	return true, err
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
