// Package env brings up the environment the pipeline runs against and hands
// back what the pipeline needs: an aws.Config, a MySQL DSN and a Close.
//
// Targets:
//   - embedded: the in-process AWS emulator and the embedded MySQL-compatible
//     server, on loopback ports; no Docker, no network.
//   - localstack: LocalStack and MySQL 8 containers through testcontainers-go.
//   - endpoint: already running emulators (compose's LocalStack, the
//     standalone emulator, dynalite, ...) named by the SDK's own settings:
//     AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, or a profile's
//     endpoint_url or services section; and MYSQL_DSN.
//   - aws: real AWS through the standard shared config and AWS_PROFILE;
//     nothing is started.
//   - auto: localstack when a Docker engine answers, embedded otherwise.
//
// The default is embedded: fast, offline, and the target CI proves.
//
// Endpoints are set with the SDK's own settings (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_<SERVICE>, the shared config), resolved per service as
// the SDK resolves them; there are no home-made endpoint variables.
package env
