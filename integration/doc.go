// Package integration holds the end-to-end suites: the whole pipeline on the
// embedded target (always), with MariaDB as the source (when MYSQL_DSN is
// set), against the standalone emulator through the endpoint target, on any
// MovieLens-format directory, against LocalStack (when a Docker engine
// answers), and the real-AWS safety rules against the emulator posing as AWS.
//
// The harness they drive lives in integration/orchestrate.
package integration
