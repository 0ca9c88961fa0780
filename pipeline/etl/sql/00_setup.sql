-- The transform's macros. The job runs the files of this folder in name
-- order, after it has staged its inputs (see the package documentation for
-- the tables and variables it provides).

-- Spark's CAST(s AS INTEGER) of a string (the workshop's
-- expr("CAST(userid AS INTEGER)"), non-ANSI mode): surrounding whitespace
-- and control characters are ignored, an optional sign, digits, and a
-- fractional part that is truncated ('12.7' is 12); anything else, and a
-- value out of INTEGER's range, is NULL. DuckDB's own TRY_CAST would round
-- '12.7' to 13 and accept '1e3'.
CREATE OR REPLACE TEMP MACRO spark_int(s) AS
    TRY_CAST(regexp_extract(s, '^[\x01-\x20]*([+-]?[0-9]+)(\.[0-9]*)?[\x01-\x20]*$', 1) AS INTEGER);

-- The workshop's regexp_replace(col, "\"", ""): every double quote removed.
CREATE OR REPLACE TEMP MACRO unquote(s) AS replace(s, '"', '');

-- The text of the field called name (lower case) of a JSON object, matching
-- the object's keys case-insensitively as Glue's lower-cased columns do;
-- NULL when the object has no such key or j is NULL.
CREATE OR REPLACE TEMP MACRO json_field(j, name) AS
    json_extract_string(j, list_filter(json_keys(j), lambda k: lower(k) = name)[1]);
