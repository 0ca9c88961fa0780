-- ml/trainingdata/movies_new: the workshop's datasource2 (movies_t).

INSERT INTO rejects
SELECT 'movies_new', 'movies', NULL,
       CASE WHEN m.movieid IS NULL THEN 'movieid missing' ELSE 'movieid is not an integer' END,
       to_json(m)::VARCHAR
FROM src_movies AS m
WHERE spark_int(m.movieid) IS NULL;

CREATE OR REPLACE TEMP TABLE out_movies_new AS
SELECT spark_int(movieid) AS movieid, unquote(title) AS title, unquote(genres) AS genres
FROM src_movies
WHERE spark_int(movieid) IS NOT NULL;

-- sort(asc("movieid")), ties broken by the other columns.
COPY (
    FROM out_movies_new
    ORDER BY movieid, title NULLS FIRST, genres NULLS FIRST
) TO (getvariable('movies_new_csv')) (FORMAT csv, HEADER true);
