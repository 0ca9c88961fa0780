package orchestrate

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress shows how a long stage advances: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise (CI logs).
type Progress struct {
	w        io.Writer
	terminal bool
	every    time.Duration

	mu   sync.Mutex
	last time.Time
}

// NewProgress writes to w; a terminal is detected when w is a character device.
func NewProgress(w io.Writer) *Progress {
	p := &Progress{w: w, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
			p.every = 200 * time.Millisecond
		}
	}
	return p
}

// Update reports done of total for stage; total 0 means unknown.
func (p *Progress) Update(stage, what string, done, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < p.every && done != total {
		return
	}
	p.last = time.Now()
	if !p.terminal {
		if total > 0 {
			fmt.Fprintf(p.w, "%s: %s %d/%d (%d%%)\n", stage, what, done, total, 100*done/total)
		} else {
			fmt.Fprintf(p.w, "%s: %s %d\n", stage, what, done)
		}
		return
	}
	const width = 30
	bar := strings.Repeat("?", width)
	pct := ""
	if total > 0 {
		n := int(min(width, width*done/total))
		bar = strings.Repeat("#", n) + strings.Repeat(".", width-n)
		pct = fmt.Sprintf(" %3d%%", 100*done/total)
	}
	fmt.Fprintf(p.w, "\r%-8s [%s]%s %s %d", stage, bar, pct, what, done)
	if total > 0 && done >= total {
		fmt.Fprintln(p.w)
	}
}

// Done ends a bar drawn in place.
func (p *Progress) Done() {
	if p != nil && p.terminal {
		fmt.Fprintln(p.w)
	}
}
