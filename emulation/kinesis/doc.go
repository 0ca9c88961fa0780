// Package kinesis emulates Amazon Kinesis Data Streams' JSON 1.1 protocol
// (X-Amz-Target "Kinesis_20131202.<Op>") in memory: streams with provisioned
// shards whose hash-key ranges split 0..2^128-1 evenly as AWS does, records
// placed by the MD5 of their partition key (or their ExplicitHashKey),
// 56-digit sequence numbers that increase within a shard, shard iterators of
// every type that expire after five minutes, and AWS's validation errors.
//
// Besides the HTTP handler, Service offers an in-process Reader
// (NewLatestReader) through which the emulated Firehose consumes a stream
// without going over HTTP.
//
// The package imports emulation/awsproto and emulation/fault only; it must
// not import the other emulated services.
package kinesis
