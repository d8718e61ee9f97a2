package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// The contact panel shows a conversation's survey answers, escaped, and
// the reason a survey was skipped.
func TestConversationShowsSurvey(t *testing.T) {
	e := start(t, "sqlite")
	c := e.conversation(e.convID)
	xss := `<script>alert(1)</script>`
	err := e.App.DB.Write(bg, func(tx *store.Tx) error {
		now := tx.Now()
		ces, csat := 2, 5
		sent := parley.Survey{ConversationID: c.ID, ContactID: c.ContactID, InboxID: c.InboxID, AgentID: &e.agentID, ResolvedAt: now,
			Token: "tok-1", Channel: "widget", Status: parley.SurveySent, AskCSAT: true, SentAt: &now}
		if err := tx.CreateSurvey(&sent); err != nil {
			return err
		}
		sent.CES, sent.CSAT, sent.Comment, sent.AnsweredAt = &ces, &csat, xss, &now
		if err := tx.SaveSurveyAnswer(&sent); err != nil {
			return err
		}
		skipped := parley.Survey{ConversationID: c.ID, ContactID: c.ContactID, InboxID: c.InboxID, ResolvedAt: now.Add(-1),
			Token: "tok-2", Channel: "widget", Status: parley.SurveySkipped, SkipReason: "cooldown: the contact was surveyed on 2026-01-01"}
		return tx.CreateSurvey(&skipped)
	})
	if err != nil {
		t.Fatal(err)
	}
	status, body := e.login("agent@example.com").get(fmt.Sprintf("/app/conversations/%d", c.ID))
	if status != 200 {
		t.Fatalf("page = %d", status)
	}
	for _, want := range []string{"Effort 2/5", "Satisfaction 5/5", "&lt;script&gt;alert(1)&lt;/script&gt;", "Andy Agent", "cooldown: the contact"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, xss) {
		t.Error("the comment is not escaped")
	}
}

// The inbox's routing section edits its survey settings.
func TestAdminSurveySettings(t *testing.T) {
	e := start(t, "sqlite")
	c := e.login("owner@example.com")
	path := fmt.Sprintf("/app/admin/inboxes/%d", e.inboxID)
	status, body := c.get(path)
	for _, want := range []string{`name="survey_enabled" value="1" checked`, `name="survey_csat" value="1" checked`,
		`name="survey_cooldown_days" min="0" max="365" value="14"`, `name="survey_delay_minutes" min="0" max="10080" value="5"`} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("settings page lacks %s", want)
		}
	}
	form := func(cooldown string) url.Values {
		return url.Values{"name": {"Support API"}, "reopen_days": {"7"}, "away_minutes": {"5"}, "email_ask": {"never"}, "routing_form": {"1"},
			"survey_csat": {"1"}, "survey_cooldown_days": {cooldown}, "survey_delay_minutes": {"10"}}
	}
	if status, _ := c.post(path, form("soon")); status != 400 {
		t.Errorf("cooldown not a number = %d, want 400", status)
	}
	if status, _ := c.post(path, form("400")); status != 400 {
		t.Errorf("cooldown out of range = %d, want 400", status)
	}
	if status, body := c.post(path, form("30")); status != 303 {
		t.Fatalf("save = %d %s", status, body)
	}
	in, _, err := e.App.DB.Inbox(bg, e.inboxID)
	if err != nil {
		t.Fatal(err)
	}
	if sv := in.Routing.Survey; sv.Enabled() || !sv.AsksCSAT() || sv.CooldownDaysValue() != 30 || sv.DelayMinutesValue() != 10 {
		t.Errorf("stored %+v", sv)
	}
}
