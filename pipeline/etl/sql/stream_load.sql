-- Stage the lines of the downloaded stream objects (stream_files) into
-- src_stream. Run only when there are files: read_text fails on none.
SET VARIABLE stream_paths = (SELECT list(path ORDER BY path) FROM stream_files);

INSERT INTO src_stream
SELECT f.uri || ':' || l.n, rtrim(l.line, chr(13))
FROM (
    SELECT t.filename, u.line, u.n
    FROM read_text(getvariable('stream_paths')) AS t,
         unnest(string_split(t.content, chr(10))) WITH ORDINALITY AS u(line, n)
) AS l
JOIN stream_files AS f ON f.path = l.filename
WHERE trim(l.line, ' ' || chr(9) || chr(13)) <> '';
