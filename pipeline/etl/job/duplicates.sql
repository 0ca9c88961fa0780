-- Deliveries of a stream record beyond its first: lines whose event id
-- (the object's "eventid" key, matched case-insensitively as Glue's
-- lower-cased columns are) an earlier line has. Lines that are not JSON
-- objects, or have no event id, are never duplicates.
WITH parsed AS (
    SELECT CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT' THEN line::JSON END AS j
    FROM src_stream
), ids AS (
    SELECT json_extract_string(j, list_filter(json_keys(j), lambda k: lower(k) = 'eventid')[1]) AS eventid
    FROM parsed
)
SELECT count(eventid) - count(DISTINCT eventid) FROM ids
