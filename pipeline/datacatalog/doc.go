// Package datacatalog is the pipeline's Glue Data Catalog: the tables the
// catalog stage (the crawler) writes and the etl stage (the job) reads, kept
// in a DuckDB file (tables catalog_tables and catalog_columns, see
// schema.sql), with Glue's rules for naming them.
//
// It is shared state between two stages, like the bucket and the DynamoDB
// tables, not a stage: it must not import any stage, nor emulation/,
// fixtures/, integration/ or magefiles/.
package datacatalog
