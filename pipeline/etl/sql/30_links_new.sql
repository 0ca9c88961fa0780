-- ml/trainingdata/links_new: the workshop's datasource3 (links_t). imdbid
-- keeps its text ('0114709'); only tmdbid has its double quotes removed.

INSERT INTO rejects
SELECT 'links_new', 'links', NULL,
       CASE WHEN l.movieid IS NULL THEN 'movieid missing' ELSE 'movieid is not an integer' END,
       to_json(l)::VARCHAR
FROM src_links AS l
WHERE spark_int(l.movieid) IS NULL;

CREATE OR REPLACE TEMP TABLE out_links_new AS
SELECT spark_int(movieid) AS movieid, imdbid, unquote(tmdbid) AS tmdbid
FROM src_links
WHERE spark_int(movieid) IS NOT NULL;

-- sort(asc("movieid")), ties broken by the other columns.
COPY (
    FROM out_links_new
    ORDER BY movieid, imdbid NULLS FIRST, tmdbid NULLS FIRST
) TO (getvariable('links_new_csv')) (FORMAT csv, HEADER true);
