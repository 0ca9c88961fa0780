// Package verify asserts the training data the etl stage wrote: one CSV per
// output with the exact header, sorted, integer ids, row counts reconciled
// with every stage before it, and, given the prepared dataset the run started
// from, contents equal to what the workshop's Glue job computes from it.
//
// A failed assertion names the file, row, column and value.
//
// Checks of one's own (Options.Checks, read from a folder by ReadChecks)
// are SQL queries in DuckDB's dialect that must return no rows, in the
// spirit of dbt's data tests: each sees the outputs as tables rating_new,
// movies_new and links_new and the catalog's tables by their catalog names
// (ratings_t, firehose, ...), every column as text; a failing one shows how
// many rows it returned and the first of them.
//
// Like every pipeline stage, verify depends on package pipeline (and
// pipeline/datacatalog) and the SDK only.
package verify
