package integration_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
	"github.com/mldatalake/mldatalake/pipeline"
)

// ownSQL writes the built-in transform into a folder with the etl-sql
// command, upper-cases the titles in its movies_new script, and adds the
// checks given (file name → query).
func ownSQL(t *testing.T, checks map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mysql")
	code, out := lake(t, t.Context(), "etl-sql", map[string]string{"PIPELINE_ETL_SQL": dir, "OUT_DIR": t.TempDir()})
	if code != 0 {
		t.Fatalf("etl-sql: exit %d\n%s", code, out)
	}
	movies := filepath.Join(dir, "20_movies_new.sql")
	b, err := os.ReadFile(movies)
	if err != nil {
		t.Fatalf("etl-sql wrote no %s:\n%s", movies, out)
	}
	changed := strings.Replace(string(b), "unquote(title) AS title", "upper(unquote(title)) AS title", 1)
	if changed == string(b) {
		t.Fatal("the built-in movies_new script no longer selects unquote(title) AS title")
	}
	if err := os.WriteFile(movies, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "checks"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, q := range checks {
		if err := os.WriteFile(filepath.Join(dir, "checks", name), []byte(q), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Checks that hold for the upper-cased transform: every title is upper
// case, and every movie of movies_t (a catalog table) is in movies_new.
var holdingChecks = map[string]string{
	"titles_upper.sql": "-- the transform upper-cases every title\nSELECT movieid, title FROM movies_new WHERE title <> upper(title)\n",
	"movies_complete.sql": `SELECT m.movieid FROM movies_t AS m
WHERE NOT EXISTS (SELECT 1 FROM movies_new AS n WHERE n.movieid = m.movieid)`,
}

// TestOwnTransformPasses: an e2e with PIPELINE_ETL_SQL pointing at a changed
// transform and checks that hold passes; verify runs the checks and the
// structural assertions but not the built-in transform's expected
// contents, and the published titles are upper case.
func TestOwnTransformPasses(t *testing.T) {
	dir := ownSQL(t, holdingChecks)
	out := t.TempDir()
	vars := map[string]string{"OUT_DIR": out, "FIXTURE_SCALE": "tiny", "PIPELINE_ETL_SQL": dir}
	code, printed := lake(t, t.Context(), "e2e", vars)
	if code != 0 {
		t.Fatalf("e2e with its own SQL: exit %d\n%s", code, printed)
	}
	rep := readRunReport(t, out)
	got := map[string]bool{}
	for _, a := range rep.Verify.Assertions {
		got[a.Name] = a.Passed
	}
	for _, name := range []string{"checks/titles_upper.sql", "checks/movies_complete.sql", "movies_new/header", "movies_new/sorted", "counts/rating_new rows", "counts/movies_new rows"} {
		if passed, ran := got[name]; !ran || !passed {
			t.Errorf("assertion %s: ran %v, passed %v", name, ran, passed)
		}
	}
	if _, ran := got["movies_new/contents"]; ran {
		t.Error("the built-in transform's expected contents were checked against a transform of one's own")
	}
	titles := readColumn(t, rep.Outputs[pipeline.MoviesNew], "title")
	if len(titles) == 0 {
		t.Fatal("movies_new is empty")
	}
	for _, title := range titles {
		if title != strings.ToUpper(title) {
			t.Errorf("published title %q is not upper case", title)
		}
	}
	if rep.Train == nil || rep.Train.RMSE == 0 {
		t.Errorf("train did not run after verify: %+v", rep.Train)
	}
}

// TestOwnCheckFails: the same transform with a check that does not hold
// fails the run, naming the check and showing its first rows; nothing is
// published and train does not run.
func TestOwnCheckFails(t *testing.T) {
	checks := map[string]string{
		"titles_keep_case.sql": "SELECT movieid, title FROM movies_new WHERE title = upper(title) ORDER BY movieid::INTEGER",
	}
	for k, v := range holdingChecks {
		checks[k] = v
	}
	dir := ownSQL(t, checks)
	out := t.TempDir()
	vars := map[string]string{"OUT_DIR": out, "FIXTURE_SCALE": "tiny", "PIPELINE_ETL_SQL": dir}
	code, printed := lake(t, t.Context(), "e2e", vars)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, printed)
	}
	rep := readRunReport(t, out)
	var failed []string
	for _, a := range rep.Verify.Failed() {
		failed = append(failed, a.Name)
	}
	if strings.Join(failed, ",") != "checks/titles_keep_case.sql" {
		t.Errorf("failed assertions %v, want only checks/titles_keep_case.sql", failed)
	}
	// The summary names the check, how many rows it returned and the first
	// of them (tiny has 10 movies; movieid 1 is the first).
	for _, want := range []string{"FAIL checks/titles_keep_case.sql: titles_keep_case.sql returned 10 rows, want none; the first 5:", "movieid  title"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the run's output lacks %q:\n%s", want, printed)
		}
	}
	// The first row shown is movie 1, with its title as the transform made it.
	ids := readColumn(t, filepath.Join("testdata", "movies_new.csv.golden"), "movieid")
	titles := readColumn(t, filepath.Join("testdata", "movies_new.csv.golden"), "title")
	if want := "    " + ids[0] + "        " + strings.ToUpper(titles[0]); !strings.Contains(printed, want) {
		t.Errorf("the run's output lacks the first row %q:\n%s", want, printed)
	}
	if exists(filepath.Join(out, orchestrate.TrainingDir)) {
		t.Error("a run whose check failed published training data")
	}
	if rep.Train != nil {
		t.Error("train ran after a failed verify")
	}
}

// readColumn reads the column called name of a CSV file with a header.
func readColumn(t *testing.T, path, name string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == name {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s has no column %s", path, name)
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[col])
	}
	return out
}
