package orchestrate

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// Report is the whole run, as written to OUT_DIR/report.json.
type Report struct {
	Target    string            `json:"target"`
	Dataset   string            `json:"dataset"`
	Notes     []string          `json:"notes"`
	Started   time.Time         `json:"started"`
	Duration  time.Duration     `json:"duration_ns"`
	Stages    []pipeline.Report `json:"stages"`
	Verify    *verify.Result    `json:"verify,omitempty"`
	Outputs   map[string]string `json:"outputs,omitempty"` // output name → exported file
	Error     string            `json:"error,omitempty"`
	Succeeded bool              `json:"succeeded"`
}

// WriteStages prints stage reports as the summary's table: stage, rows in,
// rows out, rejected, retried, seconds.
func WriteStages(w io.Writer, stages ...pipeline.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\trows in\trows out\trejected\tretried\tseconds\t")
	for _, s := range stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.2f\t\n", s.Stage, s.Read, s.Written, s.Rejected, s.Retried, s.Duration.Seconds())
	}
	tw.Flush()
}

// WriteSummary prints the table of stages people read at the end of a run.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "\nPipeline summary (target %s, dataset %s)\n", r.Target, r.Dataset)
	WriteStages(w, r.Stages...)
	for _, st := range r.Stages {
		if d, ok := st.Tables["delivered"]; ok && st.Stage == "stream" {
			fmt.Fprintf(w, "stream: %d produced, %d delivered once or more, %d duplicate deliveries removed by the ETL, %d resent\n",
				d.Read, d.Written, d.Duplicates, d.Resent)
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
	status := "OK"
	if !r.Succeeded {
		status = "FAILED: " + r.Error
	}
	fmt.Fprintf(w, "total %.2fs  %s\n", r.Duration.Seconds(), status)
}

// WriteFiles writes report.json and junit.xml into dir.
func (r *Report) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "junit.xml"), r.junit(), 0o644)
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// junit renders the stages and the verify assertions as JUnit XML: a stage
// that failed is a failed case, and so is each failed assertion.
func (r *Report) junit() []byte {
	stages := junitSuite{Name: "pipeline.stages"}
	for _, s := range r.Stages {
		stages.Cases = append(stages.Cases, junitCase{Name: s.Stage, Classname: "pipeline", Time: s.Duration.Seconds()})
		stages.Time += s.Duration.Seconds()
	}
	if !r.Succeeded && r.Error != "" && r.Verify == nil {
		stages.Cases = append(stages.Cases, junitCase{Name: "run", Classname: "pipeline",
			Failure: &junitFailure{Message: firstLine(r.Error), Text: r.Error}})
	}
	suites := junitSuites{}
	if r.Verify != nil {
		v := junitSuite{Name: "pipeline.verify"}
		for _, a := range r.Verify.Assertions {
			c := junitCase{Name: a.Name, Classname: "verify", Time: a.Elapsed.Seconds()}
			if !a.Passed {
				c.Failure = &junitFailure{Message: firstLine(a.Message), Text: a.Message}
			}
			v.Cases = append(v.Cases, c)
			v.Time += a.Elapsed.Seconds()
		}
		suites.Suites = append(suites.Suites, v)
	}
	suites.Suites = append([]junitSuite{stages}, suites.Suites...)
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

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
