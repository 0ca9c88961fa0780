package orchestrate

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// The report's charts are SVG written here, inline in report.html: nothing
// is fetched when the page is viewed.

// bar is one bar of a chart: its label, its value and the text shown on
// or beside it (the value, formatted, when empty).
type bar struct {
	Label string
	Value float64
	Text  string
	// Class colours the bar (ok, fail, muted); empty is the chart's colour.
	Class string
}

func esc(s string) string { return html.EscapeString(s) }

// niceMax rounds v up to 1, 2 or 5 times a power of ten, for an axis.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// axisLabel writes an axis value compactly: 1,500 as 1.5k, 2,000,000 as 2M.
func axisLabel(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	default:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
}

func (b bar) text() string {
	if b.Text != "" {
		return b.Text
	}
	if b.Value == math.Trunc(b.Value) {
		return thousands(int64(b.Value))
	}
	return strconv.FormatFloat(b.Value, 'f', 2, 64)
}

// vbars is a column chart: one bar per label, a value axis with gridlines.
// name identifies the chart (data-chart) for tests and styles.
func vbars(name, title, unit string, bars []bar) template.HTML {
	const w, h, left, right, top, bottom = 480.0, 250.0, 50.0, 10.0, 28.0, 56.0
	pw, ph := w-left-right, h-top-bottom
	most := 0.0
	for _, b := range bars {
		most = math.Max(most, b.Value)
	}
	top1 := niceMax(most)
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" data-chart="%s" viewBox="0 0 %g %g" role="img" aria-label="%s">`, esc(name), w, h, esc(title))
	fmt.Fprintf(&s, `<text class="title" x="%g" y="16">%s</text>`, left, esc(title))
	for i := 0; i <= 4; i++ {
		v := top1 * float64(i) / 4
		y := top + ph - ph*float64(i)/4
		fmt.Fprintf(&s, `<line class="grid" x1="%g" x2="%g" y1="%.1f" y2="%.1f"/>`, left, w-right, y, y)
		fmt.Fprintf(&s, `<text class="axis" x="%g" y="%.1f" text-anchor="end">%s</text>`, left-6, y+4, axisLabel(v))
	}
	fmt.Fprintf(&s, `<text class="axis" x="12" y="%g" transform="rotate(-90 12 %g)" text-anchor="middle">%s</text>`, top+ph/2, top+ph/2, esc(unit))
	n := float64(max1(len(bars)))
	slot := pw / n
	longest := 0
	for _, b := range bars {
		longest = max(longest, len([]rune(b.Label)))
	}
	// Labels wider than their slot (about 6 px a character) are turned.
	rotate := float64(longest)*6 > slot*0.95
	for i, b := range bars {
		bh := ph * b.Value / top1
		x := left + slot*float64(i) + slot*0.1
		y := top + ph - bh
		fmt.Fprintf(&s, `<rect class="bar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			esc(b.Class), x, y, slot*0.8, bh, esc(b.Label), esc(b.text()))
		cx := x + slot*0.4
		if rotate {
			fmt.Fprintf(&s, `<text class="label" x="%.1f" y="%g" text-anchor="end" transform="rotate(-35 %.1f %g)">%s</text>`, cx, top+ph+14, cx, top+ph+14, esc(b.Label))
		} else {
			fmt.Fprintf(&s, `<text class="label" x="%.1f" y="%g" text-anchor="middle">%s</text>`, cx, top+ph+16, esc(b.Label))
		}
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// hbars is a bar chart with one row per label, the value written after the
// bar.
func hbars(name, title string, bars []bar) template.HTML {
	const w, left, right, top, row = 640.0, 190.0, 90.0, 28.0, 22.0
	h := top + row*float64(len(bars)) + 8
	most := 0.0
	for _, b := range bars {
		most = math.Max(most, b.Value)
	}
	if most == 0 {
		most = 1
	}
	pw := w - left - right
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" data-chart="%s" viewBox="0 0 %g %g" role="img" aria-label="%s">`, esc(name), w, h, esc(title))
	fmt.Fprintf(&s, `<text class="title" x="0" y="16">%s</text>`, esc(title))
	for i, b := range bars {
		y := top + row*float64(i)
		bw := pw * b.Value / most
		fmt.Fprintf(&s, `<text class="label" x="%g" y="%.1f" text-anchor="end">%s</text>`, left-8, y+row*0.65, esc(clip(b.Label, 30)))
		fmt.Fprintf(&s, `<rect class="bar %s" x="%g" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			esc(b.Class), left, y+3, math.Max(bw, 1), row-6, esc(b.Label), esc(b.text()))
		fmt.Fprintf(&s, `<text class="value" x="%.1f" y="%.1f">%s</text>`, left+math.Max(bw, 1)+6, y+row*0.65, esc(b.text()))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// span is one bar of a timeline: from Start for Length seconds.
type span struct {
	Label         string
	Start, Length float64
	Class         string
}

// timeline draws spans on a common time axis (a Gantt chart).
func timeline(name, title string, spans []span) template.HTML {
	const w, left, right, top, row, axis = 640.0, 80.0, 60.0, 28.0, 24.0, 22.0
	h := top + row*float64(len(spans)) + axis
	end := 0.0
	for _, sp := range spans {
		end = math.Max(end, sp.Start+sp.Length)
	}
	total := niceMax(end)
	pw := w - left - right
	x := func(t float64) float64 { return left + pw*t/total }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" data-chart="%s" viewBox="0 0 %g %g" role="img" aria-label="%s">`, esc(name), w, h, esc(title))
	fmt.Fprintf(&s, `<text class="title" x="0" y="16">%s</text>`, esc(title))
	base := top + row*float64(len(spans))
	for i := 0; i <= 5; i++ {
		t := total * float64(i) / 5
		fmt.Fprintf(&s, `<line class="grid" x1="%.1f" x2="%.1f" y1="%g" y2="%g"/>`, x(t), x(t), top, base)
		fmt.Fprintf(&s, `<text class="axis" x="%.1f" y="%g" text-anchor="middle">%ss</text>`, x(t), base+16, axisLabel(math.Round(t*100)/100))
	}
	for i, sp := range spans {
		y := top + row*float64(i)
		bw := math.Max(x(sp.Start+sp.Length)-x(sp.Start), 1.5)
		fmt.Fprintf(&s, `<text class="label" x="%g" y="%.1f" text-anchor="end">%s</text>`, left-8, y+row*0.65, esc(sp.Label))
		fmt.Fprintf(&s, `<rect class="bar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %.2f s, from %.2f s</title></rect>`,
			esc(sp.Class), x(sp.Start), y+4, bw, row-8, esc(sp.Label), sp.Length, sp.Start)
		fmt.Fprintf(&s, `<text class="value" x="%.1f" y="%.1f">%.2f s</text>`, x(sp.Start)+bw+5, y+row*0.65, sp.Length)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// box is one stage of the pipeline picture.
type box struct {
	Name  string
	Lines []string
	Class string // ok, fail, skipped
}

// flow draws the pipeline as a row of boxes joined by arrows, two rows when
// there are more than five.
func flow(name, title string, boxes []box) template.HTML {
	const bw, bh, gap, top = 150.0, 96.0, 34.0, 28.0
	perRow := len(boxes)
	if perRow > 5 {
		perRow = (len(boxes) + 1) / 2
	}
	rows := (len(boxes) + perRow - 1) / max1(perRow)
	w := float64(perRow)*bw + float64(perRow-1)*gap + 4
	h := top + float64(rows)*bh + float64(rows-1)*gap + 4
	pos := func(i int) (float64, float64) {
		r, c := i/perRow, i%perRow
		if r%2 == 1 { // the second row runs right to left, a snake
			c = perRow - 1 - c
		}
		return 2 + float64(c)*(bw+gap), top + float64(r)*(bh+gap)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart flow" data-chart="%s" viewBox="0 0 %g %g" role="img" aria-label="%s">`, esc(name), w, h, esc(title))
	s.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>`)
	fmt.Fprintf(&s, `<text class="title" x="2" y="16">%s</text>`, esc(title))
	for i := 0; i+1 < len(boxes); i++ {
		x1, y1 := pos(i)
		x2, y2 := pos(i + 1)
		switch {
		case y1 != y2: // down to the next row
			fmt.Fprintf(&s, `<line class="edge" x1="%g" y1="%g" x2="%g" y2="%g" marker-end="url(#arrow)"/>`, x1+bw/2, y1+bh, x2+bw/2, y2-2)
		case x2 > x1:
			fmt.Fprintf(&s, `<line class="edge" x1="%g" y1="%g" x2="%g" y2="%g" marker-end="url(#arrow)"/>`, x1+bw, y1+bh/2, x2-2, y2+bh/2)
		default:
			fmt.Fprintf(&s, `<line class="edge" x1="%g" y1="%g" x2="%g" y2="%g" marker-end="url(#arrow)"/>`, x1, y1+bh/2, x2+bw+2, y2+bh/2)
		}
	}
	for i, b := range boxes {
		x, y := pos(i)
		fmt.Fprintf(&s, `<g class="stage %s" data-stage="%s"><rect x="%g" y="%g" width="%g" height="%g" rx="8"/>`, esc(b.Class), esc(b.Name), x, y, bw, bh)
		fmt.Fprintf(&s, `<text class="name" x="%g" y="%g">%s</text>`, x+10, y+20, esc(b.Name))
		for j, l := range b.Lines {
			fmt.Fprintf(&s, `<text class="line" x="%g" y="%g">%s</text>`, x+10, y+38+float64(j)*15, esc(l))
		}
		s.WriteString(`</g>`)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

func max1(n int) int { return max(n, 1) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
