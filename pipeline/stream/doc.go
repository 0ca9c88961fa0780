// Package stream is the workshop's Lambda done right: it creates the Kinesis
// data stream and the Firehose delivery stream from it to S3, reads the new
// ratings (data/partial-load/ratings-partial-load.csv) from S3 with a real CSV
// parser, produces one JSON record per rating with PutRecords, retrying only
// the records that failed, and waits until every record has landed in S3.
//
// A record is the workshop's JSON with string values, then a newline:
//
//	{"userid":"1","movieid":"31","ratingid":"2.5","timestamp":"1260759144"}
package stream
