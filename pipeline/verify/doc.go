// Package verify asserts the training data the etl stage wrote: one CSV per
// output with the exact header, sorted, integer ids, row counts reconciled
// with every stage before it, and, given the prepared dataset the run started
// from, contents equal to what the workshop's Glue job computes from it.
//
// A failed assertion names the file, row, column and value.
package verify
