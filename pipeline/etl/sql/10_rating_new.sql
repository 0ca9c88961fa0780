-- ml/trainingdata/rating_new: the workshop's datasource1 (ratings_t) union
-- datasource0 (the stream), sorted by userid, movieid.

-- datasource0: the stream's JSON records. A line that is not a JSON object
-- has NULL fields, as Spark's permissive JSON reader gives a corrupt record.
CREATE OR REPLACE TEMP TABLE stream_all AS
WITH parsed AS (
    SELECT seq, origin, line,
           CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT' THEN line::JSON END AS j
    FROM src_stream
)
SELECT seq, origin, line, j IS NOT NULL AS ok,
       json_field(j, 'userid')    AS userid,
       json_field(j, 'movieid')   AS movieid,
       json_field(j, 'ratingid')  AS ratingid,
       json_field(j, 'timestamp') AS "timestamp",
       json_field(j, 'eventid')   AS eventid
FROM parsed;

-- Kinesis and Firehose deliver at least once: one row per event id, the
-- first arrival kept. Records without an event id are all kept.
CREATE OR REPLACE TEMP TABLE stream_rows AS
SELECT * FROM stream_all
QUALIFY eventid IS NULL OR row_number() OVER (PARTITION BY eventid ORDER BY seq) = 1;

-- The rows the filter(userid IS NOT NULL) drops.
INSERT INTO rejects
SELECT 'rating_new', 'ratings', NULL,
       CASE WHEN r.userid IS NULL THEN 'userid missing' ELSE 'userid is not an integer' END,
       to_json(r)::VARCHAR
FROM src_ratings AS r
WHERE spark_int(r.userid) IS NULL;

INSERT INTO rejects
SELECT 'rating_new', 'stream', s.origin,
       CASE WHEN NOT s.ok THEN 'malformed JSON record'
            WHEN s.userid IS NULL THEN 'userid missing'
            ELSE 'userid is not an integer' END,
       s.line
FROM stream_rows AS s
WHERE spark_int(s.userid) IS NULL;

-- datasource1.union(datasource0): positional, so the columns are named as
-- datasource1's: userid, movieid, rating, timestamp_c.
CREATE OR REPLACE TEMP TABLE out_rating_new AS
SELECT * FROM (
    SELECT spark_int(userid) AS userid, spark_int(movieid) AS movieid,
           rating, unquote(timestamp_c) AS timestamp_c
    FROM src_ratings
    UNION ALL
    SELECT spark_int(userid), spark_int(movieid), ratingid, "timestamp"
    FROM stream_rows
) WHERE userid IS NOT NULL;

-- sort(asc("userid"), asc("movieid")); Spark's asc puts NULLs first. The
-- later keys only break ties, so that the file is the same every run.
COPY (
    FROM out_rating_new
    ORDER BY userid, movieid NULLS FIRST, rating NULLS FIRST, timestamp_c NULLS FIRST
) TO (getvariable('rating_new_csv')) (FORMAT csv, HEADER true);
