// Package awsproto holds what the emulated services share: the JSON-protocol
// mux keyed by X-Amz-Target (DynamoDB, Kinesis, Firehose), the query-protocol
// mux keyed by Action with XML answers (IAM, STS), typed protocol errors and
// their mapping to HTTP status and the wire's error fields, and the service
// descriptors the edge router and the fault injector use.
//
// It imports nothing from the rest of the emulation.
package awsproto
