package env

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRegion is used when neither the environment nor a profile names one.
const DefaultRegion = "us-east-1"

// Service is an AWS service the pipeline or its harness calls, named as in
// AWS_ENDPOINT_URL_<ID>.
type Service struct {
	// ID is the upper-case name of the endpoint variable: "S3", "DYNAMODB".
	ID string
	// Required services must have an endpoint on the endpoint target;
	// the others (IAM, STS) are only called on aws.
	Required bool
	endpoint func(aws.Config) *string
}

// Services lists what the targets reach, in a fixed order.
var Services = []Service{
	{"S3", true, func(c aws.Config) *string { return s3.NewFromConfig(c).Options().BaseEndpoint }},
	{"DYNAMODB", true, func(c aws.Config) *string { return dynamodb.NewFromConfig(c).Options().BaseEndpoint }},
	{"KINESIS", true, func(c aws.Config) *string { return kinesis.NewFromConfig(c).Options().BaseEndpoint }},
	{"FIREHOSE", true, func(c aws.Config) *string { return firehose.NewFromConfig(c).Options().BaseEndpoint }},
	{"IAM", false, func(c aws.Config) *string { return iam.NewFromConfig(c).Options().BaseEndpoint }},
	{"STS", false, func(c aws.Config) *string { return sts.NewFromConfig(c).Options().BaseEndpoint }},
}

// ServiceEndpoint is where the SDK sends one service's requests, and what chose it.
type ServiceEndpoint struct {
	Service string // Service.ID
	URL     string // empty: AWS's own endpoint
	// Source names the setting that chose URL: "AWS_ENDPOINT_URL_DYNAMODB",
	// "AWS_ENDPOINT_URL", or the shared config's profile.
	Source string
}

// Endpoints resolves every service's endpoint as the SDK does
// (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the profile's
// services section and endpoint_url), from a config loaded by
// config.LoadDefaultConfig without a BaseEndpoint override.
func Endpoints(cfg aws.Config, getenv func(string) string, profile string) []ServiceEndpoint {
	var out []ServiceEndpoint
	for _, svc := range Services {
		e := ServiceEndpoint{Service: svc.ID, URL: aws.ToString(svc.endpoint(cfg))}
		switch {
		case e.URL == "":
		case getenv("AWS_ENDPOINT_URL_"+svc.ID) == e.URL:
			e.Source = "AWS_ENDPOINT_URL_" + svc.ID
		case getenv("AWS_ENDPOINT_URL") == e.URL:
			e.Source = "AWS_ENDPOINT_URL"
		case profile != "":
			e.Source = fmt.Sprintf("profile %q in the shared config", profile)
		default:
			e.Source = "the shared config's default profile"
		}
		out = append(out, e)
	}
	return out
}

// describeEndpoints says in one line where each service goes, grouping
// services that share an endpoint.
func describeEndpoints(eps []ServiceEndpoint) string {
	var parts []string
	seen := map[string]int{}
	for _, e := range eps {
		if e.URL == "" {
			continue
		}
		key := e.URL + " (" + e.Source + ")"
		if i, ok := seen[key]; ok {
			parts[i] = strings.Replace(parts[i], " at ", ", "+strings.ToLower(e.Service)+" at ", 1)
			continue
		}
		seen[key] = len(parts)
		parts = append(parts, strings.ToLower(e.Service)+" at "+key)
	}
	return strings.Join(parts, "; ")
}

// openEndpoint reaches running emulators (the standalone emulator, compose's
// LocalStack, dynalite, ...) through the SDK's own endpoint settings, so
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> and a profile's endpoint_url
// or services section all work. Every service the pipeline calls must have
// an endpoint: none of them may fall through to real AWS.
func openEndpoint(ctx context.Context, e *Env, o options) error {
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	eps := Endpoints(cfg, o.getenv, o.profile)
	var missing []string
	required := 0
	for i, ep := range eps {
		if Services[i].Required {
			required++
			if ep.URL == "" {
				missing = append(missing, ep.Service)
			}
		}
	}
	var errs []error
	switch {
	case len(missing) == required:
		errs = append(errs, errors.New("AWS_ENDPOINT_URL is not set: point it at a LocalStack-compatible endpoint, e.g. http://127.0.0.1:4566 (see `go tool mage up`), or set AWS_ENDPOINT_URL_<SERVICE> per service"))
	case len(missing) > 0:
		errs = append(errs, fmt.Errorf("no endpoint for %s: set AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> for each, or these services would be real AWS", strings.Join(missing, ", ")))
	}
	if o.mysqlDSN == "" {
		errs = append(errs, fmt.Errorf("%s is not set: name the MySQL source, e.g. root:root@tcp(127.0.0.1:3306)/", MySQLDSNEnvVar))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := probe(ctx, eps); err != nil {
		return err
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		// Emulators take any key, as LocalStack does.
		cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
	}
	e.AWS = cfg
	e.Endpoints = eps
	e.Endpoint = eps[0].URL
	e.MySQLDSN = o.mysqlDSN
	e.Notes = append(e.Notes, "AWS endpoints: "+describeEndpoints(eps), "MySQL source from "+MySQLDSNEnvVar)
	return nil
}

// LoadAWSConfig loads the standard shared config for the aws target and
// checks what can be checked without a network: the profile exists, a
// region is set, credentials are there. Errors name the profile.
func LoadAWSConfig(ctx context.Context, profile string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return cfg, fmt.Errorf("AWS profile %q does not exist in the shared config or credentials files: %w", profile, err)
		}
		return cfg, fmt.Errorf("load AWS config (profile %q): %w", profile, err)
	}
	if cfg.Region == "" {
		return cfg, fmt.Errorf("no AWS region: set AWS_REGION or a region for profile %q", profile)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return cfg, fmt.Errorf("AWS credentials (profile %q): %w", profile, err)
	}
	return cfg, nil
}

// Identity is who and where the aws target acts.
type Identity struct {
	Account, ARN, Region string
}

func (id Identity) String() string {
	return fmt.Sprintf("account %s as %s, region %s", id.Account, id.ARN, id.Region)
}

// CallerIdentity asks STS who cfg's credentials are.
func CallerIdentity(ctx context.Context, cfg aws.Config) (Identity, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("STS GetCallerIdentity: %w", err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), Region: cfg.Region}, nil
}

// openAWS loads the standard shared config and asks STS who it is, before
// anything is created. A profile that does not exist fails here.
func openAWS(ctx context.Context, e *Env, o options) error {
	cfg, err := LoadAWSConfig(ctx, o.profile)
	if err != nil {
		return err
	}
	id, err := CallerIdentity(ctx, cfg)
	if err != nil {
		return fmt.Errorf("who is profile %q: %w", o.profile, err)
	}
	e.Identity = &id
	e.AWS = cfg
	e.Notes = append(e.Notes, fmt.Sprintf("real AWS: %s (profile %q)", id, o.profile))
	e.Endpoints = Endpoints(cfg, o.getenv, o.profile)
	if d := describeEndpoints(e.Endpoints); d != "" {
		e.Endpoint = e.Endpoints[0].URL
		e.Notes = append(e.Notes, "endpoint overrides: "+d)
	}
	if o.mysqlDSN != "" {
		e.MySQLDSN = o.mysqlDSN
		e.Notes = append(e.Notes, "MySQL source from "+MySQLDSNEnvVar)
		return nil
	}
	// The DMS-style load reads a MySQL source this machine reaches; without
	// one, the embedded server is the source.
	return openEmbeddedMySQL(ctx, e, o)
}

// probe dials every endpoint once, so that one with nothing listening fails
// here, naming the setting that chose it, and not in the middle of a stage
// as "connection refused".
func probe(ctx context.Context, eps []ServiceEndpoint) error {
	var errs []error
	tried := map[string]bool{}
	for _, ep := range eps {
		if ep.URL == "" || tried[ep.URL] {
			continue
		}
		tried[ep.URL] = true
		u, err := url.Parse(ep.URL)
		if err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%s is not a URL", ep.Source, ep.URL))
			continue
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), map[string]string{"https": "443"}[u.Scheme]+map[bool]string{true: "80"}[u.Scheme != "https"])
		}
		d := net.Dialer{Timeout: 3 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%s does not answer: %w", ep.Source, ep.URL, err))
			continue
		}
		conn.Close()
	}
	return errors.Join(errs...)
}
