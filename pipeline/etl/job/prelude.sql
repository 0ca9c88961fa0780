-- What the job provides before the transform's files run (the contract in
-- the package documentation); not replaceable by PIPELINE_ETL_SQL.

-- The job's inputs, by label: 'ratings', 'movies', 'links' (DynamoDB tables
-- staged by Go as src_ratings, src_movies, src_links with every column
-- VARCHAR) and 'stream' (the Firehose objects' lines, in src_stream).
CREATE OR REPLACE TEMP TABLE sources (source VARCHAR, table_name VARCHAR, location VARCHAR);

-- Every non-blank line of the stream objects, numbered by seq in order of
-- arrival (objects in key order, lines in order); origin is
-- "s3://bucket/key:line".
CREATE OR REPLACE TEMP TABLE src_stream (seq BIGINT, origin VARCHAR, line VARCHAR);

-- The rows the transform drops, with why and the raw record: output
-- ('rating_new', ...), source (an input label), origin (an S3 object and
-- line, or NULL for a DynamoDB item), reason, record.
CREATE OR REPLACE TEMP TABLE rejects (output VARCHAR, source VARCHAR, origin VARCHAR, reason VARCHAR, record VARCHAR);
