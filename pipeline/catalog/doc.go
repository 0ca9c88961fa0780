// Package catalog is the pipeline's Glue crawler and Data Catalog.
//
// Run crawls the stream's S3 prefix (Firehose's JSON-lines objects, gzipped
// or not) and the DynamoDB tables the DMS full load wrote, infers each
// table's columns with Glue's names and types (lower-cased names; string,
// int, bigint, double, boolean, binary, array<...>, struct<...>), counts its
// records, and writes the tables to a catalog database kept in a DuckDB file
// (tables catalog_tables and catalog_columns, see schema.sql). Store reads and
// writes that file; the etl stage reads its sources from it.
//
// Scan, ListObjects, Decompress and EachLine are the readers the crawler uses,
// exported for the etl stage so both read the data the same way.
//
// Like every pipeline stage, catalog sees only an aws.Config: it must not
// import emulation/, fixtures/ or magefiles/.
package catalog
