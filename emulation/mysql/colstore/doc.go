// Package colstore is a compact row storage for go-mysql-server: tables
// whose rows live in typed column chunks instead of go-mysql-server's
// memory tables, which box every value in an interface and copy rows on
// each statement.
//
// A table's rows are split into chunks of 65,536 rows; each chunk holds
// one slice per column: integers and floats in their own Go type (an INT
// takes 4 bytes), DECIMAL(p,s) with p up to 18 as an integer scaled by
// 10^s in 2, 4 or 8 bytes, text and binary values end to end in one byte
// slice with a 4-byte end offset each, and a NULL flag per row for a
// column only in chunks that hold a NULL in it. A MovieLens rating
// (userId INT, movieId INT, rating DECIMAL(2,1), timestamp BIGINT) takes
// 18 bytes. Values come back exactly as stored: a DECIMAL(2,1) 3.0 as a
// decimal of scale 1, text byte for byte.
//
// A primary key is checked with a hash index of the rows' positions (five
// bytes a slot, at most 80% full); the keys are compared as their column
// types compare them (text by its collation's weights unless the
// collation is binary). Keyless tables have no index.
//
// Scans stream: Partitions takes a snapshot of the committed rows (the
// chunks' slice headers, not the values) and returns one partition per
// chunk; each row is boxed only when it is read, and projections box only
// the projected columns. COUNT(*) of a keyed table is the committed row
// count.
//
// One statement writes a table at a time; the others wait. A statement's
// rows are invisible to readers until it ends, and an error discards them.
// Deletes and updates are gathered during the statement and applied at its
// end by rebuilding the chunks from the first one that loses a row (an
// update stores the new row at the end). There are no transactions: each
// statement is applied when it ends, as MyISAM does, and ROLLBACK leaves
// the column store's tables as they are.
//
// Tables the column store cannot hold go to go-mysql-server's memory
// tables of the same database, at CREATE TABLE: columns of other types
// (dates and times, JSON, spatial, DECIMAL of more than 18 digits),
// generated or AUTO_INCREMENT columns, primary keys with prefix lengths.
// Secondary and unique indexes, checks and ALTER TABLE move an empty
// table to the memory tables (so CREATE TABLE with an index ends up
// there); on a table with rows they fail with an error naming the table.
// Foreign keys are not supported on column-store tables.
//
// This package must not import fixtures/ or pipeline/.
package colstore
