package verify

import (
	"encoding/csv"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultKeepRows is how many rows a RowSet keeps to name the rows that
// differ; beyond it, only counts and checksums are compared.
const DefaultKeepRows = 250_000

// RowSet is a multiset of rows: a count and two order-independent checksums,
// plus the rows themselves while there are at most keepRows of them.
type RowSet struct {
	n        int64
	sum1     uint64
	sum2     uint64
	keepRows int
	rows     map[string]int
}

var seed1, seed2 = maphash.MakeSeed(), maphash.MakeSeed()

// NewRowSet returns an empty set that keeps up to keepRows rows.
func NewRowSet(keepRows int) *RowSet {
	return &RowSet{keepRows: keepRows, rows: map[string]int{}}
}

// Add adds one row.
func (s *RowSet) Add(row []string) {
	k := strings.Join(row, "\x1f")
	s.n++
	s.sum1 += maphash.String(seed1, k)
	s.sum2 += maphash.String(seed2, k)
	if s.rows != nil {
		if len(s.rows) < s.keepRows {
			s.rows[k]++
		} else {
			s.rows = nil
		}
	}
}

// Len is the number of rows added.
func (s *RowSet) Len() int64 { return s.n }

// Diff returns nil when got holds exactly the rows of s, otherwise an error
// naming file and, where the rows were kept, the first rows that differ.
func (s *RowSet) Diff(got *RowSet, file string) error {
	if s.n == got.n && s.sum1 == got.sum1 && s.sum2 == got.sum2 {
		return nil
	}
	msg := fmt.Sprintf("%s: %d rows, want %d; contents differ", file, got.n, s.n)
	if s.rows == nil || got.rows == nil {
		return fmt.Errorf("%s (too many rows to list the differences)", msg)
	}
	missing := diffRows(s.rows, got.rows)
	extra := diffRows(got.rows, s.rows)
	if len(missing) > 0 {
		msg += "; missing rows: " + strings.Join(missing, " | ")
	}
	if len(extra) > 0 {
		msg += "; unexpected rows: " + strings.Join(extra, " | ")
	}
	return fmt.Errorf("%s", msg)
}

// diffRows lists up to 3 rows of a that b lacks, in sorted order.
func diffRows(a, b map[string]int) []string {
	var out []string
	for k, n := range a {
		if b[k] < n {
			out = append(out, strings.ReplaceAll(k, "\x1f", ","))
		}
	}
	slices.Sort(out)
	return out[:min(3, len(out))]
}

// Expected are the outputs the workshop's Glue job computes from a prepared
// dataset.
type Expected struct {
	Outputs map[string]*RowSet
}

// Expect applies the Glue job's transforms to the prepared dataset in dir
// (ratings.csv, ratings-partial-load.csv, movies.csv, links.csv): ids cast to
// integers, double quotes removed from timestamp, title, genres and tmdbId,
// rows with a null id dropped, stream ratings unioned with the loaded ones.
func Expect(dir string, keepRows int) (*Expected, error) {
	e := &Expected{Outputs: map[string]*RowSet{}}
	for _, out := range Outputs {
		e.Outputs[out.Name] = NewRowSet(keepRows)
	}
	ratings := e.Outputs["rating_new"]
	specs := []struct {
		file string
		cols []string
		to   *RowSet
		fn   func([]string) []string
	}{
		{"ratings.csv", []string{"userId", "movieId", "rating", "timestamp"}, ratings,
			func(r []string) []string { return []string{castInt(r[0]), castInt(r[1]), r[2], noQuotes(r[3])} }},
		{"ratings-partial-load.csv", []string{"userId", "movieId", "rating", "timestamp"}, ratings,
			func(r []string) []string { return []string{castInt(r[0]), castInt(r[1]), r[2], r[3]} }},
		{"movies.csv", []string{"movieId", "title", "genres"}, e.Outputs["movies_new"],
			func(r []string) []string { return []string{castInt(r[0]), noQuotes(r[1]), noQuotes(r[2])} }},
		{"links.csv", []string{"movieId", "imdbId", "tmdbId"}, e.Outputs["links_new"],
			func(r []string) []string { return []string{castInt(r[0]), r[1], noQuotes(r[2])} }},
	}
	for _, sp := range specs {
		err := readCSV(filepath.Join(dir, sp.file), sp.cols, func(row []string) {
			out := sp.fn(row)
			if out[0] == "" {
				return // the job drops rows with a null id
			}
			sp.to.Add(out)
		})
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// castInt is Spark's CAST(x AS INTEGER): surrounding white space ignored, a
// decimal truncated toward zero ("12.7" is 12), and empty (null) for
// anything else or a value out of the 32-bit range.
func castInt(s string) string {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return strconv.FormatInt(n, 10)
	}
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || strings.Trim(frac, "0123456789") != "" || (whole == "" || whole == "-" || whole == "+") && frac == "" {
		return ""
	}
	switch whole {
	case "", "+":
		return "0"
	case "-":
		return "0"
	}
	n, err := strconv.ParseInt(whole, 10, 32)
	if err != nil {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func noQuotes(s string) string { return strings.ReplaceAll(s, `"`, "") }

// readCSV streams the rows of path, with the columns named in cols picked by
// the header.
func readCSV(path string, cols []string, fn func([]string)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("expected outputs: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = slices.Index(header, c)
		if idx[i] < 0 {
			return fmt.Errorf("%s: header %q lacks column %s", path, strings.Join(header, ","), c)
		}
	}
	picked := make([]string, len(cols))
	for line := 2; ; line++ {
		row, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for i, j := range idx {
			if j >= len(row) {
				return fmt.Errorf("%s line %d: %d fields, want at least %d", path, line, len(row), j+1)
			}
			picked[i] = row[j]
		}
		fn(picked)
	}
}
