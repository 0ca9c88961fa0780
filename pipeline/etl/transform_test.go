package etl

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// input is a hand-made input of the job: DynamoDB items per label and
// stream objects (plain content) per S3 URI.
type input struct {
	ratings, movies, links []map[string]types.AttributeValue
	stream                 map[string]string
}

// result is what the job wrote locally.
type result struct {
	files  map[string]string // output name (or "_rejects") -> CSV text
	counts counts
}

// item makes a DynamoDB item of S attributes from name, value pairs.
func item(kv ...string) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = &types.AttributeValueMemberS{Value: kv[i+1]}
	}
	return m
}

// itemColumns is what the crawler would catalog for items: lower-cased
// attribute names, sorted.
func itemColumns(items []map[string]types.AttributeValue) []datacatalog.Column {
	var names []string
	for _, it := range items {
		for k := range it {
			if n := strings.ToLower(k); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	cols := make([]datacatalog.Column, len(names))
	for i, n := range names {
		cols[i] = datacatalog.Column{Name: n, Type: "string"}
	}
	return cols
}

func newTestJob(tb testing.TB) *job {
	tb.Helper()
	j, err := newJob(tb.Context(), tb.TempDir(), DefaultMemoryLimit, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := j.close(); err != nil {
			tb.Error(err)
		}
	})
	return j
}

// runInput runs the job's DuckDB part (staging through the Appender and
// from local files, the SQL transforms, the CSV files) on in.
func runInput(tb testing.TB, in input) result {
	tb.Helper()
	res, err := runScripts(tb, in, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// runScripts is runInput with a transform of its own (nil: the built-in),
// returning the transform's error.
func runScripts(tb testing.TB, in input, scripts []Script) (result, error) {
	tb.Helper()
	ctx := tb.Context()
	j := newTestJob(tb)
	if scripts != nil {
		j.scripts = scripts
	}
	for _, src := range []struct {
		label, table string
		items        []map[string]types.AttributeValue
	}{
		{labelRatings, "ratings_t", in.ratings},
		{labelMovies, "movies_t", in.movies},
		{labelLinks, "links_t", in.links},
	} {
		cols := stagingColumns(datacatalog.Table{Columns: itemColumns(src.items)}, required[src.label])
		if err := j.addSource(ctx, src.label, src.table, "arn:aws:dynamodb:us-east-1:000000000000:table/"+src.table); err != nil {
			tb.Fatal(err)
		}
		if err := j.createStaging(ctx, src.label, cols); err != nil {
			tb.Fatal(err)
		}
		pages := make(chan []map[string]types.AttributeValue, 2)
		// Two pages, as a scan would deliver them.
		half := len(src.items) / 2
		pages <- src.items[:half]
		pages <- src.items[half:]
		close(pages)
		n, err := j.appendItems(ctx, src.label, cols, pages)
		if err != nil {
			tb.Fatal(err)
		}
		if n != int64(len(src.items)) {
			tb.Fatalf("appended %d %s items, want %d", n, src.label, len(src.items))
		}
	}
	if err := j.addSource(ctx, labelStream, "firehose", "s3://ml-data-lake/firehose/"); err != nil {
		tb.Fatal(err)
	}
	var files []stagedFile
	uris := make([]string, 0, len(in.stream))
	for u := range in.stream {
		uris = append(uris, u)
	}
	sort.Strings(uris)
	sdir := filepath.Join(j.dir, "stream")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for i, u := range uris {
		p := filepath.Join(sdir, fmt.Sprintf("%06d.json", i))
		if err := os.WriteFile(p, []byte(in.stream[u]), 0o644); err != nil {
			tb.Fatal(err)
		}
		files = append(files, stagedFile{Path: p, URI: u})
	}
	if err := j.loadStream(ctx, files); err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(j.dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		tb.Fatal(err)
	}
	c, err := j.transform(ctx, out)
	if err != nil {
		return result{}, err
	}
	res := result{files: map[string]string{}, counts: c}
	for _, name := range append(slices.Clone(Outputs), "_rejects") {
		b, err := os.ReadFile(filepath.Join(out, name+".csv"))
		if os.IsNotExist(err) && name == "_rejects" {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		res.files[name] = string(b)
	}
	return res, nil
}

func TestSparkInt(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(t.Context(), script(t, "00_setup.sql")); err != nil {
		t.Fatal(err)
	}
	// Spark's CAST(s AS INTEGER) in non-ANSI mode; nil is NULL.
	tests := []struct {
		in   *string
		want *int64
	}{
		{ptr("1"), ptr[int64](1)},
		{ptr("0114709"), ptr[int64](114709)},
		{ptr(" 3 "), ptr[int64](3)},
		{ptr("\t42\n"), ptr[int64](42)},
		{ptr("+5"), ptr[int64](5)},
		{ptr("-7"), ptr[int64](-7)},
		{ptr("12.7"), ptr[int64](12)}, // truncated, where DuckDB's TRY_CAST rounds to 13
		{ptr("12."), ptr[int64](12)},
		{ptr("2147483647"), ptr[int64](2147483647)},
		{ptr("2147483648"), nil}, // out of INTEGER's range
		{ptr("1e3"), nil},        // DuckDB's TRY_CAST gives 1000
		{ptr("abc"), nil},
		{ptr(""), nil},
		{ptr("1 2"), nil},
		{ptr("12.x"), nil},
		{ptr(`"5"`), nil},
		{nil, nil},
	}
	for _, tt := range tests {
		name := "NULL"
		if tt.in != nil {
			name = fmt.Sprintf("%q", *tt.in)
		}
		t.Run(name, func(t *testing.T) {
			var got sql.NullInt64
			if err := conn.QueryRowContext(t.Context(), `SELECT spark_int(?::VARCHAR)`, tt.in).Scan(&got); err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && got.Valid:
				t.Errorf("spark_int(%s) = %d, want NULL", name, got.Int64)
			case tt.want != nil && (!got.Valid || got.Int64 != *tt.want):
				t.Errorf("spark_int(%s) = %v, want %d", name, got, *tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestTransforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   input
		// want maps an output (or "_rejects") to its whole CSV text.
		want         map[string]string
		wantRead     map[string]int64
		wantRejected map[string]int64
	}{
		{
			name: "empty inputs give header-only files",
			want: map[string]string{
				"rating_new": "userid,movieid,rating,timestamp_c\n",
				"movies_new": "movieid,title,genres\n",
				"links_new":  "movieid,imdbid,tmdbid\n",
			},
			wantRead: map[string]int64{labelRatings: 0, labelStream: 0},
		},
		{
			name: "union is positional under ratings_t's header and sorted by userid then movieid",
			in: input{
				ratings: []map[string]types.AttributeValue{
					item("userId", "10", "movieId", "1", "rating", "5.0", "timestamp_c", "100"),
					item("userId", "2", "movieId", "30", "rating", "4.0", "timestamp_c", "101"),
				},
				stream: map[string]string{
					"s3://b/firehose/a": `{"userid":"2","movieid":"4","ratingid":"3.0","timestamp":"200"}` + "\n" +
						`{"userid":"9","movieid":"1","ratingid":"1.5","timestamp":"201"}` + "\n",
				},
			},
			want: map[string]string{
				"rating_new": "userid,movieid,rating,timestamp_c\n" +
					"2,4,3.0,200\n" +
					"2,30,4.0,101\n" +
					"9,1,1.5,201\n" +
					"10,1,5.0,100\n",
			},
			wantRead: map[string]int64{labelRatings: 2, labelStream: 2},
		},
		{
			name: "double quotes removed from timestamp_c, title, genres and tmdbid only",
			in: input{
				ratings: []map[string]types.AttributeValue{
					item("userId", "1", "movieId", "1", "rating", `"3.0"`, "timestamp_c", `"1112484727"`),
				},
				movies: []map[string]types.AttributeValue{
					item("movieId", "1", "title", `"Great Performances" Cats (1998)`, "genres", `Musical|"Drama"`),
				},
				links: []map[string]types.AttributeValue{
					item("movieId", "1", "imdbId", `"0114709"`, "tmdbId", `"862"`),
				},
				stream: map[string]string{
					"s3://b/firehose/a": `{"userid":"2","movieid":"1","ratingid":"4.0","timestamp":"\"15\""}` + "\n",
				},
			},
			want: map[string]string{
				// rating and the stream's timestamp keep their quotes, written
				// RFC 4180 style: quoted, inner quotes doubled.
				"rating_new": "userid,movieid,rating,timestamp_c\n" +
					`1,1,"""3.0""",1112484727` + "\n" +
					`2,1,4.0,"""15"""` + "\n",
				"movies_new": "movieid,title,genres\n1,Great Performances Cats (1998),Musical|Drama\n",
				"links_new":  "movieid,imdbid,tmdbid\n" + `1,"""0114709""",862` + "\n",
			},
		},
		{
			name: "text kept exactly, empty and absent values stay empty",
			in: input{
				movies: []map[string]types.AttributeValue{
					item("movieId", "2", "title", "Jumanji (1995)"), // no genres: NULL
					item("movieId", "3", "title", "", "genres", "Comedy"),
				},
				links: []map[string]types.AttributeValue{
					item("movieId", "1", "imdbId", "0114709", "tmdbId", "862"),
					item("movieId", "2", "imdbId", "0113497"), // tmdbId absent: DMS dropped the NULL
					item("movieId", "3", "imdbId", "0113228", "tmdbId", ""),
				},
				ratings: []map[string]types.AttributeValue{
					item("userId", "1", "movieId", "1", "rating", "3.0", "timestamp_c", "0964982703"),
				},
			},
			want: map[string]string{
				"rating_new": "userid,movieid,rating,timestamp_c\n1,1,3.0,0964982703\n",
				// NULL is an empty field; an empty string is "" as Spark writes it.
				"movies_new": "movieid,title,genres\n2,Jumanji (1995),\n3,\"\",Comedy\n",
				"links_new":  "movieid,imdbid,tmdbid\n1,0114709,862\n2,0113497,\n3,0113228,\"\"\n",
			},
		},
		{
			name: "RFC 4180 quoting of commas, quotes and line breaks",
			in: input{
				movies: []map[string]types.AttributeValue{
					item("movieId", "11", "title", "American President, The (1995)", "genres", "Comedy|Drama|Romance"),
					item("movieId", "12", "title", "Two\nLines", "genres", "Drama"),
					item("movieId", "10", "title", "Misérables, Les (1995)", "genres", "Drama|War"),
				},
				stream: map[string]string{
					"s3://b/firehose/a": `{"userid":"1","movieid":"1","ratingid":"4,5","timestamp":"say \"hi\""}` + "\n",
				},
			},
			want: map[string]string{
				"movies_new": "movieid,title,genres\n" +
					"10,\"Misérables, Les (1995)\",Drama|War\n" +
					"11,\"American President, The (1995)\",Comedy|Drama|Romance\n" +
					"12,\"Two\nLines\",Drama\n",
				"rating_new": "userid,movieid,rating,timestamp_c\n" + `1,1,"4,5","say ""hi"""` + "\n",
			},
		},
		{
			name: "null filter drops non-integer and missing ids and keeps them as rejects",
			in: input{
				ratings: []map[string]types.AttributeValue{
					item("Id", "1", "userId", "abc", "movieId", "1", "rating", "1.0", "timestamp_c", "1"),
					item("Id", "2", "movieId", "1", "rating", "2.0", "timestamp_c", "2"),
					item("Id", "3", "userId", "3", "movieId", "foo", "rating", "3.0", "timestamp_c", "3"),
					item("Id", "4", "userId", "4", "movieId", "4", "rating", "4.0", "timestamp_c", "4"),
					item("Id", "5", "userId", "3", "movieId", "2", "rating", "1.0", "timestamp_c", "5"),
				},
				movies: []map[string]types.AttributeValue{
					item("movieId", "x", "title", "t", "genres", "g"),
					item("movieId", "1", "title", "t", "genres", "g"),
				},
				links: []map[string]types.AttributeValue{
					item("movieId", "9.5.1", "imdbId", "1"),
				},
				stream: map[string]string{
					"s3://b/firehose/a": "{broken\n\n[1,2]\n" +
						`{"movieid":"1","ratingid":"1.0","timestamp":"1"}` + "\n" +
						`{"userid":"5","movieid":"5","ratingid":"5.0","timestamp":"5"}`, // no final newline
				},
			},
			want: map[string]string{
				// movieid "foo" is NULL but the filter is on userid: kept, sorted first.
				"rating_new": "userid,movieid,rating,timestamp_c\n3,,3.0,3\n3,2,1.0,5\n4,4,4.0,4\n5,5,5.0,5\n",
				"movies_new": "movieid,title,genres\n1,t,g\n",
				"links_new":  "movieid,imdbid,tmdbid\n",
				"_rejects": "output,source,origin,reason,record\n" +
					`links_new,links_t,arn:aws:dynamodb:us-east-1:000000000000:table/links_t,movieid is not an integer,"{""imdbid"":""1"",""movieid"":""9.5.1"",""tmdbid"":null}"` + "\n" +
					`movies_new,movies_t,arn:aws:dynamodb:us-east-1:000000000000:table/movies_t,movieid is not an integer,"{""genres"":""g"",""movieid"":""x"",""title"":""t""}"` + "\n" +
					`rating_new,firehose,s3://b/firehose/a:1,malformed JSON record,{broken` + "\n" +
					`rating_new,firehose,s3://b/firehose/a:3,malformed JSON record,"[1,2]"` + "\n" +
					`rating_new,firehose,s3://b/firehose/a:4,userid missing,"{""movieid"":""1"",""ratingid"":""1.0"",""timestamp"":""1""}"` + "\n" +
					`rating_new,ratings_t,arn:aws:dynamodb:us-east-1:000000000000:table/ratings_t,userid is not an integer,"{""id"":""1"",""movieid"":""1"",""rating"":""1.0"",""timestamp_c"":""1"",""userid"":""abc""}"` + "\n" +
					`rating_new,ratings_t,arn:aws:dynamodb:us-east-1:000000000000:table/ratings_t,userid missing,"{""id"":""2"",""movieid"":""1"",""rating"":""2.0"",""timestamp_c"":""2"",""userid"":null}"` + "\n",
			},
			wantRead:     map[string]int64{labelRatings: 5, labelMovies: 2, labelLinks: 1, labelStream: 4},
			wantRejected: map[string]int64{labelRatings: 2, labelMovies: 1, labelLinks: 1, labelStream: 3},
		},
		{
			name: "mixed-case JSON keys and N attributes",
			in: input{
				ratings: []map[string]types.AttributeValue{{
					"userId":      &types.AttributeValueMemberN{Value: "4"},
					"movieId":     &types.AttributeValueMemberN{Value: "1"},
					"rating":      &types.AttributeValueMemberN{Value: "4.5"},
					"timestamp_c": &types.AttributeValueMemberN{Value: "1112484733"},
				}},
				stream: map[string]string{
					"s3://b/firehose/a": `{"UserId":"7","MOVIEID":"50","RatingId":"5.0","Timestamp":"9"}` + "\n",
				},
			},
			want: map[string]string{
				"rating_new": "userid,movieid,rating,timestamp_c\n4,1,4.5,1112484733\n7,50,5.0,9\n",
			},
		},
		{
			name: "ties on the sort keys are broken by the later columns",
			in: input{
				ratings: []map[string]types.AttributeValue{
					item("userId", "1", "movieId", "1", "rating", "4.0", "timestamp_c", "2"),
					item("userId", "1", "movieId", "1", "rating", "2.0", "timestamp_c", "3"),
				},
				links: []map[string]types.AttributeValue{
					item("movieId", "1", "imdbId", "b", "tmdbId", "2"),
					item("movieId", "01", "imdbId", "a", "tmdbId", "1"),
				},
				stream: map[string]string{
					"s3://b/firehose/a": `{"userid":"1","movieid":"1","ratingid":"2.0","timestamp":"1"}` + "\n",
				},
			},
			want: map[string]string{
				"rating_new": "userid,movieid,rating,timestamp_c\n1,1,2.0,1\n1,1,2.0,3\n1,1,4.0,2\n",
				"links_new":  "movieid,imdbid,tmdbid\n1,a,1\n1,b,2\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runInput(t, tt.in)
			for name, want := range tt.want {
				if got := res.files[name]; got != want {
					t.Errorf("%s:\n--- got\n%s--- want\n%s", name, got, want)
				}
			}
			if _, want := tt.want["_rejects"]; !want && tt.wantRejected == nil {
				if got, ok := res.files["_rejects"]; ok {
					t.Errorf("unexpected rejects:\n%s", got)
				}
			}
			for label, want := range tt.wantRead {
				if got := res.counts.read[label]; got != want {
					t.Errorf("read %s = %d, want %d", label, got, want)
				}
			}
			for label, want := range tt.wantRejected {
				if got := res.counts.rejected[label]; got != want {
					t.Errorf("rejected %s = %d, want %d", label, got, want)
				}
			}
			// Every row read is written or rejected.
			for _, o := range outputs {
				var in, rej int64
				for _, l := range o.inputs {
					in += res.counts.read[l]
					rej += res.counts.rejected[l]
				}
				if got := res.counts.written[o.name]; got != in-rej {
					t.Errorf("%s: %d rows written, want read %d - rejected %d", o.name, got, in, rej)
				}
				records, err := csv.NewReader(strings.NewReader(res.files[o.name])).ReadAll()
				if err != nil {
					t.Fatalf("%s: %v", o.name, err)
				}
				if got := int64(len(records) - 1); got != res.counts.written[o.name] {
					t.Errorf("%s: %d records after the header, counted %d rows", o.name, got, res.counts.written[o.name])
				}
			}
		})
	}
}

// TestGoldenTiny runs the DuckDB part of the job on testdata/tiny and
// compares the three outputs and the rejects with testdata/*.golden.
// Refresh with: go test ./pipeline/etl -run Golden -update
func TestGoldenTiny(t *testing.T) {
	t.Parallel()
	fx := LoadFixture(t, filepath.Join("testdata", "tiny"))
	in := input{
		ratings: fx.Items["ratings_t"],
		movies:  fx.Items["movies_t"],
		links:   fx.Items["links_t"],
		stream:  map[string]string{},
	}
	for _, k := range fx.Keys {
		r, _, err := pipeline.Decompress(strings.NewReader(string(fx.Objects[k])))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		in.stream["s3://ml-data-lake/"+k] = string(b)
	}
	res := runInput(t, in)
	for _, name := range Outputs {
		Golden(t, name+".csv", []byte(res.files[name]))
	}
	Golden(t, "rejects.csv", []byte(res.files["_rejects"]))
}

func TestCheckColumns(t *testing.T) {
	t.Parallel()
	links := datacatalog.Table{Name: "links_t", RecordCount: 3, Columns: []datacatalog.Column{{Name: "imdbid"}, {Name: "movieid"}}}
	err := checkColumns(links, required[labelLinks])
	if err == nil || !strings.Contains(err.Error(), "links_t has no column tmdbid (it has imdbid, movieid)") {
		t.Errorf("checkColumns = %v, want the missing tmdbid named", err)
	}
	links.RecordCount = 0
	if err := checkColumns(links, required[labelLinks]); err != nil {
		t.Errorf("empty table: checkColumns = %v, want nil", err)
	}
	got := stagingColumns(links, required[labelLinks])
	if want := []string{"imdbid", "movieid", "tmdbid"}; !slices.Equal(got, want) {
		t.Errorf("stagingColumns = %v, want %v", got, want)
	}
}

func TestAppendItemsStopsOnCancel(t *testing.T) {
	t.Parallel()
	j := newTestJob(t)
	cols := []string{"movieid", "title", "genres"}
	if err := j.createStaging(t.Context(), labelMovies, cols); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	pages := make(chan []map[string]types.AttributeValue) // never sent on
	if _, err := j.appendItems(ctx, labelMovies, cols, pages); err == nil {
		t.Fatal("appendItems with a canceled context returned nil")
	}
}

func TestJobSpillsToWorkDir(t *testing.T) {
	t.Parallel()
	j := newTestJob(t)
	var got string
	if err := j.conn.QueryRowContext(t.Context(), `SELECT current_setting('temp_directory')`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(j.dir, "duckdb.tmp"); got != want {
		t.Errorf("temp_directory = %q, want %q", got, want)
	}
}

func TestBadMemoryLimit(t *testing.T) {
	t.Parallel()
	_, err := newJob(t.Context(), t.TempDir(), "lots", slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), `memory_limit "lots"`) {
		t.Errorf("err = %v, want one naming the memory limit", err)
	}
}
