package env

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/localstack"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
)

// ErrNoDocker is returned (wrapped) when no Docker engine answers.
var ErrNoDocker = errors.New("no Docker engine answers")

// DockerAvailable reports, as an error naming the cause, whether a Docker
// engine answers. It never panics.
func DockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrNoDocker, r)
		}
	}()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	if err := p.Health(ctx); err != nil {
		return fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	return nil
}

// LocalStackServices are the services LocalStack loads (its SERVICES
// variable), here and in compose.yaml: the pipeline's four, and STS and IAM,
// which LocalStack's Firehose calls to assume its delivery role before every
// S3 write. With STRICT_SERVICE_LOADING on (its default), a service left out
// is refused, and Firehose then drops every record with only a warning in
// LocalStack's log.
const LocalStackServices = "s3,dynamodb,kinesis,firehose,sts,iam"

// LocalStackFirstUse says what LocalStack 4.14 fetches from the network the
// first time a container uses Kinesis or Firehose, which no offline machine
// can give it.
const LocalStackFirstUse = "LocalStack 4.14 downloads kinesis-mock (npm kinesis-local) and a Java 11 runtime for Firehose's Kinesis reader at first use, so its container needs network access then; testcontainers-go also pulls its Ryuk reaper image (TESTCONTAINERS_RYUK_DISABLED=true skips it)"

// openLocalStack starts LocalStack and, unless a MySQL DSN is given, a MySQL 8
// container.
func openLocalStack(ctx context.Context, e *Env, o options) error {
	if err := DockerAvailable(ctx); err != nil {
		return fmt.Errorf("the localstack target needs Docker: %w (use PIPELINE_TARGET=embedded to run without it)", err)
	}
	ls, err := localstack.Run(ctx, LocalStackImage,
		testcontainers.WithEnv(map[string]string{"SERVICES": LocalStackServices}))
	if ls != nil {
		e.onClose(func() error { return testcontainers.TerminateContainer(ls) })
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", LocalStackImage, err)
	}
	host, err := ls.Host(ctx)
	if err != nil {
		return fmt.Errorf("localstack host: %w", err)
	}
	port, err := ls.MappedPort(ctx, "4566/tcp")
	if err != nil {
		return fmt.Errorf("localstack port: %w", err)
	}
	if host == "localhost" {
		// An IP address makes the SDK address S3 path-style.
		host = "127.0.0.1"
	}
	e.Endpoint = fmt.Sprintf("http://%s:%s", host, port.Port())
	e.AWS = aws.Config{
		Region:       DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(e.Endpoint),
	}
	e.Notes = append(e.Notes, "LocalStack "+LocalStackImage+" at "+e.Endpoint+" (services "+LocalStackServices+")")

	if o.mysqlDSN != "" {
		e.MySQLDSN = o.mysqlDSN
		e.Notes = append(e.Notes, "MySQL source from "+MySQLDSNEnvVar)
		return nil
	}
	my, err := tcmysql.Run(ctx, MySQLImage,
		tcmysql.WithDatabase("movielens"), tcmysql.WithUsername("root"), tcmysql.WithPassword("root"))
	if my != nil {
		e.onClose(func() error { return testcontainers.TerminateContainer(my) })
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", MySQLImage, err)
	}
	dsn, err := my.ConnectionString(ctx)
	if err != nil {
		return fmt.Errorf("mysql connection string: %w", err)
	}
	// Drop the database from the DSN: the loader names its schema.
	if i := strings.LastIndex(dsn, "/"); i >= 0 {
		dsn = dsn[:i+1]
	}
	e.MySQLDSN = dsn
	e.Notes = append(e.Notes, "MySQL "+MySQLImage+" container")
	return nil
}
