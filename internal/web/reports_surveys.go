package web

import (
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// surveyCards are the survey metrics of the period beside the previous
// one: the effort score against its goal (a mean under 2), satisfaction,
// and how many customers answered.
func surveyCards(cur, prev report.Report, link func(string) string) []metricCard {
	c, p := cur.Surveys, prev.Surveys
	goal := "goal met"
	if c.CES.Count > 0 && c.CES.Mean >= parley.CESGoal {
		goal = "goal missed"
	}
	if c.CES.Count == 0 {
		goal = "no answers yet"
	}
	return []metricCard{
		{Key: "customer_effort", Name: "Customer effort (mean; goal under 2)", Unit: unitCount, Value: c.CES.Mean, Prev: p.CES.Mean,
			Has: c.CES.Count > 0, PrevHas: p.CES.Count > 0, LowerIsBetter: true,
			Detail: fmt.Sprintf("%.2f from %s · %.0f%% found it easy · %s", c.CES.Mean, count(c.CES.Count, "answer", "answers"), c.CES.GoodRate*100, goal), Href: link("surveyed")},
		{Key: "satisfaction", Name: "Satisfaction (mean of 5)", Unit: unitCount, Value: c.CSAT.Mean, Prev: p.CSAT.Mean,
			Has: c.CSAT.Count > 0, PrevHas: p.CSAT.Count > 0,
			Detail: fmt.Sprintf("%.2f from %s · %.0f%% satisfied", c.CSAT.Mean, count(c.CSAT.Count, "answer", "answers"), c.CSAT.GoodRate*100), Href: link("surveyed")},
		{Key: "survey_response_rate", Name: "Survey response rate", Unit: unitRatio, Value: c.ResponseRate, Prev: p.ResponseRate,
			Has: c.Sent > 0, PrevHas: p.Sent > 0,
			Detail: fmt.Sprintf("%s sent · %s in the period", count(c.Sent, "survey", "surveys"), count(c.Answered, "answer", "answers")), Href: link("surveyed")},
	}
}
