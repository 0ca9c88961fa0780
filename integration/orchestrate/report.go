package orchestrate

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// Run statuses in Report.Status.
const (
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// Report is a run, as written to OUT_DIR/report.json: by e2e after every
// step, and by each single-stage target for its stage.
type Report struct {
	RunID    string        `json:"run_id"`
	Target   string        `json:"target"`
	Dataset  string        `json:"dataset"`
	Notes    []string      `json:"notes"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Seconds  float64       `json:"seconds"`
	// PeakRSSMiB is the process's peak resident memory over the run's
	// stages (Linux only).
	PeakRSSMiB float64        `json:"peak_rss_mib,omitempty"`
	Stages     []StageResult  `json:"stages"`
	Verify     *verify.Result `json:"verify,omitempty"`
	// VerifySeconds is how long verify took, checks included.
	VerifySeconds float64 `json:"verify_seconds,omitempty"`
	// VerifyPeakRSSMiB is the process's peak resident memory during verify
	// and the publishing of the outputs (Linux only).
	VerifyPeakRSSMiB float64 `json:"verify_peak_rss_mib,omitempty"`
	// Outputs are the published training CSVs by output name; empty unless
	// this run passed verify.
	Outputs map[string]string `json:"outputs,omitempty"`
	// Data describes the published outputs (for report.html); Train is the
	// train stage's model.
	Data  *DataProfile  `json:"data,omitempty"`
	Train *TrainSummary `json:"train,omitempty"`
	// Status is running, succeeded, failed or interrupted.
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	Succeeded bool   `json:"succeeded"`
}

// StageResult is one stage of a run: its report, its time in seconds and,
// when it failed, why.
type StageResult struct {
	pipeline.Report
	Seconds float64 `json:"seconds"`
	// PeakRSSMiB is the process's peak resident memory during the stage
	// (Linux only).
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"`
	// HeapLiveMiB is the Go heap live when the stage ended (after a
	// collection): the state the in-process emulators and servers hold,
	// which grows with the dataset.
	HeapLiveMiB float64 `json:"heap_live_mib,omitempty"`
	Error       string  `json:"error,omitempty"`
}

// units says what each stage counts, in and out.
var units = map[string]string{
	"seed": "rows", "migrate": "rows → items", "stage": "files", "stream": "records",
	"catalog": "records → tables", "etl": "rows", "train": "rows",
}

// stage returns the result of the stage called name, nil if it has not run.
func (r *Report) stage(name string) *StageResult {
	for i := range r.Stages {
		if r.Stages[i].Stage == name {
			return &r.Stages[i]
		}
	}
	return nil
}

// setStage records a stage's result, replacing an earlier one of the same
// stage, in pipeline order.
func (r *Report) setStage(rep pipeline.Report, err error) {
	res := StageResult{Report: rep, Seconds: seconds(rep.Duration), PeakRSSMiB: mib(peakRSS()), HeapLiveMiB: mib(heapLive())}
	r.PeakRSSMiB = max(r.PeakRSSMiB, res.PeakRSSMiB)
	if err != nil {
		res.Error = err.Error()
	}
	if rep.Stage == "train" {
		r.Train = nil
		if err == nil {
			r.Train = trainSummary(rep)
		}
	}
	if st := r.stage(rep.Stage); st != nil {
		*st = res
		return
	}
	r.Stages = append(r.Stages, res)
	order := map[string]int{}
	for i, name := range StageNames {
		order[name] = i
	}
	for i := len(r.Stages) - 1; i > 0 && order[r.Stages[i].Stage] < order[r.Stages[i-1].Stage]; i-- {
		r.Stages[i], r.Stages[i-1] = r.Stages[i-1], r.Stages[i]
	}
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// WriteStages prints stage results as the summary's table.
func WriteStages(w io.Writer, stages ...StageResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tin\tout\trejected\tretried\tseconds\t\tcounted in")
	for _, s := range stages {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t\t%s\n", s.Stage, thousands(s.Read), thousands(s.Written),
			thousands(s.Rejected), thousands(s.Retried), s.Seconds, units[s.Stage])
	}
	tw.Flush()
}

// WriteSummary prints what people read at the end of a run.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "\nPipeline summary (run %s, target %s, dataset %s)\n", r.RunID, r.Target, r.Dataset)
	WriteStages(w, r.Stages...)
	if st := r.stage("stream"); st != nil {
		if d, ok := st.Tables["delivered"]; ok {
			fmt.Fprintf(w, "stream: %s produced, %s delivered once or more, %s duplicate deliveries removed by the ETL, %s resent\n",
				thousands(d.Read), thousands(d.Written), thousands(d.Duplicates), thousands(d.Resent))
		}
	}
	for _, st := range r.Stages {
		if st.Error != "" {
			fmt.Fprintf(w, "%s failed: %s\n", st.Stage, firstLine(st.Error))
		}
	}
	if r.Verify != nil {
		failed := r.Verify.Failed()
		fmt.Fprintf(w, "verify: %d assertions, %d failed\n", len(r.Verify.Assertions), len(failed))
		for _, a := range failed {
			fmt.Fprintf(w, "  FAIL %s: %s\n", a.Name, a.Message)
		}
	}
	for _, name := range []string{pipeline.RatingNew, pipeline.MoviesNew, pipeline.LinksNew} {
		if f, ok := r.Outputs[name]; ok {
			fmt.Fprintf(w, "output %-10s %s\n", name, f)
		}
	}
	r.writeTrainSummary(w)
	status := "OK"
	switch {
	case r.Status == StatusInterrupted:
		status = "INTERRUPTED: no training data published"
	case !r.Succeeded:
		status = "FAILED: " + r.Error + "; no training data published"
	}
	fmt.Fprintf(w, "total %.2fs  %s\n", r.Seconds, status)
}

// WriteFiles writes report.json and junit.xml into dir, each replaced whole.
func (r *Report) WriteFiles(dir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "report.json"), append(b, '\n')); err != nil {
		return fmt.Errorf("write report.json: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "junit.xml"), r.junit()); err != nil {
		return fmt.Errorf("write junit.xml: %w", err)
	}
	if err := r.WriteHTML(dir); err != nil {
		return fmt.Errorf("write %s: %w", HTMLFile, err)
	}
	return nil
}

// readReport reads dir/report.json strictly; a missing file is (nil, nil).
func readReport(dir string) (*Report, error) {
	path := filepath.Join(dir, "report.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	return &r, nil
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     junitTime   `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      junitTime     `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// junitTime is seconds with three decimals, as JUnit readers expect.
type junitTime float64

func (t junitTime) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: strconv.FormatFloat(float64(t), 'f', 3, 64)}, nil
}

func (t *junitTime) UnmarshalXMLAttr(a xml.Attr) error {
	f, err := strconv.ParseFloat(a.Value, 64)
	*t = junitTime(f)
	return err
}

// junit renders the stages and the verify assertions as JUnit XML: a stage
// that failed is a failed case, and so is each failed assertion; a failure
// outside any stage (publishing the outputs) is a failed case "publish".
func (r *Report) junit() []byte {
	stages := junitSuite{Name: "pipeline.stages"}
	for _, s := range r.Stages {
		c := junitCase{Name: s.Stage, Classname: "pipeline", Time: junitTime(s.Seconds)}
		if s.Error != "" {
			c.Failure = &junitFailure{Message: firstLine(s.Error), Text: s.Error}
		}
		stages.Cases = append(stages.Cases, c)
		stages.Time += junitTime(s.Seconds)
	}
	if r.Status != StatusRunning && !r.Succeeded && r.Error != "" && !r.stageFailed() && r.Verify == nil {
		stages.Cases = append(stages.Cases, junitCase{Name: "publish", Classname: "pipeline",
			Failure: &junitFailure{Message: firstLine(r.Error), Text: r.Error}})
	}
	suites := junitSuites{Suites: []junitSuite{stages}}
	if r.Verify != nil {
		v := junitSuite{Name: "pipeline.verify"}
		for _, a := range r.Verify.Assertions {
			c := junitCase{Name: a.Name, Classname: "verify", Time: junitTime(seconds(a.Elapsed))}
			if !a.Passed {
				c.Failure = &junitFailure{Message: firstLine(a.Message), Text: a.Message}
			}
			v.Cases = append(v.Cases, c)
			v.Time += junitTime(seconds(a.Elapsed))
		}
		suites.Suites = append(suites.Suites, v)
	}
	for i := range suites.Suites {
		s := &suites.Suites[i]
		s.Tests = len(s.Cases)
		for _, c := range s.Cases {
			if c.Failure != nil {
				s.Failures++
			}
		}
	}
	b, _ := xml.MarshalIndent(suites, "", "  ")
	return append([]byte(xml.Header), append(b, '\n')...)
}

func (r *Report) stageFailed() bool {
	for _, s := range r.Stages {
		if s.Error != "" {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
