package env

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// DefaultRegion is used when neither the environment nor a profile names one.
const DefaultRegion = "us-east-1"

// openEndpoint reaches a running LocalStack-compatible endpoint through the
// SDK's own endpoint settings.
func openEndpoint(ctx context.Context, e *Env, o options) error {
	endpoint := o.getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		return errors.New("AWS_ENDPOINT_URL is not set: point it at a LocalStack-compatible endpoint, e.g. http://127.0.0.1:4566 (see `go tool mage up`)")
	}
	if o.mysqlDSN == "" {
		return fmt.Errorf("%s is not set: name the MySQL source, e.g. root:root@tcp(127.0.0.1:3306)/", MySQLDSNEnvVar)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithBaseEndpoint(endpoint))
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		// Emulators take any key, as LocalStack does.
		cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
	}
	e.AWS = cfg
	e.Endpoint = endpoint
	e.MySQLDSN = o.mysqlDSN
	e.Notes = append(e.Notes, "AWS endpoint "+endpoint, "MySQL source from "+MySQLDSNEnvVar)
	return nil
}

// openAWS loads the standard shared config. A profile that does not exist
// fails here, before anything starts.
func openAWS(ctx context.Context, e *Env, o options) error {
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return fmt.Errorf("AWS profile %q does not exist in the shared config or credentials files: %w", o.profile, err)
		}
		return fmt.Errorf("load AWS config (profile %q): %w", o.profile, err)
	}
	if cfg.Region == "" {
		return fmt.Errorf("no AWS region: set AWS_REGION or a region for profile %q", o.profile)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("AWS credentials (profile %q): %w", o.profile, err)
	}
	e.AWS = cfg
	e.Notes = append(e.Notes, fmt.Sprintf("real AWS, region %s, profile %q", cfg.Region, o.profile))
	if ep := aws.ToString(cfg.BaseEndpoint); ep != "" {
		e.Endpoint = ep
		e.Notes = append(e.Notes, "endpoint override "+ep)
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
