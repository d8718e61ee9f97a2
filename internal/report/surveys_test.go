package report_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestLoadSurveys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db := storetest.Open(t, dialect)
		t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return t0 }
		svc := &inbox.Service{DB: db}
		inA, err := svc.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "A", ChannelType: parley.ChannelWidget}, nil)
		if err != nil {
			t.Fatal(err)
		}
		inB, err := svc.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "B", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a1, _, _ := svc.CreateAgent(ctx, inbox.System, parley.Agent{Email: "a1@example.com", Name: "One", Role: parley.RoleAgent}, "")
		a2, _, _ := svc.CreateAgent(ctx, inbox.System, parley.Agent{Email: "a2@example.com", Name: "Two", Role: parley.RoleAgent}, "")
		team, err := svc.CreateTeam(ctx, inbox.System, parley.Team{Name: "T"}, []int64{a1.ID})
		if err != nil {
			t.Fatal(err)
		}
		conv := func(in parley.Inbox, who string) parley.Conversation {
			r, err := svc.Receive(ctx, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: who}, Text: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := db.Conversation(ctx, r.ConversationID)
			return c
		}
		c1, c2, c3, c4, c5 := conv(inA, "c1"), conv(inA, "c2"), conv(inB, "c3"), conv(inB, "c4"), conv(inA, "c5")
		high := parley.PriorityHigh
		if _, err := svc.Update(ctx, inbox.System, c1.ID, inbox.Change{Priority: &high, TeamID: &team.ID, Labels: &[]string{"billing"}}); err != nil {
			t.Fatal(err)
		}
		n := 0
		add := func(c parley.Conversation, channel string, agent *int64, status string, sent *time.Time, ces, csat *int, answered *time.Time) {
			n++
			err := db.Write(ctx, func(tx *store.Tx) error {
				sv := parley.Survey{ConversationID: c.ID, ContactID: c.ContactID, InboxID: c.InboxID, AgentID: agent, ResolvedAt: t0.Add(time.Duration(n) * time.Second),
					Token: fmt.Sprint("t", n), Channel: channel, Status: status, SentAt: sent, AskCSAT: true}
				if err := tx.CreateSurvey(&sv); err != nil {
					return err
				}
				if answered == nil {
					return nil
				}
				sv.CES, sv.CSAT, sv.AnsweredAt = ces, csat, answered
				return tx.SaveSurveyAnswer(&sv)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
		score := func(v int) *int { return &v }
		day := 24 * time.Hour
		add(c1, "widget", &a1.ID, parley.SurveySent, at(time.Hour), score(1), score(5), at(2*time.Hour))
		add(c2, "widget", &a1.ID, parley.SurveySent, at(day), score(3), nil, at(day+time.Hour))
		add(c3, "sms", &a2.ID, parley.SurveySent, at(2*day), nil, nil, nil)
		add(c4, "sms", &a2.ID, parley.SurveySent, at(-day), score(2), score(4), at(time.Hour)) // sent before, answered in
		add(c5, "widget", nil, parley.SurveySent, at(8*day), score(5), score(1), at(8*day))    // after the period
		add(c5, "widget", nil, parley.SurveySkipped, nil, nil, nil, nil)                       // never counts

		from, to := t0, t0.Add(7*day)
		got, err := report.LoadSurveys(ctx, db, from, to, report.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
		if got.Sent != 3 || got.Answered != 3 || !near(got.ResponseRate, 2.0/3) {
			t.Errorf("sent %d answered %d rate %v, want 3 3 0.667", got.Sent, got.Answered, got.ResponseRate)
		}
		if c := got.CES; c.Count != 3 || !near(c.Mean, 2) || c.Dist != [5]int{1, 1, 1, 0, 0} || c.Good != 2 || !near(c.GoodRate, 2.0/3) {
			t.Errorf("CES = %+v", c)
		}
		if c := got.CSAT; c.Count != 2 || !near(c.Mean, 4.5) || c.Dist != [5]int{0, 0, 0, 1, 1} || c.Good != 2 || !near(c.GoodRate, 1) {
			t.Errorf("CSAT = %+v", c)
		}
		if len(got.ByAgent) != 2 || got.ByAgent[0].AgentID != a1.ID || got.ByAgent[0].Answered != 2 || !near(got.ByAgent[0].CES.Mean, 2) ||
			got.ByAgent[1].AgentID != a2.ID || got.ByAgent[1].CSAT.Count != 1 || !near(got.ByAgent[1].CSAT.Mean, 4) {
			t.Errorf("by agent = %+v", got.ByAgent)
		}
		for _, tc := range []struct {
			name           string
			f              report.Filter
			sent, answered int
			cesMean        float64
		}{
			{"inbox A", report.Filter{InboxIDs: []int64{inA.ID}}, 2, 2, 2},
			{"inboxes A and B", report.Filter{InboxIDs: []int64{inA.ID, inB.ID}}, 3, 3, 2},
			{"sms", report.Filter{Channels: []parley.ChannelType{parley.ChannelSMS}}, 1, 1, 2},
			{"agent two", report.Filter{AgentID: a2.ID}, 1, 1, 2},
			{"team", report.Filter{TeamID: team.ID}, 1, 1, 1},
			{"label", report.Filter{Label: "billing"}, 1, 1, 1},
			{"priority", report.Filter{Priority: parley.PriorityHigh}, 1, 1, 1},
			{"nothing", report.Filter{Label: "none"}, 0, 0, 0},
		} {
			got, err := report.LoadSurveys(ctx, db, from, to, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got.Sent != tc.sent || got.Answered != tc.answered || !near(got.CES.Mean, tc.cesMean) {
				t.Errorf("%s: sent %d answered %d CES mean %v; want %d %d %v", tc.name, got.Sent, got.Answered, got.CES.Mean, tc.sent, tc.answered, tc.cesMean)
			}
		}
	})
}
