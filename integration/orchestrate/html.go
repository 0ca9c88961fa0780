package orchestrate

import (
	_ "embed"
	"fmt"
	"html/template"
	"path/filepath"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/pipeline/train"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// HTMLFile is the run's page under OUT_DIR: one self-contained file (styles
// and SVG charts inline, no script, nothing fetched) that opens from disk.
const HTMLFile = "report.html"

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New(HTMLFile).Funcs(template.FuncMap{
	"thousands": thousands,
	"pct":       func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"f4":        func(f float64) string { return fmt.Sprintf("%.4f", f) },
	"f2":        func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"date":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"barpct": func(n, of int64) float64 {
		if of <= 0 {
			return 0
		}
		return 100 * float64(n) / float64(of)
	},
}).Parse(htmlSource))

// WriteHTML writes dir/report.html from the report.
func (r *Report) WriteHTML(dir string) error {
	var b strings.Builder
	if err := htmlTemplate.Execute(&b, r.page()); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, HTMLFile), []byte(b.String()))
}

// page is what the template shows.
type page struct {
	R           *Report
	Status      string
	StatusClass string
	Flow        template.HTML
	Timing      template.HTML
	Values      template.HTML
	PerUser     template.HTML
	PerMovie    template.HTML
	Genres      template.HTML
	TopMax      int64
	Assertions  []verify.Assertion
	Failed      int
	Model       template.HTML
	Holdout     string
}

func (r *Report) page() page {
	p := page{R: r}
	switch {
	case r.Status == StatusRunning:
		p.Status, p.StatusClass = "running", "muted"
	case r.Succeeded:
		p.Status, p.StatusClass = "succeeded", "ok"
	default:
		p.Status, p.StatusClass = r.Status, "fail"
	}
	p.Flow = flow("pipeline", "The pipeline: rows in, out, rejected and seconds per stage", r.boxes())
	var spans []span
	t := 0.0
	for _, name := range StageNames {
		sec, class, ran := r.stageTime(name)
		if !ran {
			continue
		}
		spans = append(spans, span{Label: name, Start: t, Length: sec, Class: class})
		t += sec
	}
	p.Timing = timeline("timing", "When each stage ran (seconds from the start of the run)", spans)
	if d := r.Data; d != nil {
		p.Values = vbars("rating-values", "Ratings by value (stars)", "ratings", countBars(d.RatingValues))
		p.PerUser = vbars("ratings-per-user", "Users by how many ratings they gave", "users", countBars(d.PerUser))
		p.PerMovie = vbars("ratings-per-movie", "Movies by how many ratings they got", "movies", countBars(d.PerMovie))
		p.Genres = vbars("genres", "Movies per genre (a movie can have several)", "movies", countBars(d.Genres))
		for _, m := range d.TopMovies {
			p.TopMax = max(p.TopMax, m.Ratings)
		}
	}
	if r.Verify != nil {
		p.Assertions = r.Verify.Assertions
		p.Failed = len(r.Verify.Failed())
	}
	if m := r.Train; m != nil {
		bars := []bar{
			{Label: "global mean (baseline)", Value: m.BaselineRMSE, Text: fmt.Sprintf("%.4f", m.BaselineRMSE), Class: "muted"},
			{Label: "mean + user and item biases", Value: m.BiasRMSE, Text: fmt.Sprintf("%.4f", m.BiasRMSE), Class: "ok"},
		}
		if m.Factors > 0 {
			bars = append(bars, bar{Label: fmt.Sprintf("biases + %d factors", m.Factors), Value: m.RMSE, Text: fmt.Sprintf("%.4f", m.RMSE), Class: "ok"})
		}
		p.Model = hbars("rmse", "RMSE on the held-out ratings (lower is better)", bars)
		p.Holdout = fmt.Sprintf("the newest %.0f%% of rating_new, %s ratings from %s", 100*train.HoldoutFraction,
			thousands(m.Validation), m.HoldoutFrom.Format("2006-01-02"))
	}
	return p
}

func countBars(cs []Count) []bar {
	out := make([]bar, len(cs))
	for i, c := range cs {
		out[i] = bar{Label: c.Label, Value: float64(c.N)}
	}
	return out
}

// stageTime is a stage's seconds and colour, and whether it ran.
func (r *Report) stageTime(name string) (float64, string, bool) {
	if name == "verify" {
		if r.Verify == nil {
			return 0, "", false
		}
		class := "ok"
		if len(r.Verify.Failed()) > 0 {
			class = "fail"
		}
		return r.VerifySeconds, class, true
	}
	st := r.stage(name)
	if st == nil {
		return 0, "", false
	}
	if st.Error != "" {
		return st.Seconds, "fail", true
	}
	return st.Seconds, "ok", true
}

// boxes are the pipeline picture's stages.
func (r *Report) boxes() []box {
	var out []box
	for _, name := range StageNames {
		b := box{Name: name, Class: "skipped", Lines: []string{"not run"}}
		if name == "verify" {
			if v := r.Verify; v != nil {
				sec, class, _ := r.stageTime(name)
				b.Class = class
				b.Lines = []string{fmt.Sprintf("%d assertions", len(v.Assertions)), fmt.Sprintf("%d failed", len(v.Failed())), fmt.Sprintf("%.2f s", sec)}
			}
			out = append(out, b)
			continue
		}
		if st := r.stage(name); st != nil {
			in, outUnit, _ := strings.Cut(units[name], " → ")
			if outUnit == "" {
				outUnit = in
			}
			b.Class = "ok"
			if st.Error != "" {
				b.Class = "fail"
			}
			b.Lines = []string{"in " + thousands(st.Read) + " " + in, "out " + thousands(st.Written) + " " + outUnit,
				"rejected " + thousands(st.Rejected), fmt.Sprintf("%.2f s", st.Seconds)}
		}
		out = append(out, b)
	}
	return out
}
