// Package etl is the pipeline's Glue job: the workshop's PySpark script
// redone in DuckDB SQL.
//
// Run reads its sources from the catalog the catalog stage wrote (DynamoDB
// tables by parallel Scan into DuckDB through its Appender; the stream's S3
// objects downloaded to a work folder and read there, since DuckDB's httpfs
// extension cannot be installed offline), runs a transform (the built-in
// one, sql/*.sql, embedded; or Options.Scripts, a folder of one's own read
// by ReadScripts), and writes the three training-data CSVs under
// ml/trainingdata/ in the bucket, replacing the previous run's.
//
// Every value is loaded as text and only the ids are cast, so imdbid
// "0114709" stays "0114709", rating "3.0" stays "3.0" and an absent tmdbid
// stays empty.
//
// # The contract between the job and a transform
//
// A transform is a set of .sql files, run in name order on one DuckDB
// connection (the built-in: 00_setup.sql with the macros spark_int, unquote
// and json_field, then 10_rating_new.sql, 20_movies_new.sql,
// 30_links_new.sql). Before the first file runs, the job provides:
//
//	src_ratings, src_movies, src_links   the DynamoDB tables of the catalog
//	    (Names.RatingsTable, MoviesTable, LinksTable): one row per item, one
//	    VARCHAR column per catalog column (lower-case names, as the catalog
//	    has them: userid, movieid, rating, timestamp_c; movieid, title,
//	    genres; movieid, imdbid, tmdbid; and any others the items have), the
//	    values' text (numbers as written, sets, lists and maps as JSON)
//	src_stream (seq BIGINT, origin VARCHAR, line VARCHAR)   every non-blank
//	    line of the stream's objects under Names.FirehosePrefix, in order of
//	    arrival; origin is "s3://bucket/key:line". Lines are JSON records
//	    {"userid","movieid","ratingid","timestamp","eventid"}, delivered at
//	    least once: the same eventid can come twice
//	sources (source, table_name, location)   which catalog table each input
//	    label ('ratings', 'movies', 'links', 'stream') came from
//	rejects (output, source, origin, reason, record)   empty; a transform
//	    inserts the rows it drops: output 'rating_new', 'movies_new' or
//	    'links_new', source an input label, origin the line's origin (NULL
//	    for an item), why, and the raw record
//	getvariable('rating_new_csv'), getvariable('movies_new_csv'),
//	getvariable('links_new_csv')   the paths the outputs must be written to
//
// and the transform must write each of the three outputs to its path as one
// CSV with a header row, in this column order (verify checks the header,
// integer ids and the sort order):
//
//	rating_new   userid, movieid, rating, timestamp_c   sorted by userid, movieid
//	movies_new   movieid, title, genres                 sorted by movieid
//	links_new    movieid, imdbid, tmdbid                sorted by movieid
//
// e.g. COPY (...) TO (getvariable('movies_new_csv')) (FORMAT csv, HEADER
// true). After the last file the job counts each output's rows, the
// duplicate stream deliveries (lines whose eventid came before) and the
// rejects per input, and uploads the outputs and the rejects. For verify's
// counts to reconcile, rating_new must hold one row per ratings item and per
// distinct stream record, less the rows in rejects: drop a row only by
// inserting it there.
//
// Like every pipeline stage, etl depends on package pipeline (and
// pipeline/datacatalog) and the SDK only: it must not import another stage,
// emulation/, fixtures/, integration/ or magefiles/.
package etl
