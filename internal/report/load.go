package report

import (
	"context"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/store"
)

// Load reads from db the Input of a report of [from, to): the events of
// the conversations concerned (store.DB.ReportEvents), their attributes,
// each inbox's reopen window, each agent's capacity, and schedules chosen
// as SLAs choose them (the team's hours, else the inbox's, else always
// open). loc is the time zone of hours of day and daily samples.
func Load(ctx context.Context, db *store.DB, from, to time.Time, loc *time.Location) (in Input, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("report: Load: %w", err)
		}
	}()
	in.Location = loc
	if in.Events, err = db.ReportEvents(ctx, from, to); err != nil {
		return in, err
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, e := range in.Events {
		if id := *e.ConversationID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	convs, err := db.ReportConversations(ctx, ids)
	if err != nil {
		return in, err
	}
	in.Conversations = make(map[int64]ConvInfo, len(convs))
	for id, c := range convs {
		in.Conversations[id] = FromStore(c)
	}

	inboxes, err := db.Inboxes(ctx)
	if err != nil {
		return in, err
	}
	in.ReopenWindow = map[int64]time.Duration{}
	inboxHours := map[int64]hours.Schedule{}
	for _, ib := range inboxes {
		in.ReopenWindow[ib.ID] = ib.ReopenWindow
		inboxHours[ib.ID] = parseHours(string(ib.Routing.Hours))
	}
	teams, err := db.Teams(ctx)
	if err != nil {
		return in, err
	}
	teamHours := map[int64]hours.Schedule{}
	for _, t := range teams {
		raw, err := db.TeamHours(ctx, t.ID)
		if err != nil {
			return in, err
		}
		if raw != "" {
			teamHours[t.ID] = parseHours(raw)
		}
	}
	in.Schedules = func(c ConvInfo) hours.Schedule {
		if s, ok := teamHours[c.TeamID]; ok && c.TeamID != 0 {
			return s
		}
		if s, ok := inboxHours[c.InboxID]; ok {
			return s
		}
		return hours.AlwaysOpen()
	}

	agents, err := db.Agents(ctx)
	if err != nil {
		return in, err
	}
	in.Capacity = make(map[int64]int, len(agents))
	for _, a := range agents {
		in.Capacity[a.ID] = a.Capacity
	}
	return in, nil
}

// FromStore converts the store's view of a conversation.
func FromStore(c store.ReportConversation) ConvInfo {
	info := ConvInfo{InboxID: c.InboxID, Channel: c.ChannelType, Labels: c.Labels, Priority: c.Priority}
	if c.TeamID != nil {
		info.TeamID = *c.TeamID
	}
	return info
}

// parseHours reads stored business hours; empty or invalid ones (refused
// when saved) count as always open, as they do for SLAs.
func parseHours(raw string) hours.Schedule {
	if raw == "" || raw == "null" {
		return hours.AlwaysOpen()
	}
	s, err := hours.Parse([]byte(raw))
	if err != nil {
		return hours.AlwaysOpen()
	}
	return s
}
