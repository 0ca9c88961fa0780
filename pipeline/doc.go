// Package pipeline holds what the stages of the MovieLens data-lake pipeline
// share: resource names with the workshop's defaults, the per-stage report,
// and AWS clients built from an aws.Config.
//
// The stages live in sub-packages, one per stage: migrate (the DMS full load
// from MySQL to DynamoDB), stage (raw files to S3), stream (Kinesis producer
// and Firehose delivery), catalog (the Glue crawler), etl (the Glue job, in
// DuckDB), verify (the outputs' assertions and checks of one's own) and train
// (a baseline recommender and the SageMaker channels).
//
// Package pipeline and its sub-packages see an aws.Config and a MySQL DSN and
// nothing else: they must never import emulation/, fixtures/ or magefiles/,
// so that the same code runs against the embedded emulation, LocalStack and
// real AWS.
package pipeline
