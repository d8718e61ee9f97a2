package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Small server-rendered SVG charts for the Reports page: no script, no
// external service. Every text is escaped (labels can be customers'
// words), colours come from classes in app.css, and each chart, bar and
// point has a <title> for assistive technology and hover.

// chartBar is one bar: its axis label and value.
type chartBar struct {
	Label string
	Value float64
}

// chartSeries is one line of a line chart; Class picks its colour.
type chartSeries struct {
	Name   string
	Class  string
	Values []float64
}

// Chart sizes in SVG units: bar charts sit two to a row, line charts
// span the page (so their text keeps the same size once scaled).
const (
	chartW, chartH                  = 640, 220
	wideW                           = 1300
	padLeft, padRight, padTop, padB = 44, 12, 14, 30
)

func esc(s string) string { return template.HTMLEscapeString(s) }

// niceMax rounds v up to 1, 2 or 5 times a power of ten (at least 1).
func niceMax(v float64) float64 {
	if v <= 1 {
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

func num(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// chartStart opens the svg with its title and the y axis (0, half, max).
func chartStart(b *strings.Builder, id, title string, top float64, chartW int) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title" data-testid="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, esc(id), esc(id))
	fmt.Fprintf(b, `<title id="%s-title">%s</title>`, esc(id), esc(title))
	plotH := float64(chartH - padTop - padB)
	for _, f := range []float64{0, 0.5, 1} {
		y := float64(padTop) + plotH*(1-f)
		fmt.Fprintf(b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padLeft, chartW-padRight, y, y)
		fmt.Fprintf(b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, padLeft-6, y+4, esc(num(top*f)))
	}
}

// labelEvery is how often to print an x label so that at most 12 show.
func labelEvery(n int) int { return max(1, (n+11)/12) }

// barChart draws vertical bars with their labels under them.
func barChart(id, title string, bars []chartBar) template.HTML {
	var b strings.Builder
	top := 0.0
	for _, x := range bars {
		top = math.Max(top, x.Value)
	}
	top = niceMax(top)
	chartStart(&b, id, title, top, chartW)
	plotW, plotH := float64(chartW-padLeft-padRight), float64(chartH-padTop-padB)
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="middle">No data</text></svg>`, chartW/2, chartH/2)
		return template.HTML(b.String())
	}
	slot := plotW / float64(len(bars))
	every := labelEvery(len(bars))
	for i, x := range bars {
		h := plotH * x.Value / top
		bx := float64(padLeft) + slot*float64(i) + slot*0.15
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			bx, float64(padTop)+plotH-h, slot*0.7, h, esc(x.Label), esc(num(x.Value)))
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, bx+slot*0.35, chartH-padB+16, esc(shorten(x.Label, 14)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// lineChart draws one polyline per series over evenly spaced x labels,
// with a legend.
func lineChart(id, title string, xLabels []string, series []chartSeries) template.HTML {
	var b strings.Builder
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			top = math.Max(top, v)
		}
	}
	top = niceMax(top)
	chartW := wideW
	chartStart(&b, id, title, top, chartW)
	plotW, plotH := float64(chartW-padLeft-padRight), float64(chartH-padTop-padB)
	n := len(xLabels)
	x := func(i int) float64 {
		if n <= 1 {
			return float64(padLeft) + plotW/2
		}
		return float64(padLeft) + plotW*float64(i)/float64(n-1)
	}
	every := labelEvery(n)
	for i, l := range xLabels {
		if i%every == 0 || i == n-1 && n <= 12 {
			anchor := "middle"
			switch {
			case i == 0 && n > 1:
				anchor = "start"
			case i == n-1 && n > 1:
				anchor = "end"
			}
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="%s">%s</text>`, x(i), chartH-padB+16, anchor, esc(l))
		}
	}
	for si, s := range series {
		var pts []string
		for i, v := range s.Values {
			if i >= n {
				break
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), float64(padTop)+plotH*(1-v/top)))
		}
		fmt.Fprintf(&b, `<g class="series %s"><title>%s</title><polyline points="%s"/>`, esc(s.Class), esc(s.Name), strings.Join(pts, " "))
		for i, v := range s.Values {
			if i >= n {
				break
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5"><title>%s, %s: %s</title></circle>`, x(i), float64(padTop)+plotH*(1-v/top), esc(s.Name), esc(xLabels[i]), esc(num(v)))
		}
		lx := float64(padLeft + 8 + si*110)
		fmt.Fprintf(&b, `<rect class="swatch" x="%.1f" y="2" width="10" height="10"/><text class="legend" x="%.1f" y="11">%s</text></g>`, lx, lx+14, esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
