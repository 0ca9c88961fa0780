// Package firehose emulates Amazon Data Firehose's JSON 1.1 protocol
// (X-Amz-Target "Firehose_20150804.<Op>"): delivery streams fed by a Kinesis
// stream (read in-process from kinesis.Service from the moment the delivery
// stream is created) or by direct puts, buffered by size and interval, and
// written to S3 through ObjectStore with AWS's key layout:
//
//	<evaluated Prefix><name>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz]
//
// where a Prefix without a !{timestamp:...} expression gets "YYYY/MM/dd/HH/"
// appended, with no separator added, as AWS does. Records are concatenated
// exactly as sent. A write that keeps failing is retried with backoff, then
// written under ErrorOutputPrefix if possible; nothing is dropped silently:
// every outcome is logged and counted (see Stats).
//
// The package imports emulation/awsproto, emulation/fault and
// emulation/kinesis; it reaches S3 only through ObjectStore.
package firehose
