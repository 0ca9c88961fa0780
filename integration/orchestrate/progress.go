package orchestrate

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// PlainInterval is how often a stage's progress line is printed when the
// output is not a terminal.
const PlainInterval = 5 * time.Second

// Progress shows how the stages advance. On a terminal, each stage gets one
// bar per item (table) from mpb, redrawn in place and finished once; log
// lines written through Writer appear above the bars. Otherwise (CI logs, a
// pipe), a stage prints at most one plain line every PlainInterval with its
// totals so far, and never the same line twice.
type Progress struct {
	out      io.Writer
	terminal bool
	every    time.Duration

	mu  sync.Mutex
	cur *StageProgress
}

// NewProgress writes to out; it draws bars when out is a terminal.
func NewProgress(out io.Writer) *Progress {
	p := &Progress{out: out, every: PlainInterval}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.terminal = true
	}
	return p
}

// Terminal reports whether bars are drawn.
func (p *Progress) Terminal() bool { return p.terminal }

// Writer is where log lines go: above the bars while a stage draws them,
// straight to the output otherwise.
func (p *Progress) Writer() io.Writer { return progressWriter{p} }

type progressWriter struct{ p *Progress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	cur := w.p.cur
	w.p.mu.Unlock()
	if cur != nil && cur.bars != nil {
		return cur.bars.Write(b)
	}
	return w.p.out.Write(b)
}

// StageProgress is one stage's progress; its methods are safe for
// concurrent use. A nil *StageProgress does nothing.
type StageProgress struct {
	p     *Progress
	stage string
	unit  string

	mu       sync.Mutex
	bars     *mpb.Progress
	items    map[string]*progressItem
	order    []string
	last     time.Time
	lastLine string
	done     bool
}

type progressItem struct {
	done, total int64
	bar         *mpb.Bar
}

// Start begins the progress of stage, counted in unit ("rows", "records").
func (p *Progress) Start(stage, unit string) *StageProgress {
	if p == nil {
		return nil
	}
	sp := &StageProgress{p: p, stage: stage, unit: unit, items: map[string]*progressItem{}, last: time.Now()}
	if p.terminal {
		sp.bars = mpb.New(mpb.WithOutput(p.out), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	}
	p.mu.Lock()
	p.cur = sp
	p.mu.Unlock()
	return sp
}

// Update sets item's count to done of total (0: unknown).
func (sp *StageProgress) Update(item string, done, total int64) {
	if sp == nil {
		return
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.done {
		return
	}
	it := sp.items[item]
	if it == nil {
		it = &progressItem{}
		sp.items[item] = it
		sp.order = append(sp.order, item)
		if sp.bars != nil {
			it.bar = sp.bars.New(max(total, 0), mpb.BarStyle().Lbound("[").Rbound("]"),
				mpb.PrependDecorators(
					decor.Name(fmt.Sprintf("%-8s %-14s", sp.stage, item)),
					decor.CountersNoUnit("%d / %d", decor.WCSyncWidth),
				),
				mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5})))
		}
	}
	if it.bar != nil {
		if total != it.total {
			it.bar.SetTotal(total, false)
		}
		it.bar.SetCurrent(done)
	}
	it.done, it.total = done, total
	if sp.bars == nil {
		sp.plainLine()
	}
}

// plainLine prints the stage's totals when PlainInterval has passed and
// they changed. The caller holds sp.mu.
func (sp *StageProgress) plainLine() {
	if time.Since(sp.last) < sp.p.every {
		return
	}
	var done, total int64
	known := true
	for _, it := range sp.items {
		done += it.done
		total += it.total
		known = known && it.total > 0
	}
	line := fmt.Sprintf("%s: %s %s", sp.stage, thousands(done), sp.unit)
	if known && total > 0 {
		line = fmt.Sprintf("%s: %s of %s %s (%d%%)", sp.stage, thousands(done), thousands(total), sp.unit, 100*done/total)
	}
	if line == sp.lastLine {
		return
	}
	sp.last, sp.lastLine = time.Now(), line
	fmt.Fprintln(sp.p.out, line)
}

// Finish completes the stage's bars (each at its count) and stops drawing.
func (sp *StageProgress) Finish() {
	if sp == nil {
		return
	}
	sp.mu.Lock()
	if sp.done {
		sp.mu.Unlock()
		return
	}
	sp.done = true
	bars := sp.bars
	for _, name := range sp.order {
		if b := sp.items[name].bar; b != nil {
			b.SetTotal(-1, true)
		}
	}
	sp.mu.Unlock()
	if bars != nil {
		bars.Wait()
	}
	sp.p.mu.Lock()
	if sp.p.cur == sp {
		sp.p.cur = nil
	}
	sp.p.mu.Unlock()
}

// thousands writes n with commas: 101,600.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
