package orchestrate

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

func TestReportFiles(t *testing.T) {
	t.Parallel()
	rep := &Report{
		Target: "embedded", Dataset: "generated tiny (seed 2)",
		Stages: []StageResult{{Report: pipeline.Report{Stage: "migrate", Read: 20, Written: 19, Rejected: 1, Duration: 2 * time.Second}, Seconds: 2}},
		Verify: &verify.Result{Assertions: []verify.Assertion{
			{Name: "rating_new/header", Passed: true},
			{Name: "rating_new/sorted", Message: "part-0.csv row 3 column userid: 1 after 2: not sorted\nmore"},
		}},
		Error: "verify: 1 assertions failed", Status: StatusFailed,
	}
	dir := t.TempDir()
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, b)
	}
	if len(suites.Suites) != 2 {
		t.Fatalf("%d suites, want stages and verify", len(suites.Suites))
	}
	v := suites.Suites[1]
	if v.Tests != 2 || v.Failures != 1 || v.Cases[1].Failure == nil || v.Cases[1].Failure.Message != "part-0.csv row 3 column userid: 1 after 2: not sorted" {
		t.Errorf("verify suite %+v: want 2 tests, the sorted one failing with its first line as message", v)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
		t.Error(err)
	}

	var sum bytes.Buffer
	rep.WriteSummary(&sum)
	for _, want := range []string{"migrate", "20", "19", "FAIL rating_new/sorted", "FAILED: verify: 1 assertions failed"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

// TestJUnitFailedStage: a stage that failed is a failing case of its own
// (no passing case for it, no extra "run" case), and times have three
// decimals.
func TestJUnitFailedStage(t *testing.T) {
	t.Parallel()
	rep := &Report{Status: StatusFailed, Error: "migrate: validate movies_t: 5 rows, 4 items"}
	rep.setStage(pipeline.Report{Stage: "seed", Duration: 3150621673 * time.Nanosecond}, nil)
	rep.setStage(pipeline.Report{Stage: "migrate", Duration: 40 * time.Nanosecond}, errors.New("validate movies_t: 5 rows, 4 items\nmore"))
	b := rep.junit()
	var suites junitSuites
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, b)
	}
	st := suites.Suites[0]
	if st.Tests != 2 || st.Failures != 1 || len(st.Cases) != 2 {
		t.Fatalf("stages suite %+v: want seed passing and migrate failing, nothing else", st)
	}
	if c := st.Cases[1]; c.Name != "migrate" || c.Failure == nil || c.Failure.Message != "validate movies_t: 5 rows, 4 items" {
		t.Errorf("migrate case %+v", c)
	}
	for _, want := range []string{`time="3.151"`, `time="0.000"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("junit.xml lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "e-") || strings.Contains(string(b), "3.1506") {
		t.Errorf("junit.xml has unrounded times:\n%s", b)
	}
}
