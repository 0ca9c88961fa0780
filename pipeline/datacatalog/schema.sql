-- The catalog store: Glue's Data Catalog reduced to what the ETL needs.
-- One row per catalog table and one per column; a database is a name that
-- tables share. Uniqueness of (database, name) is kept by Store.Put, which
-- deletes and inserts in one transaction.
CREATE TABLE IF NOT EXISTS catalog_tables (
    database       VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    location       VARCHAR NOT NULL,
    classification VARCHAR NOT NULL,
    compression    VARCHAR NOT NULL,
    record_count   BIGINT  NOT NULL,
    object_count   BIGINT  NOT NULL,
    size_bytes     BIGINT  NOT NULL,
    crawled_at     TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS catalog_columns (
    database      VARCHAR NOT NULL,
    table_name    VARCHAR NOT NULL,
    position      INTEGER NOT NULL,
    name          VARCHAR NOT NULL,
    type          VARCHAR NOT NULL,
    partition_key BOOLEAN NOT NULL
);
