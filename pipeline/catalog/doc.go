// Package catalog is the pipeline's Glue crawler.
//
// Run crawls the stream's S3 prefix (Firehose's JSON-lines objects, gzipped
// or not, as pipeline.ListObjects and pipeline.Decompress define them) and
// the DynamoDB tables the DMS full load wrote, infers each table's columns
// with Glue's names and types (lower-cased names; string, int, bigint,
// double, boolean, binary, array<...>, struct<...>), counts its records, and
// writes the tables to the catalog database (package datacatalog), which the
// etl stage reads.
//
// Like every pipeline stage, catalog depends on package pipeline (and
// pipeline/datacatalog) and the SDK only: it must not import another stage,
// emulation/, fixtures/, integration/ or magefiles/.
package catalog
