package web

import (
	"strings"
	"testing"
	"time"
)

func TestCharts(t *testing.T) {
	bars := barChart("c", `Volume "by" <label>`, []chartBar{{Label: "=cmd <script>", Value: 3}, {Label: "b&b", Value: 7}})
	for _, want := range []string{`<title id="c-title">Volume &#34;by&#34; &lt;label&gt;</title>`, "=cmd &lt;script&gt;: 3", "b&amp;b: 7", `class="bar"`, `>10</text>`} {
		if !strings.Contains(string(bars), want) {
			t.Errorf("bar chart lacks %q:\n%s", want, bars)
		}
	}
	if strings.Contains(string(bars), "<script>") {
		t.Error("unescaped label")
	}
	if s := barChart("e", "Empty", nil); !strings.Contains(string(s), "No data") {
		t.Errorf("empty chart = %s", s)
	}
	lines := lineChart("l", "Backlog", []string{"Nov 1", "Nov 2", "<x>"}, []chartSeries{{Name: "Open", Class: "s-open", Values: []float64{1, 4, 2}}})
	for _, want := range []string{"<polyline points=", "Open, &lt;x&gt;: 2", `<g class="series s-open">`, ">Open</text>"} {
		if !strings.Contains(string(lines), want) {
			t.Errorf("line chart lacks %q:\n%s", want, lines)
		}
	}
	if niceMax(7) != 10 || niceMax(0) != 1 || niceMax(120) != 200 || niceMax(30) != 50 {
		t.Error("niceMax")
	}
}

func TestMetricCard(t *testing.T) {
	c := metricCard{Unit: unitSeconds, Value: 3600, Prev: 7200, Has: true, PrevHas: true, LowerIsBetter: true}
	if c.Text() != "1h 0m" || c.PrevText() != "2h 0m" || c.Change() != "▼ 50%" || c.Tone() != "good" {
		t.Errorf("time card: %q %q %q %q", c.Text(), c.PrevText(), c.Change(), c.Tone())
	}
	r := metricCard{Unit: unitRatio, Value: 0.25, Prev: 0.2, Has: true, PrevHas: true, LowerIsBetter: true}
	if r.Text() != "25.0%" || r.Change() != "▲ 5.0 pts" || r.Tone() != "bad" {
		t.Errorf("rate card: %q %q %q", r.Text(), r.Change(), r.Tone())
	}
	n := metricCard{Unit: unitCount, Value: 4, Has: true, PrevHas: true, Neutral: true}
	if n.Change() != "▲ new" || n.Tone() != "" {
		t.Errorf("count card: %q %q", n.Change(), n.Tone())
	}
	if (metricCard{Unit: unitSeconds}).Text() != "—" || humanDuration(50*time.Hour) != "2d 2h" {
		t.Error("empty card or duration")
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+x": "'+x", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "ok": "ok", "": "", "a=b": "a=b"} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}
