package etl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestBuiltinScripts(t *testing.T) {
	t.Parallel()
	var names []string
	for _, s := range BuiltinScripts() {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "00_setup.sql 10_rating_new.sql 20_movies_new.sql 30_links_new.sql" {
		t.Errorf("built-in scripts %s", got)
	}
}

// TestWriteBuiltinReadBack: the exported transform reads back as the
// built-in one; a folder with an edited file is not the built-in; writing
// over existing files is refused, naming them.
func TestWriteBuiltinReadBack(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mysql")
	paths, err := WriteBuiltin(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
		t.Errorf("wrote %v", paths)
	}
	// A check folder beside the scripts is not part of the transform.
	if err := os.MkdirAll(filepath.Join(dir, "checks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "checks", "x.sql"), []byte("SELECT 1 WHERE false"), 0o644); err != nil {
		t.Fatal(err)
	}
	scripts, err := ReadScripts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !IsBuiltin(scripts) {
		t.Error("the exported transform does not read back as the built-in")
	}
	if err := os.WriteFile(paths[2], []byte("-- changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if scripts, err = ReadScripts(dir); err != nil || IsBuiltin(scripts) {
		t.Errorf("an edited transform is taken for the built-in (%v)", err)
	}
	if _, err := WriteBuiltin(dir); err == nil || !strings.Contains(err.Error(), paths[0]) {
		t.Errorf("writing over existing files: %v", err)
	}
	for _, tc := range []struct{ name, dir, want string }{
		{"missing", filepath.Join(dir, "nope"), "no such file"},
		{"no sql", t.TempDir(), "no .sql files"},
		{"a file", paths[0], "not a folder"},
	} {
		if _, err := ReadScripts(tc.dir); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.dir) {
			t.Errorf("%s: ReadScripts(%s) = %v, want an error naming it and saying %q", tc.name, tc.dir, err, tc.want)
		}
	}
}

// withScript returns the built-in transform with the script called name
// replaced by sql (or removed, for "").
func withScript(name, sql string) []Script {
	var out []Script
	for _, s := range BuiltinScripts() {
		if s.Name == name {
			if sql == "" {
				continue
			}
			s.SQL = sql
		}
		out = append(out, s)
	}
	return out
}

// TestOwnTransform runs transforms other than the built-in on the same
// inputs: titles upper-cased, and rows dropped with a reject recorded;
// a script that fails or an output never written is an error naming it.
func TestOwnTransform(t *testing.T) {
	t.Parallel()
	in := input{
		movies: []map[string]types.AttributeValue{
			item("movieId", "2", "title", "Heat (1995)", "genres", "Action"),
			item("movieId", "1", "title", `Amélie "Le fabuleux" (2001)`, "genres", "Comedy"),
		},
		stream: map[string]string{
			"s3://b/firehose/a": `{"userid":"2","movieid":"4","ratingid":"3.0","timestamp":"200","eventid":"e1"}` + "\n" +
				`{"userid":"2","movieid":"4","ratingid":"3.0","timestamp":"200","eventid":"e1"}` + "\n",
		},
	}
	upper := strings.Replace(script(t, "20_movies_new.sql"), "unquote(title) AS title", "upper(unquote(title)) AS title", 1)
	res, err := runScripts(t, in, withScript("20_movies_new.sql", upper))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.files["movies_new"], "movieid,title,genres\n1,AMÉLIE LE FABULEUX (2001),Comedy\n2,HEAT (1995),Action\n"; got != want {
		t.Errorf("movies_new:\n%s\nwant:\n%s", got, want)
	}
	if res.counts.written["movies_new"] != 2 || res.counts.duplicates != 1 || res.counts.written["rating_new"] != 1 {
		t.Errorf("counts %+v", res.counts)
	}

	// A transform of one file that keeps movies from the 2000s only and
	// says why it dropped the others.
	own := []Script{{Name: "all.sql", SQL: `
		COPY (SELECT 1 AS userid, 1 AS movieid, '1.0' AS rating, '1' AS timestamp_c WHERE false) TO (getvariable('rating_new_csv')) (FORMAT csv, HEADER true);
		INSERT INTO rejects SELECT 'movies_new', 'movies', NULL, 'before 2000', to_json(m)::VARCHAR FROM src_movies AS m WHERE title NOT LIKE '%(20__)';
		COPY (SELECT movieid::INTEGER AS movieid, title, genres FROM src_movies WHERE title LIKE '%(20__)') TO (getvariable('movies_new_csv')) (FORMAT csv, HEADER true);
		COPY (SELECT 1 AS movieid, '1' AS imdbid, '' AS tmdbid WHERE false) TO (getvariable('links_new_csv')) (FORMAT csv, HEADER true);`}}
	res, err = runScripts(t, in, own)
	if err != nil {
		t.Fatal(err)
	}
	if res.counts.written["movies_new"] != 1 || res.counts.rejected[labelMovies] != 1 || !strings.Contains(res.files["_rejects"], "before 2000") {
		t.Errorf("counts %+v, rejects %q", res.counts, res.files["_rejects"])
	}

	for _, tc := range []struct {
		name    string
		scripts []Script
		want    string
	}{
		{"SQL error", withScript("30_links_new.sql", "SELECT nonsense FROM nowhere;"), "run 30_links_new.sql: "},
		{"output not written", withScript("30_links_new.sql", ""), "the transform wrote no links_new: its SQL must COPY it TO getvariable('links_new_csv')"},
	} {
		if _, err := runScripts(t, in, tc.scripts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

func script(tb testing.TB, name string) string {
	tb.Helper()
	for _, s := range BuiltinScripts() {
		if s.Name == name {
			return s.SQL
		}
	}
	tb.Fatalf("no built-in script %s", name)
	return ""
}
