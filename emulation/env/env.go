package env

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/emulation/mysql"
)

// Target names where the pipeline runs.
type Target string

// The targets. See the package documentation.
const (
	Auto       Target = "auto"
	Embedded   Target = "embedded"
	LocalStack Target = "localstack"
	Endpoint   Target = "endpoint"
	AWS        Target = "aws"
)

// TargetEnvVar selects the target; its default is embedded.
const TargetEnvVar = "PIPELINE_TARGET"

// MySQLDSNEnvVar names an existing MySQL server to use as the source.
const MySQLDSNEnvVar = "MYSQL_DSN"

// Images pinned for the localstack target and compose.yaml. Newer LocalStack
// tags need an auth token and network access to start.
const (
	LocalStackImage = "localstack/localstack:4.14.0"
	MySQLImage      = "mysql:8.4"
)

// DefaultTarget is the target when none is named: fast, offline, and the one
// the project proves in CI.
const DefaultTarget = Embedded

// ParseTarget reads a target name; the empty string is DefaultTarget.
func ParseTarget(s string) (Target, error) {
	switch t := Target(strings.ToLower(strings.TrimSpace(s))); t {
	case "":
		return DefaultTarget, nil
	case Auto, Embedded, LocalStack, Endpoint, AWS:
		return t, nil
	}
	return "", fmt.Errorf("%s=%q: want one of auto, embedded, localstack, endpoint, aws", TargetEnvVar, s)
}

// Env is a running environment.
type Env struct {
	// Target is the target chosen (never auto).
	Target Target
	// AWS is the configuration every pipeline client is built from.
	AWS aws.Config
	// MySQLDSN is a go-sql-driver DSN of the source server, without a
	// database: "user:pass@tcp(host:port)/".
	MySQLDSN string
	// Endpoint is the AWS endpoint URL of S3 (and, but on the endpoint
	// target, of every service), empty on real AWS.
	Endpoint string
	// Endpoints are each service's endpoint and the setting that chose it,
	// on the endpoint and aws targets.
	Endpoints []ServiceEndpoint
	// Identity is who the aws target acts as (STS GetCallerIdentity);
	// nil on the other targets.
	Identity *Identity
	// Notes says what was started or reached, for people.
	Notes []string

	closers []func() error
	// embeddedSQL is the embedded MySQL-compatible server this Env started
	// as the source, if it did.
	embeddedSQL *mysql.Server
}

// Close stops whatever Open started, in reverse order.
func (e *Env) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	e.closers = nil
	return errors.Join(errs...)
}

func (e *Env) onClose(f func() error) { e.closers = append(e.closers, f) }

// OnClose has Close run f too, before what Open started is stopped.
func (e *Env) OnClose(f func() error) { e.onClose(f) }

// Option configures Open.
type Option func(*options)

type options struct {
	log      *slog.Logger
	faults   fault.Config
	s3Dir    string
	mysqlDSN string
	profile  string
	awsAddr  string
	sqlAddr  string
	getenv   func(string) string
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithFaults turns on the embedded emulator's fault injection.
func WithFaults(f fault.Config) Option { return func(o *options) { o.faults = f } }

// WithS3Dir keeps the embedded emulator's S3 objects on disk under dir.
func WithS3Dir(dir string) Option { return func(o *options) { o.s3Dir = dir } }

// WithMySQLDSN uses an existing MySQL server as the source instead of
// starting one. Open reads no settings itself: the caller passes them.
func WithMySQLDSN(dsn string) Option { return func(o *options) { o.mysqlDSN = dsn } }

// WithProfile selects the shared-config profile for the aws and endpoint
// targets (the SDK also reads AWS_PROFILE itself when none is given).
func WithProfile(p string) Option { return func(o *options) { o.profile = p } }

// WithListen makes the embedded target listen on fixed addresses (for `up`);
// the default is 127.0.0.1:0 for both.
func WithListen(awsAddr, mysqlAddr string) Option {
	return func(o *options) { o.awsAddr, o.sqlAddr = awsAddr, mysqlAddr }
}

// WithGetenv replaces os.Getenv for naming which AWS_ENDPOINT_URL variable
// chose an endpoint, for tests.
func WithGetenv(f func(string) string) Option { return func(o *options) { o.getenv = f } }

// Open brings up the environment for target. On error it returns the
// partial Env, already closed.
func Open(ctx context.Context, target Target, opts ...Option) (*Env, error) {
	o := options{log: slog.New(slog.DiscardHandler), getenv: os.Getenv}
	for _, f := range opts {
		f(&o)
	}
	if target == "" {
		target = DefaultTarget
	}
	if target == Auto {
		if err := DockerAvailable(ctx); err == nil {
			target = LocalStack
			o.log.Info("target auto: a Docker engine answers, using localstack")
		} else {
			target = Embedded
			o.log.Info("target auto: no Docker engine, using the embedded emulation", "reason", err.Error())
		}
	}
	e := &Env{Target: target}
	var err error
	switch target {
	case Embedded:
		err = openEmbedded(ctx, e, o)
	case LocalStack:
		err = openLocalStack(ctx, e, o)
	case Endpoint:
		err = openEndpoint(ctx, e, o)
	case AWS:
		err = openAWS(ctx, e, o)
	default:
		err = fmt.Errorf("unknown target %q", target)
	}
	if err != nil {
		return e, errors.Join(fmt.Errorf("target %s: %w", target, err), e.Close())
	}
	return e, nil
}
