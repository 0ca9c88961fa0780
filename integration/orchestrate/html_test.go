package orchestrate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/train"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// TestHTMLFailedRun: the page of a run that failed in etl says so, draws
// the stages after it as not run, shows no data and no model, and escapes
// what it shows.
func TestHTMLFailedRun(t *testing.T) {
	t.Parallel()
	rep := &Report{RunID: "r1", Target: "embedded", Dataset: "generated tiny (seed 2)", Started: time.Now(),
		Status: StatusFailed, Error: "etl: run 20_movies_new.sql: <syntax error>"}
	rep.setStage(pipeline.Report{Stage: "seed", Read: 46, Written: 42, Duration: time.Second}, nil)
	rep.setStage(pipeline.Report{Stage: "etl", Read: 40}, os.ErrInvalid)
	dir := t.TempDir()
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`<span class="badge fail" id="status">failed</span>`,
		`run 20_movies_new.sql: &lt;syntax error&gt;`,
		`<g class="stage ok" data-stage="seed">`, `<g class="stage fail" data-stage="etl">`, `<g class="stage skipped" data-stage="train">`,
		"in 46 rows", "No training data was published", "Verify has not run", "The train stage has not run",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "http://", "https://", "<link", "@import"} {
		if strings.Contains(page, banned) {
			t.Errorf("report.html contains %q: it must be self-contained", banned)
		}
	}
}

// TestHTMLModelAndData: the page shows the model's figures as report.json
// has them, the data's charts and a failed check's message.
func TestHTMLModelAndData(t *testing.T) {
	t.Parallel()
	rep := &Report{RunID: "r2", Status: StatusSucceeded, Succeeded: true, Started: time.Now(),
		Verify: &verify.Result{Assertions: []verify.Assertion{{Name: "checks/x.sql", Message: "x.sql returned 1 rows"}}},
		Data: &DataProfile{Ratings: 3, RatingValues: []Count{{"1.0", 1}, {"4.5", 2}}, PerUser: []Count{{"1", 1}, {"2–3", 1}},
			PerMovie: []Count{{"1", 3}}, Genres: []Count{{"Drama", 2}}, TopMovies: []TopMovie{{MovieID: "7", Title: "Heat & Dust (1983)", Ratings: 2, Mean: 3.25}}},
	}
	rep.setStage(pipeline.Report{Stage: "train", Read: 30, Written: 30, Tables: map[string]pipeline.TableCounts{"train": {Written: 27}, "validation": {Written: 3}},
		Metrics: map[string]float64{train.MetricRMSE: 0.91234, train.MetricBaselineRMSE: 1.05, train.MetricBiasRMSE: 0.91234, train.MetricHoldoutFrom: 1.4e9}}, nil)
	if rep.Train == nil || rep.Train.Validation != 3 || rep.Train.HoldoutFrom.Year() != 2014 {
		t.Fatalf("train summary %+v", rep.Train)
	}
	dir := t.TempDir()
	if err := rep.WriteHTML(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	page := string(b)
	for _, want := range []string{`<b id="rmse">0.9123</b>`, `<b id="baseline-rmse">1.0500</b>`, `data-chart="rating-values"`, `data-chart="ratings-per-user"`,
		`data-chart="ratings-per-movie"`, `data-chart="genres"`, `data-chart="rmse"`, `data-chart="timing"`, "Heat &amp; Dust (1983)", "x.sql returned 1 rows", "FAIL"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestDynamoJSON(t *testing.T) {
	t.Parallel()
	got := dynamoJSON(&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "1.50"}, &types.AttributeValueMemberNULL{Value: true}}},
		"s": &types.AttributeValueMemberSS{Value: []string{"a"}},
	}})
	want := `map[M:map[l:map[L:[map[N:1.50] map[NULL:true]]] s:map[SS:[a]]]]`
	if s := strings.TrimSpace(fmtValue(got)); s != want {
		t.Errorf("dynamoJSON = %s, want %s", s, want)
	}
}

func fmtValue(v any) string { return fmt.Sprint(v) }
