// Package etl is the pipeline's Glue job: the workshop's PySpark script
// redone in DuckDB SQL.
//
// Run reads its sources from the catalog the catalog stage wrote (DynamoDB
// tables by parallel Scan into DuckDB through its Appender; the stream's S3
// objects downloaded to a work folder and read there, since DuckDB's httpfs
// extension cannot be installed offline), runs the transforms kept in
// sql/*.sql (embedded), and writes the three training-data CSVs under
// ml/trainingdata/ in the bucket, replacing the previous run's.
//
// Every value is loaded as text and only the ids are cast, so imdbid
// "0114709" stays "0114709", rating "3.0" stays "3.0" and an absent tmdbid
// stays empty.
//
// Like every pipeline stage, etl depends on package pipeline (and
// pipeline/datacatalog) and the SDK only: it must not import another stage,
// emulation/, fixtures/, integration/ or magefiles/.
package etl
