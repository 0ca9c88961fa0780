// Package env brings up the environment the pipeline runs against and hands
// back what the pipeline needs: an aws.Config, a MySQL DSN and a Close.
//
// Targets:
//   - embedded: the in-process AWS emulator and the embedded MySQL-compatible
//     server, on loopback ports; no Docker, no network.
//   - localstack: LocalStack and MySQL 8 containers through testcontainers-go.
//   - endpoint: an already running LocalStack-compatible endpoint named by
//     AWS_ENDPOINT_URL (compose, or the standalone emulator), and MYSQL_DSN.
//   - aws: real AWS through the standard shared config and AWS_PROFILE;
//     nothing is started.
//   - auto: localstack when a Docker engine answers, embedded otherwise.
//
// Endpoints are set with the SDK's own settings (BaseEndpoint,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>); there are no home-made
// endpoint variables.
package env
