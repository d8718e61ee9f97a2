package web

import (
	"context"
	"fmt"
	"strconv"

	"github.com/parleyhq/parley/internal/parley"
)

// draftRow is how the assistant's drafts fared for one agent in one
// inbox: asked for, shown, sent, and how much they were edited first.
type draftRow struct {
	Inbox, Agent     string
	Requests, Shown  int
	Used             int
	UseRate, Edited  string
	MeanEditDistance string
}

// draftRows reads draft use over the report's period and filters.
func (s *Server) draftRows(ctx context.Context, q reportQuery, agents map[int64]string, inboxes []parley.Inbox) ([]draftRow, error) {
	stats, err := s.Assist.DraftReport(ctx, q.from, q.to, q.filter.InboxIDs, q.filter.AgentID)
	if err != nil {
		return nil, err
	}
	inboxNames := map[int64]string{}
	for _, in := range inboxes {
		inboxNames[in.ID] = in.Name
	}
	var rows []draftRow
	for _, st := range stats {
		agent := "API (no agent)"
		if st.AgentID != nil {
			if agent = agents[*st.AgentID]; agent == "" {
				agent = fmt.Sprintf("Agent %d", *st.AgentID)
			}
		}
		row := draftRow{Inbox: inboxNames[st.InboxID], Agent: agent, Requests: st.Sets, Shown: st.Shown, Used: st.Used,
			UseRate: "–", Edited: "–", MeanEditDistance: "–"}
		if st.Sets > 0 {
			row.UseRate = strconv.FormatFloat(float64(st.Used)/float64(st.Sets)*100, 'f', 0, 64) + "%"
		}
		if st.Used > 0 {
			row.Edited = strconv.FormatFloat(st.MeanRatio*100, 'f', 0, 64) + "%"
			row.MeanEditDistance = strconv.FormatFloat(st.MeanEdit, 'f', 0, 64)
		}
		rows = append(rows, row)
	}
	return rows, nil
}
