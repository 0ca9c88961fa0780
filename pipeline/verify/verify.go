package verify

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mldatalake/mldatalake/pipeline"
)

// Output is one training-data output of the ETL job.
type Output struct {
	Name   string   // rating_new, movies_new, links_new
	Header []string // the exact header row
}

// Outputs are the job's three outputs, with the headers the workshop's job writes.
var Outputs = []Output{
	{pipeline.RatingNew, []string{"userid", "movieid", "rating", "timestamp_c"}},
	{pipeline.MoviesNew, []string{"movieid", "title", "genres"}},
	{pipeline.LinksNew, []string{"movieid", "imdbid", "tmdbid"}},
}

// Assertion is one check and its outcome.
type Assertion struct {
	Name    string        `json:"name"`
	Passed  bool          `json:"passed"`
	Message string        `json:"message,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// Result is every assertion, and where each output was found.
type Result struct {
	Assertions []Assertion `json:"assertions"`
	// Keys holds each output's CSV object key.
	Keys map[string]string `json:"keys"`
	// Rows holds each output's data rows (without the header).
	Rows map[string]int64 `json:"rows"`
}

// Failed returns the failed assertions.
func (r *Result) Failed() []Assertion {
	var out []Assertion
	for _, a := range r.Assertions {
		if !a.Passed {
			out = append(out, a)
		}
	}
	return out
}

// Err is nil when every assertion passed, otherwise an error listing the failures.
func (r *Result) Err() error {
	var errs []error
	for _, a := range r.Failed() {
		errs = append(errs, fmt.Errorf("%s: %s", a.Name, a.Message))
	}
	return errors.Join(errs...)
}

// Counts are what the stages before reported, for reconciliation. A negative
// value means unknown and skips the assertions that need it.
type Counts struct {
	// SourceRows per source table name (ratings, movies, links) as read from MySQL.
	SourceRows map[string]int64
	// TargetItems per DynamoDB table (ratings_t, ...) and Exceptions per
	// source table from the migrate stage.
	TargetItems map[string]int64
	Exceptions  map[string]int64
	// Produced counts the records produced to Kinesis, one per event id
	// however often sent; Delivered the distinct event ids found in S3.
	Produced, Delivered int64
	// StreamInput is how many stream records the ETL kept, one per event id.
	StreamInput int64
	// Dropped per output counts the rows the ETL dropped for a null id.
	Dropped map[string]int64
}

// Options configure Run.
type Options struct {
	Names pipeline.Names
	// Counts from the earlier stages; nil skips reconciliation.
	Counts *Counts
	// Expected, when set, are the outputs the Glue job computes from the
	// prepared dataset (see Expect); the outputs must equal them row for row.
	// Leave it nil for a transform of one's own.
	Expected *Expected
	// Checks are data tests of one's own (see Check and ReadChecks), run
	// after the structural assertions, each an assertion "checks/<name>".
	Checks []Check
	// CatalogPath is the catalog the checks read the catalog's tables
	// through; without it they see the outputs only.
	CatalogPath string
	// MemoryLimit caps the checks' DuckDB ("4GB" when empty).
	MemoryLimit string
}

// Run reads the outputs from S3 and asserts them. The error is for failing to
// run the checks at all; failed assertions are in the Result.
func Run(ctx context.Context, cfg aws.Config, opts Options) (*Result, error) {
	names := opts.Names.WithDefaults()
	c := pipeline.NewClients(cfg).S3
	res := &Result{Keys: map[string]string{}, Rows: map[string]int64{}}
	check := func(name string, fn func() error) {
		start := time.Now()
		err := fn()
		a := Assertion{Name: name, Passed: err == nil, Elapsed: time.Since(start)}
		if err != nil {
			a.Message = err.Error()
		}
		res.Assertions = append(res.Assertions, a)
	}
	for _, out := range Outputs {
		var key string
		check(out.Name+"/one data file", func() error {
			var err error
			key, err = findOutput(ctx, c, names.Bucket, pipeline.TrainingPrefix+out.Name+"/")
			return err
		})
		if key == "" {
			continue
		}
		res.Keys[out.Name] = key
		var want *RowSet
		if opts.Expected != nil {
			want = opts.Expected.Outputs[out.Name]
		}
		ck := newChecker(out, key, want)
		if err := readRows(ctx, c, names.Bucket, key, ck.row); err != nil {
			check(out.Name+"/readable CSV", func() error { return err })
			continue
		}
		res.Rows[out.Name] = ck.n
		check(out.Name+"/header", func() error { return ck.headerErr })
		check(out.Name+"/integer ids", func() error { return ck.idErr })
		check(out.Name+"/sorted", func() error { return ck.sortErr })
		if want != nil {
			check(out.Name+"/contents", ck.contents)
		}
	}
	if k := opts.Counts; k != nil {
		reconcile(k, names, res, check)
	}
	if len(opts.Checks) > 0 {
		if err := runChecks(ctx, cfg, opts, names, res, check); err != nil {
			return res, err
		}
	}
	return res, nil
}

// findOutput finds the single CSV under prefix, besides the _SUCCESS marker.
func findOutput(ctx context.Context, c *s3.Client, bucket, prefix string) (string, error) {
	var keys []string
	success := false
	err := pipeline.EachObject(ctx, c, bucket, prefix, func(o types.Object) error {
		switch k := aws.ToString(o.Key); {
		case strings.HasSuffix(k, "/_SUCCESS"):
			success = true
		case strings.HasSuffix(k, ".csv"):
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(keys) != 1 {
		return "", fmt.Errorf("s3://%s/%s holds %d CSV files %v, want exactly one", bucket, prefix, len(keys), keys)
	}
	if !success {
		return "", fmt.Errorf("s3://%s/%s has no _SUCCESS marker", bucket, prefix)
	}
	return keys[0], nil
}

// readRows streams the CSV object's records, numbered from 1 (the header).
func readRows(ctx context.Context, c *s3.Client, bucket, key string, fn func(line int, row []string)) error {
	return pipeline.ReadObject(ctx, c, bucket, key, func(body io.Reader, _ string) error {
		r := csv.NewReader(body)
		r.FieldsPerRecord = -1
		r.ReuseRecord = true
		for n := 1; ; n++ {
			row, err := r.Read()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			fn(n, row)
		}
	})
}

// checker runs the per-row assertions of one output as its rows stream by,
// keeping the first failure of each.
type checker struct {
	out  Output
	key  string
	cols []int
	want *RowSet
	got  *RowSet
	n    int64
	prev []string

	headerErr, idErr, sortErr error
}

func newChecker(out Output, key string, want *RowSet) *checker {
	ck := &checker{out: out, key: key, cols: idColumns(out), want: want}
	if want != nil {
		ck.got = NewRowSet(want.keepRows)
	}
	return ck
}

func (ck *checker) row(line int, row []string) {
	if line == 1 {
		if !slices.Equal(row, ck.out.Header) {
			ck.headerErr = fmt.Errorf("%s row 1: header %q, want %q", ck.key, strings.Join(row, ","), strings.Join(ck.out.Header, ","))
		}
		return
	}
	ck.n++
	if ck.got != nil {
		ck.got.Add(row)
	}
	if len(row) != len(ck.out.Header) {
		if ck.idErr == nil {
			ck.idErr = fmt.Errorf("%s row %d: %d fields, want %d", ck.key, line, len(row), len(ck.out.Header))
		}
		return
	}
	for _, c := range ck.cols {
		if _, err := strconv.ParseInt(row[c], 10, 32); err != nil && ck.idErr == nil {
			ck.idErr = fmt.Errorf("%s row %d column %s: %q is not an integer", ck.key, line, ck.out.Header[c], row[c])
		}
	}
	if ck.prev != nil && compareIDs(ck.prev, row, ck.cols) > 0 && ck.sortErr == nil {
		c := ck.cols[0]
		ck.sortErr = fmt.Errorf("%s row %d column %s: %s after %s: not sorted by %s",
			ck.key, line, ck.out.Header[c], row[c], ck.prev[c], strings.Join(pick(ck.out.Header, ck.cols), ", "))
	}
	ck.prev = append(ck.prev[:0], row...)
}

func (ck *checker) contents() error {
	return ck.want.Diff(ck.got, ck.key)
}

func compareIDs(a, b []string, cols []int) int {
	for _, c := range cols {
		x, _ := strconv.ParseInt(a[c], 10, 64)
		y, _ := strconv.ParseInt(b[c], 10, 64)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// idColumns are the integer columns of an output, by index.
func idColumns(out Output) []int {
	if out.Name == pipeline.RatingNew {
		return []int{0, 1}
	}
	return []int{0}
}

func pick(s []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}
