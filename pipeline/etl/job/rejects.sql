-- The rejected rows of every output, in one CSV: output, source table,
-- origin (the S3 object and line, or the DynamoDB table), reason and the raw
-- record (the JSON line, or the item's columns as JSON).
COPY (
    SELECT r.output, s.table_name AS source, coalesce(r.origin, s.location) AS origin, r.reason, r.record
    FROM rejects AS r JOIN sources AS s USING (source)
    ORDER BY ALL
) TO (getvariable('rejects_csv')) (FORMAT csv, HEADER true);
