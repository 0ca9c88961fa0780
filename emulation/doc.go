// Package emulation runs the AWS services the pipeline uses (S3, DynamoDB,
// Kinesis Data Streams, Kinesis Data Firehose, and the IAM roles and STS
// identity around them) in-process, on one loopback port, with the real wire
// protocols, so that aws-sdk-go-v2, the AWS CLI and any SigV4-signing client
// talk to it unchanged.
//
// A Server feels like net/http/httptest: NewServer starts it on 127.0.0.1:0,
// URL is the endpoint, Close stops it. NewTestServer does the same for a test
// and registers the cleanup.
//
// Requests are routed the way LocalStack's edge port routes them: the
// X-Amz-Target header selects a JSON-protocol service (DynamoDB, Kinesis,
// Firehose); the SigV4 credential scope's service selects a query-protocol
// one (IAM, STS); everything else is S3's REST protocol, served by gofakes3.
//
// Package pipeline must never import this package or its sub-packages: the
// pipeline sees an aws.Config and a MySQL DSN and nothing else.
package emulation
