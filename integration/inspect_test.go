package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeepStateAndShowCatalog: with PIPELINE_KEEP_STATE=1 an e2e run leaves
// its S3 objects, DynamoDB tables and delivered Firehose records under
// OUT_DIR/state; show-catalog prints the catalog it crawled, as Glue's
// console shows it, from OUT_DIR alone.
func TestKeepStateAndShowCatalog(t *testing.T) {
	out := t.TempDir()
	vars := map[string]string{"OUT_DIR": out, "FIXTURE_SCALE": "tiny", "PIPELINE_KEEP_STATE": "1"}
	code, printed := lake(t, t.Context(), "e2e", vars)
	if code != 0 {
		t.Fatalf("e2e: exit %d\n%s", code, printed)
	}
	rep := readRunReport(t, out)
	state := filepath.Join(out, "state")
	ratingsItems := readLines(t, filepath.Join(state, "dynamodb", "ratings_t.jsonl"))
	var migrated int64
	for _, st := range rep.Stages {
		if st.Stage == "migrate" {
			migrated = st.Tables["ratings_t"].Written
		}
	}
	if int64(len(ratingsItems)) != migrated || !strings.HasPrefix(ratingsItems[0], `{"Item":{`) || !strings.Contains(ratingsItems[0], `"userId":{"S":`) {
		t.Errorf("ratings_t.jsonl: %d lines (migrate wrote %d), first %q", len(ratingsItems), migrated, ratingsItems[0])
	}
	records := readLines(t, filepath.Join(state, "firehose", "gc_firehose.jsonl"))
	if len(records) != 4 || !strings.Contains(records[0], `"eventid"`) {
		t.Errorf("firehose records %q, want the tiny run's 4", records)
	}
	for _, f := range []string{"data/movies/movies.csv", "data/partial-load/ratings-partial-load.csv", "ml/trainingdata/sagemaker/train/train.csv"} {
		if !exists(filepath.Join(state, "s3", "ml-data-lake", filepath.FromSlash(f))) {
			t.Errorf("state/s3/ml-data-lake/%s is missing", f)
		}
	}
	if !strings.Contains(printed, "state kept in "+state) {
		t.Errorf("the run does not say where the state is:\n%s", printed)
	}

	code, shown := lake(t, t.Context(), "show-catalog", map[string]string{"OUT_DIR": out})
	if code != 0 {
		t.Fatalf("show-catalog: exit %d\n%s", code, shown)
	}
	words := strings.Join(strings.Fields(shown), " ")
	for _, want := range []string{"Databases Name Tables ml-data-lake 4", "Tables in ml-data-lake", "Table firehose Database ml-data-lake Location s3://ml-data-lake/firehose/ Classification json",
		"recordCount 4", "objectCount 1", "6 partition_0 string Partition (0)", "Table ratings_t", "typeOfData table", "4 timestamp_c string 5 userid string"} {
		if !strings.Contains(words, want) {
			t.Errorf("show-catalog lacks %q:\n%s", want, shown)
		}
	}
	code, shown = lake(t, t.Context(), "show-catalog", map[string]string{"OUT_DIR": t.TempDir()})
	if code == 0 || !strings.Contains(shown, "run the catalog stage") {
		t.Errorf("show-catalog without a catalog: exit %d\n%s", code, shown)
	}
	os.RemoveAll(state)
}
