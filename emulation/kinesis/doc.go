// Package kinesis emulates Amazon Kinesis Data Streams (X-Amz-Target
// "Kinesis_20131202.<Op>"): streams with provisioned or on-demand shards
// whose hash-key ranges split 0..2^128-1 as AWS does, records placed by the
// MD5 of their partition key (or their ExplicitHashKey), sequence numbers of
// AWS's layout that increase within a shard, shard iterators of every type
// that expire after five minutes, SplitShard and MergeShards with shard
// lineage (parents, closed shards' ending sequence numbers, ChildShards at
// the end of a closed shard), tags, retention periods, and AWS's errors.
//
// Service is the protocol layer: it speaks JSON (application/x-amz-json-1.1)
// and CBOR (application/x-amz-cbor-1.1, what the AWS SDKs for Java and the
// KCL send), rejects malformed members and violated constraints with the
// messages of AWS's request framework, and turns requests into calls on a
// Backend, which keeps the streams and records. MemStore is the in-memory
// Backend. Besides the HTTP handler, Service offers an in-process Reader
// (NewLatestReader) through which the emulated Firehose consumes a stream
// without going over HTTP.
//
// The package imports emulation/awsproto and emulation/fault only; it must
// not import the other emulated services.
package kinesis
