package report

import (
	"context"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Load reads from db the Input of a report of [from, to) as known now: the
// events of the conversations concerned (store.DB.ReportEvents), their
// attributes, each inbox's reopen window, each agent's capacity, and schedules chosen
// as SLAs choose them (the team's hours, else the inbox's, else always
// open). loc is the time zone of hours of day and daily samples.
func Load(ctx context.Context, db *store.DB, from, to time.Time, loc *time.Location) (in Input, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("report: Load: %w", err)
		}
	}()
	in.Location = loc
	in.Now = db.Now().UTC()
	if in.Events, err = db.ReportEvents(ctx, from, in.Now.Add(store.EventClockSkew)); err != nil {
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

	set, err := loadSettings(ctx, db)
	if err != nil {
		return in, err
	}
	in.ReopenWindow, in.Schedules, in.Capacity = set.windows, set.schedule, set.capacity
	return in, nil
}

// settings are what a report reads besides events: each inbox's reopen
// window, the business hours a conversation is timed in, each agent's
// capacity, and each inbox's channel.
type settings struct {
	windows  map[int64]time.Duration
	schedule func(ConvInfo) hours.Schedule
	capacity map[int64]int
	channels map[int64]parley.ChannelType
}

func loadSettings(ctx context.Context, db *store.DB) (set settings, err error) {
	inboxes, err := db.Inboxes(ctx)
	if err != nil {
		return set, err
	}
	set.windows = map[int64]time.Duration{}
	set.channels = map[int64]parley.ChannelType{}
	inboxHours := map[int64]hours.Schedule{}
	for _, ib := range inboxes {
		set.windows[ib.ID] = ib.ReopenWindow
		set.channels[ib.ID] = ib.ChannelType
		inboxHours[ib.ID] = parseHours(string(ib.Routing.Hours))
	}
	teams, err := db.Teams(ctx)
	if err != nil {
		return set, err
	}
	teamHours := map[int64]hours.Schedule{}
	for _, t := range teams {
		raw, err := db.TeamHours(ctx, t.ID)
		if err != nil {
			return set, err
		}
		if raw != "" {
			teamHours[t.ID] = parseHours(raw)
		}
	}
	set.schedule = func(c ConvInfo) hours.Schedule {
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
		return set, err
	}
	set.capacity = make(map[int64]int, len(agents))
	for _, a := range agents {
		set.capacity[a.ID] = a.Capacity
	}
	return set, nil
}

// window is inbox's reopen window.
func (set settings) window(inbox int64) time.Duration {
	if w, ok := set.windows[inbox]; ok { // as Compute reads it
		return w
	}
	return parley.DefaultReopenWindow
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
