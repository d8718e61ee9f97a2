package gateway_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// resolveAnswered has an agent answer a conversation and resolve it.
func (e *env) resolveAnswered(convID int64) {
	e.t.Helper()
	if status, body := e.reply(convID, map[string]any{"text": "Done, your order is on its way."}); status != 201 {
		e.t.Fatalf("reply = %d %s", status, body)
	}
	e.runJobs()
	e.setStatus(convID, "resolved")
}

func (e *env) setStatus(convID int64, status string) {
	e.t.Helper()
	e.JSON("PATCH", fmt.Sprintf("/api/v1/conversations/%d", convID), map[string]any{"status": status}, 200, nil)
}

// surveys reads a conversation's surveys through the API.
func (e *env) surveys(convID int64) []parley.Survey {
	e.t.Helper()
	var out struct{ Surveys []parley.Survey }
	e.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d/surveys", convID), nil, 200, &out)
	return out.Surveys
}

func (e *env) conversation(id int64) parley.Conversation {
	e.t.Helper()
	c, err := e.App.DB.Conversation(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestSurveySMS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := startSMS(t, dialect, nil)
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "Where is my order?"}))
		conv := s.onlyConversation(s.inbox)

		// A digit before any survey is an ordinary message.
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "2"}))
		if n := len(s.messages(conv.ID)); n != 2 {
			t.Fatalf("a digit without a survey: %d messages, want 2", n)
		}
		s.resolveAnswered(conv.ID)
		sent := len(s.fake.Requests())

		// Nothing before the delay.
		s.clock.Add(4 * time.Minute)
		s.runJobs()
		if len(s.fake.Requests()) != sent || len(s.surveys(conv.ID)) != 0 {
			t.Fatalf("survey sent before the delay")
		}
		s.clock.Add(2 * time.Minute)
		s.runJobs()
		reqs := s.fake.Requests()
		if len(reqs) != sent+1 {
			t.Fatalf("fake got %d requests, want %d", len(reqs), sent+1)
		}
		body := reqs[len(reqs)-1].Form.Get("Body")
		if !strings.Contains(body, "How easy was it") || !strings.Contains(body, "Reply with a number from 1") {
			t.Errorf("SMS survey = %q", body)
		}
		list := s.surveys(conv.ID)
		if len(list) != 1 || list[0].Status != parley.SurveySent || list[0].Channel != "sms" || list[0].AgentID != nil && *list[0].AgentID == 0 {
			t.Fatalf("surveys = %+v", list)
		}
		before := s.conversation(conv.ID)
		msgsBefore := len(s.messages(conv.ID))

		// The digit answers: not a message, the conversation stays resolved.
		digit := s.sim.Messages(simulate.Message{ID: "SM00000000000000000000000000000222", From: twCustomer, Text: " 2. "})
		s.post(s.hook, digit)
		s.runJobs()
		// Twilio delivering the same message again records nothing: it
		// must not become the answer to the next question.
		if status, _ := s.post(s.hook, digit); status != 200 {
			t.Fatalf("redelivery = %d", status)
		}
		s.runJobs()
		if sv := s.surveys(conv.ID)[0]; sv.CSAT != nil {
			t.Fatalf("a redelivered digit answered the next question: %+v", sv)
		}
		after := s.conversation(conv.ID)
		if after.Status != parley.StatusResolved || !after.LastActivityAt.Equal(before.LastActivityAt) || after.ReopenCount != before.ReopenCount {
			t.Errorf("the answer changed the conversation: %+v", after)
		}
		msgs := s.messages(conv.ID)
		for _, m := range msgs[msgsBefore:] {
			if m.Direction == parley.Incoming {
				t.Errorf("the answer was stored as a message: %q", m.Text)
			}
		}
		list = s.surveys(conv.ID)
		if list[0].CES == nil || *list[0].CES != 2 || list[0].AnsweredAt == nil {
			t.Fatalf("after the digit: %+v", list[0])
		}
		// The CSAT question follows; its digit is the CSAT.
		reqs = s.fake.Requests()
		if last := reqs[len(reqs)-1].Form.Get("Body"); !strings.Contains(last, "how satisfied") {
			t.Errorf("follow-up = %q", last)
		}
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "5"}))
		s.runJobs()
		if list = s.surveys(conv.ID); list[0].CSAT == nil || *list[0].CSAT != 5 || *list[0].CES != 2 {
			t.Fatalf("after the second digit: %+v", list[0])
		}
		reqs = s.fake.Requests()
		if last := reqs[len(reqs)-1].Form.Get("Body"); !strings.Contains(last, "Thank you") || !strings.Contains(last, "/survey/") {
			t.Errorf("thanks = %q", last)
		}
		// Nothing left open: the next digit is a message and reopens.
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "3"}))
		if c := s.conversation(conv.ID); c.Status != parley.StatusOpen {
			t.Errorf("a digit after the survey: status %s, want open", c.Status)
		}
		// Survey messages are Parley's own: they answer nothing.
		for _, m := range s.messages(conv.ID) {
			if strings.Contains(m.Text, "How easy") && m.AuthorAgentID != nil {
				t.Errorf("the survey has an author: %+v", m)
			}
		}
	})
}

func TestSurveyOncePerResolutionAndCooldown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := startSMS(t, dialect, nil)
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "Hello"}))
		conv := s.onlyConversation(s.inbox)
		s.resolveAnswered(conv.ID)

		// Reopened within the delay: that resolution gets no survey.
		s.clock.Add(time.Minute)
		s.setStatus(conv.ID, "open")
		s.setStatus(conv.ID, "resolved")
		s.clock.Add(10 * time.Minute)
		s.runJobs()
		list := s.surveys(conv.ID)
		if len(list) != 1 || list[0].Status != parley.SurveySent {
			t.Fatalf("after a quick reopen: %+v", list)
		}
		// A job run twice sends nothing twice.
		n := len(s.fake.Requests())
		s.runJobs()
		if len(s.fake.Requests()) != n {
			t.Error("sent twice")
		}

		// Resolved again within the cooldown: skipped, with the reason.
		s.clock.Add(24 * time.Hour)
		s.setStatus(conv.ID, "open")
		s.setStatus(conv.ID, "resolved")
		s.clock.Add(10 * time.Minute)
		s.runJobs()
		list = s.surveys(conv.ID)
		if len(list) != 2 || list[0].Status != parley.SurveySkipped || !strings.Contains(list[0].SkipReason, "cooldown") {
			t.Fatalf("within the cooldown: %+v", list)
		}
		if len(s.fake.Requests()) != n {
			t.Error("a survey was sent within the cooldown")
		}

		// After the cooldown: a new survey.
		s.clock.Add(15 * 24 * time.Hour)
		s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "One more thing"}))
		page, err := s.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: s.inbox, Limit: 1})
		if err != nil || len(page.Conversations) != 1 || page.Conversations[0].ID == conv.ID {
			t.Fatalf("no new conversation: %+v %v", page, err)
		}
		c := page.Conversations[0]
		s.resolveAnswered(c.ID)
		s.clock.Add(10 * time.Minute)
		s.runJobs()
		if list = s.surveys(c.ID); len(list) == 0 || list[0].Status != parley.SurveySent || list[0].ResolvedAt.Before(s.clock.Now().Add(-time.Hour)) {
			t.Fatalf("after the cooldown: %+v", list)
		}
	})
}

// A conversation no agent answered gets no survey; nor does an inbox
// with surveys off.
func TestSurveyNeedsAnAgentReply(t *testing.T) {
	s := startSMS(t, "sqlite", nil)
	s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "Never mind"}))
	conv := s.onlyConversation(s.inbox)
	s.setStatus(conv.ID, "resolved")
	s.clock.Add(time.Hour)
	s.runJobs()
	if list := s.surveys(conv.ID); len(list) != 0 {
		t.Fatalf("unanswered conversation surveyed: %+v", list)
	}
}
