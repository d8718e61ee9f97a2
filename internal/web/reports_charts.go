package web

import (
	"fmt"
	"html/template"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/report"
)

// reportCharts draws volume by hour, volume by channel and the backlog.
func reportCharts(r report.Report, loc *time.Location) (hour, channel, backlog template.HTML) {
	var bars []chartBar
	for h, n := range r.Volume.ByHour {
		bars = append(bars, chartBar{Label: fmt.Sprintf("%02d:00", h), Value: float64(n)})
	}
	hour = barChart("chart-hours", "Conversations created by hour of day ("+loc.String()+")", bars)
	bars = nil
	for ch, n := range r.Volume.ByChannel {
		bars = append(bars, chartBar{Label: channelName(ch), Value: float64(n)})
	}
	slices.SortFunc(bars, func(a, b chartBar) int {
		if a.Value != b.Value {
			return int(b.Value - a.Value)
		}
		if a.Label < b.Label {
			return -1
		}
		return 1
	})
	channel = barChart("chart-channels", "Conversations created by channel", bars)
	labels := make([]string, len(r.Backlog))
	open, pending, snoozed := make([]float64, len(r.Backlog)), make([]float64, len(r.Backlog)), make([]float64, len(r.Backlog))
	for i, b := range r.Backlog {
		at := b.At.In(loc)
		labels[i] = at.Format("Jan 2")
		if at.Hour() != 0 || at.Minute() != 0 {
			labels[i] = at.Format("Jan 2 15:04")
		}
		open[i], pending[i], snoozed[i] = float64(b.Open), float64(b.Pending), float64(b.Snoozed)
	}
	backlog = lineChart("chart-backlog", "Backlog over time: open, pending and snoozed conversations", labels, []chartSeries{
		{Name: "Open", Class: "s-open", Values: open}, {Name: "Pending", Class: "s-pending", Values: pending}, {Name: "Snoozed", Class: "s-snoozed", Values: snoozed}})
	return hour, channel, backlog
}

// dailyCharts draws the period day by day (UTC days: the daily sums are
// kept per UTC day): conversations created and resolved, and the mean
// resolution and first response times, in hours.
func dailyCharts(r report.Report) (counts, times template.HTML) {
	n := len(r.Daily)
	labels := make([]string, n)
	created, resolved, res, resp := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, d := range r.Daily {
		labels[i] = d.Day.Format("Jan 2")
		created[i], resolved[i] = float64(d.Created), float64(d.Resolved)
		res[i], resp[i] = time.Duration(d.ResolutionMean).Hours(), time.Duration(d.FirstResponseMean).Hours()
	}
	counts = lineChart("chart-daily", "Conversations created and resolved per day (UTC days)", labels, []chartSeries{
		{Name: "Created", Class: "s-open", Values: created}, {Name: "Resolved", Class: "s-resolved", Values: resolved}})
	times = lineChart("chart-daily-times", "Mean resolution and first response time per day, in hours (UTC days)", labels, []chartSeries{
		{Name: "Resolution", Class: "s-pending", Values: res}, {Name: "First response", Class: "s-snoozed", Values: resp}})
	return counts, times
}
