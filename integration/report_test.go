package integration_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

// chromium finds Debian's chromium (or another Chrome) on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on PATH: skipping the report's browser test (apt-get install chromium; .ci/run installs it)")
	return ""
}

// TestReportInChromium opens a tiny run's report.html from disk in headless
// Chromium: it must render without console errors or exceptions and fetch
// nothing, show every stage in the pipeline picture, the timeline and the
// data's charts, verify's assertions and the model's RMSE. The screenshot
// is kept in the test's temporary folder.
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	s := settings(t, map[string]string{"PIPELINE_TARGET": "embedded"})
	rep := runE2E(t, s)
	page := filepath.Join(s.OutDir, orchestrate.HTMLFile)
	if _, err := os.Stat(page); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel = chromedp.NewContext(ctx)
	t.Cleanup(cancel)

	var (
		mu       sync.Mutex
		problems []string
	)
	note := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, a...))
	}
	pageURL := (&url.URL{Scheme: "file", Path: page}).String()
	// Listen starts the browser (log, network and runtime events are on
	// from the start).
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value))
				}
				note("console %s: %s", ev.Type, strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			note("exception: %s", ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				note("log error: %s (%s)", ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; u != pageURL && !strings.HasPrefix(u, "data:") {
				note("the page fetched %s", u)
			}
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	actx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(actx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.ID("model"))); err != nil {
		t.Fatal(err)
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(actx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("#%s: %v", id, err)
		}
		return strings.TrimSpace(s)
	}
	count := func(js string) int {
		t.Helper()
		n, err := chromedp.Run(actx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return n
	}
	status, rmse, baseline := text("status"), text("rmse"), text("baseline-rmse")
	stages := count(`document.querySelectorAll('svg[data-chart="pipeline"] g.stage.ok').length`)
	// Charts drawn: an SVG with bars (or stage boxes) laid out wider than 200 px.
	charts := count(`[...document.querySelectorAll('svg.chart')].filter(s => s.getBoundingClientRect().width > 200 && s.querySelector('rect')).length`)
	assertions := count(`document.querySelectorAll('#checks tr.assertion').length`)
	body, err := chromedp.Run(actx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(actx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", png, len(shot))

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	if status != "succeeded" {
		t.Errorf("status %q", status)
	}
	if want := len(orchestrate.StageNames); stages != want {
		t.Errorf("%d stages drawn as passed, want %d", stages, want)
	}
	// The pipeline, the timeline, 4 data charts and the RMSE bars.
	if charts < 7 {
		t.Errorf("%d charts rendered with bars, want 7", charts)
	}
	if assertions != len(rep.Verify.Assertions) {
		t.Errorf("%d assertions shown, the run has %d", assertions, len(rep.Verify.Assertions))
	}
	if want := fmt.Sprintf("%.4f", rep.Train.RMSE); rmse != want {
		t.Errorf("RMSE shown %q, report.json has %s", rmse, want)
	}
	if want := fmt.Sprintf("%.4f", rep.Train.BaselineRMSE); baseline != want {
		t.Errorf("baseline RMSE shown %q, report.json has %s", baseline, want)
	}
	for _, name := range orchestrate.StageNames {
		if !strings.Contains(body, name) {
			t.Errorf("the page does not show stage %s", name)
		}
	}
	if len(shot) < 10_000 {
		t.Errorf("screenshot of %d bytes: nothing drawn?", len(shot))
	}
}
