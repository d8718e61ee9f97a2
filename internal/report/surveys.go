package report

import (
	"context"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// Surveys is what customers answered to the surveys sent after
// resolutions in the period: the customer effort score (CES, 1 = very
// easy … 5 = very hard; the goal is a mean under 2) and the optional
// satisfaction score (CSAT, 1 … 5).
type Surveys struct {
	Sent     int `json:"sent"`     // surveys sent in the period
	Answered int `json:"answered"` // surveys first answered in the period
	// ResponseRate is the share of the surveys sent in the period that
	// were answered (by now).
	ResponseRate float64 `json:"response_rate"`
	CES          Score   `json:"ces"`
	CSAT         Score   `json:"csat"`
	// ByAgent breaks the answers down by the agent the conversation was
	// assigned to at the resolution; agent 0 is "nobody".
	ByAgent []AgentSurveys `json:"by_agent,omitempty"`
}

// Score summarises 1–5 answers. Good counts the answers that meet the
// goal (CES 1–2, CSAT 4–5).
type Score struct {
	Count    int     `json:"count"`
	Mean     float64 `json:"mean"`
	Dist     [5]int  `json:"distribution"`
	Good     int     `json:"good"`
	GoodRate float64 `json:"good_rate"`
}

// AgentSurveys are one agent's answers.
type AgentSurveys struct {
	AgentID  int64 `json:"agent_id"`
	Answered int   `json:"answered"`
	CES      Score `json:"ces"`
	CSAT     Score `json:"csat"`
}

// LoadSurveys computes the survey section of a report: surveys sent in
// [from, to) by sent_at, and answers by answered_at (when the first
// answer came), narrowed by f. The counting is done in SQL over indexed
// ranges (store.SurveyReport), so its cost does not grow with the
// number of surveys beyond the scan itself.
func LoadSurveys(ctx context.Context, db *store.DB, from, to time.Time, f Filter) (Surveys, error) {
	counts, err := db.SurveyReport(ctx, from, to, surveyFilter(f))
	if err != nil {
		return Surveys{}, fmt.Errorf("report: surveys: %w", err)
	}
	out := Surveys{Sent: counts.Sent}
	if counts.Sent > 0 {
		out.ResponseRate = float64(counts.SentAnswered) / float64(counts.Sent)
	}
	type acc struct {
		answered  int
		ces, csat scoreAcc
	}
	var total acc
	byAgent := map[int64]*acc{}
	var order []int64
	for _, c := range counts.Cells {
		id := int64(0)
		if c.AgentID != nil {
			id = *c.AgentID
		}
		a := byAgent[id]
		if a == nil {
			a = &acc{}
			byAgent[id] = a
			order = append(order, id)
		}
		for _, x := range []*acc{&total, a} {
			x.answered += c.N
			x.ces.add(c.CES, c.N)
			x.csat.add(c.CSAT, c.N)
		}
	}
	out.Answered = total.answered
	out.CES, out.CSAT = total.ces.score(1, 2), total.csat.score(4, 5)
	for _, id := range order {
		a := byAgent[id]
		out.ByAgent = append(out.ByAgent, AgentSurveys{AgentID: id, Answered: a.answered, CES: a.ces.score(1, 2), CSAT: a.csat.score(4, 5)})
	}
	return out, nil
}

// scoreAcc adds up counted answers.
type scoreAcc struct {
	dist [5]int
}

func (s *scoreAcc) add(v *int, n int) {
	if v != nil && *v >= 1 && *v <= 5 {
		s.dist[*v-1] += n
	}
}

// score summarises, counting lo–hi as good.
func (s scoreAcc) score(lo, hi int) Score {
	out := Score{Dist: s.dist}
	sum := 0
	for i, n := range s.dist {
		out.Count += n
		sum += n * (i + 1)
		if i+1 >= lo && i+1 <= hi {
			out.Good += n
		}
	}
	if out.Count > 0 {
		out.Mean = float64(sum) / float64(out.Count)
		out.GoodRate = float64(out.Good) / float64(out.Count)
	}
	return out
}

// surveyFilter is f for the surveys table.
func surveyFilter(f Filter) store.SurveyFilter {
	sf := store.SurveyFilter{InboxIDs: f.InboxIDs, TeamID: f.TeamID, AgentID: f.AgentID, Label: f.Label, Priority: string(f.Priority)}
	for _, c := range f.Channels {
		sf.Channels = append(sf.Channels, string(c))
	}
	return sf
}
