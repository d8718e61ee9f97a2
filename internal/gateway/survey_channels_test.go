package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel/email"
	"github.com/parleyhq/parley/internal/channel/zalo/zalotest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/mail/mailtest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// surveyDue resolves an answered conversation and runs the survey job
// after the delay; it returns the one sent survey.
func (e *env) surveyDue(convID int64) parley.Survey {
	e.t.Helper()
	e.resolveAnswered(convID)
	e.clock.Add(6 * time.Minute)
	e.runJobs()
	list := e.surveys(convID)
	if len(list) != 1 || list[0].Status != parley.SurveySent {
		e.t.Fatalf("surveys = %+v", list)
	}
	return list[0]
}

// token reads a survey's token (the API never shows it) from the store.
func (e *env) token(convID int64) string {
	e.t.Helper()
	list, err := e.App.DB.Surveys(ctx, convID)
	if err != nil || len(list) == 0 {
		e.t.Fatalf("surveys %v", err)
	}
	return list[0].Token
}

// untouched fails if the conversation moved since before.
func (e *env) untouched(before parley.Conversation) {
	e.t.Helper()
	after := e.conversation(before.ID)
	if after.Status != before.Status || !after.LastActivityAt.Equal(before.LastActivityAt) || after.ReopenCount != before.ReopenCount ||
		!sameTime(after.FirstResponseAt, before.FirstResponseAt) {
		e.t.Errorf("the survey changed the conversation: %+v, was %+v", after, before)
	}
}

func sameTime(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }

func TestSurveyWhatsApp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		from := "+2348012345678"
		w.post(w.hook, w.sim.Messages(simulate.Message{From: from, Name: "Amara", Text: "Where is my order?"}))
		conv := w.onlyConversation(w.inbox)
		w.surveyDue(conv.ID)
		before := w.conversation(conv.ID)
		reqs := w.fake.Requests()
		var body map[string]any
		for _, r := range reqs {
			if r.JSON["type"] == "interactive" {
				body = r.JSON
			}
		}
		if body == nil {
			t.Fatalf("no interactive message among %d requests", len(reqs))
		}
		in := body["interactive"].(map[string]any)
		rows := in["action"].(map[string]any)["sections"].([]any)[0].(map[string]any)["rows"].([]any)
		if in["type"] != "list" || len(rows) != 5 || !strings.Contains(in["body"].(map[string]any)["text"].(string), "How easy") {
			t.Fatalf("sent %s", mustJSON(body))
		}
		row3 := rows[2].(map[string]any)
		if row3["id"] != "survey:"+w.token(conv.ID)+":ces:3" || row3["title"] != "3 · Neither" {
			t.Errorf("row 3 = %v", row3)
		}
		// The customer picks 3: recorded, nothing stored, nothing reopened;
		// the CSAT question follows.
		n := len(reqs)
		w.post(w.hook, w.sim.Messages(simulate.Message{From: from, Text: "3 · Neither", Payload: row3["id"].(string)}))
		w.runJobs()
		w.untouched(before)
		if sv := w.surveys(conv.ID)[0]; sv.CES == nil || *sv.CES != 3 {
			t.Fatalf("after the tap: %+v", sv)
		}
		for _, m := range w.messages(conv.ID) {
			if m.Direction == parley.Incoming && strings.Contains(m.Text, "Neither") {
				t.Error("the answer was stored as a message")
			}
		}
		if later := w.fake.Requests()[n:]; len(later) == 0 || !strings.Contains(mustJSON(later[0].JSON), ":csat:5") {
			t.Errorf("no CSAT question after the answer")
		}
		// A forged or stale id is ignored, and stores nothing.
		w.post(w.hook, w.sim.Messages(simulate.Message{From: from, Text: "5", Payload: "survey:nope:ces:5"}))
		w.untouched(before)
	})
}

// A closed 24-hour window: the survey is skipped with the reason, and
// nothing is sent.
func TestSurveyWhatsAppWindowClosed(t *testing.T) {
	w := startWhatsApp(t, "sqlite")
	w.post(w.hook, w.sim.Messages(simulate.Message{From: "+2348012345678", Text: "Hi"}))
	conv := w.onlyConversation(w.inbox)
	w.resolveAnswered(conv.ID)
	sent := len(w.fake.Requests())
	w.clock.Add(25 * time.Hour) // the job runs late, after the window
	w.runJobs()
	list := w.surveys(conv.ID)
	if len(list) != 1 || list[0].Status != parley.SurveySkipped || !strings.Contains(list[0].SkipReason, "cannot deliver") {
		t.Fatalf("surveys = %+v", list)
	}
	if len(w.fake.Requests()) != sent {
		t.Error("something was sent through a closed window")
	}
}

func TestSurveyMessenger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := startMessenger(t, dialect)
		f.post(f.hook, f.sim.Messages(simulate.Message{From: fbPSID, Text: "Hello"}))
		conv := f.onlyConversation(f.inbox)
		f.surveyDue(conv.ID)
		before := f.conversation(conv.ID)
		sent := f.sent()
		msg := sent[len(sent)-1]["message"].(map[string]any)
		qrs, _ := msg["quick_replies"].([]any)
		if len(qrs) != 5 || !strings.Contains(msg["text"].(string), "How easy") {
			t.Fatalf("sent %s", mustJSON(msg))
		}
		q1 := qrs[0].(map[string]any)
		if q1["content_type"] != "text" || q1["title"] != "1 · Very easy" || q1["payload"] != "survey:"+f.token(conv.ID)+":ces:1" {
			t.Errorf("quick reply = %v", q1)
		}
		f.post(f.hook, f.sim.Messages(simulate.Message{From: fbPSID, Text: "1 · Very easy", Payload: q1["payload"].(string)}))
		f.runJobs()
		f.untouched(before)
		if sv := f.surveys(conv.ID)[0]; sv.CES == nil || *sv.CES != 1 {
			t.Fatalf("after the tap: %+v", sv)
		}
	})
}

func TestSurveyRCS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := startRCS(t, dialect, false)
		r.post(r.hook, r.sim.Messages(simulate.Message{From: rbmCustomer, Text: "hi"}))
		conv := r.onlyConversation(r.inbox)
		r.surveyDue(conv.ID)
		before := r.conversation(conv.ID)
		reqs := r.fake.Requests()
		cm := reqs[len(reqs)-1].Body.ContentMessage
		if cm == nil || cm.Text == nil || !strings.Contains(*cm.Text, "How easy") || len(cm.Suggestions) != 5 || cm.Suggestions[4].Reply == nil {
			t.Fatalf("sent %s", reqs[len(reqs)-1].Raw)
		}
		s5 := cm.Suggestions[4].Reply
		if s5.Text != "5 · Very difficult" || s5.PostbackData != "survey:"+r.token(conv.ID)+":ces:5" {
			t.Errorf("suggestion = %+v", s5)
		}
		r.post(r.hook, r.sim.Messages(simulate.Message{From: rbmCustomer, Text: s5.Text, Payload: s5.PostbackData}))
		r.runJobs()
		r.untouched(before)
		if sv := r.surveys(conv.ID)[0]; sv.CES == nil || *sv.CES != 5 {
			t.Fatalf("after the tap: %+v", sv)
		}
	})
}

func TestSurveyZalo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		z := startZalo(t, dialect, "zalo-access-1", "zalo-refresh-1")
		z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in1", From: zaloUser, Text: "Xin chào"}))
		conv := z.onlyConversation(z.inbox)
		z.surveyDue(conv.ID)
		before := z.conversation(conv.ID)
		cs := z.requests(zalotest.CSPath)
		if last := cs[len(cs)-1]; last.Message == nil || !strings.Contains(last.Message.Message.Text, "1 (very easy)") {
			t.Fatalf("sent %s", last.Body)
		}
		z.post(z.hook, z.sim.Messages(simulate.Message{ID: "in2", From: zaloUser, Text: "4"}))
		z.runJobs()
		z.untouched(before)
		if sv := z.surveys(conv.ID)[0]; sv.CES == nil || *sv.CES != 4 {
			t.Fatalf("after the digit: %+v", sv)
		}
	})
}

// An SMS contact who opted out gets no survey.
func TestSurveySMSOptOut(t *testing.T) {
	s := startSMS(t, "sqlite", nil)
	s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "Hi"}))
	conv := s.onlyConversation(s.inbox)
	s.resolveAnswered(conv.ID)
	s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "STOP"}))
	c := s.conversation(conv.ID)
	if c.Status != parley.StatusResolved {
		s.setStatus(conv.ID, "resolved")
	}
	sent := len(s.fake.Requests())
	s.clock.Add(10 * time.Minute)
	s.runJobs()
	list := s.surveys(conv.ID)
	if len(list) == 0 || list[0].Status != parley.SurveySkipped || !strings.Contains(list[0].SkipReason, "opted out") {
		t.Fatalf("surveys = %+v", list)
	}
	if len(s.fake.Requests()) != sent {
		t.Error("a survey went to an opted-out number")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSurveyEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		smtp := mailtest.Start(t, mailtest.Options{})
		id := e.createInbox("email", map[string]string{"address": "help@acme.test", "from_name": "Acme Help",
			"smtp_host": "127.0.0.1", "smtp_port": fmt.Sprint(smtp.Port), "smtp_security": "none"}, nil)
		r, err := e.App.Inbox.Receive(ctx, id, inbox.Incoming{Contact: store.ContactKey{Email: "linh@example.com", Name: "Linh", Language: "es"},
			Text: "Subject: Refund\n\nWhere is my refund?"})
		if err != nil {
			t.Fatal(err)
		}
		e.surveyDue(r.ConversationID)
		before := e.conversation(r.ConversationID)
		sent := smtp.Messages()
		out, err := email.Parse([]byte(sent[len(sent)-1].Data))
		if err != nil {
			t.Fatal(err)
		}
		token := e.token(r.ConversationID)
		if !strings.Contains(out.Text, "¿Qué tan fácil") {
			t.Errorf("not in the contact's language: %q", out.Text)
		}
		for n := 1; n <= 5; n++ {
			if link := fmt.Sprintf("%s/survey/%s?ces=%d", e.App.BaseURL(), token, n); !strings.Contains(out.Text, link) {
				t.Errorf("no link %s in %q", link, out.Text)
			}
		}
		// Opening a link (as a mail scanner would) records nothing.
		resp, err := http.Get(fmt.Sprintf("%s/survey/%s?ces=2", e.URL, token))
		if err != nil {
			t.Fatal(err)
		}
		page := readAll(resp)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(page, `value="2" checked`) || e.surveys(r.ConversationID)[0].CES != nil {
			t.Fatalf("GET = %d, recorded %+v", resp.StatusCode, e.surveys(r.ConversationID)[0])
		}
		resp, err = http.PostForm(fmt.Sprintf("%s/survey/%s", e.URL, token), url.Values{"ces": {"2"}, "csat": {"4"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if sv := e.surveys(r.ConversationID)[0]; resp.StatusCode != 200 || sv.CES == nil || *sv.CES != 2 || *sv.CSAT != 4 {
			t.Fatalf("POST = %d, %+v", resp.StatusCode, sv)
		}
		e.untouched(before)
	})
}

// Messenger's Human Agent tag is for a person's replies: a survey after
// the 24-hour window is skipped even where the tag is allowed.
func TestSurveyMessengerNoHumanAgentTag(t *testing.T) {
	f := startMessenger(t, "sqlite")
	f.JSON("PATCH", fmt.Sprintf("/api/v1/inboxes/%d", f.inbox), map[string]any{"settings": map[string]string{"human_agent": "true"}}, 200, nil)
	f.post(f.hook, f.sim.Messages(simulate.Message{From: fbPSID, Text: "Hello"}))
	conv := f.onlyConversation(f.inbox)
	f.clock.Add(25 * time.Hour)
	f.resolveAnswered(conv.ID) // the agent's reply goes out tagged
	n := len(f.sent())
	f.clock.Add(10 * time.Minute)
	f.runJobs()
	if list := f.surveys(conv.ID); len(list) != 1 || list[0].Status != parley.SurveySkipped {
		t.Fatalf("surveys = %+v", list)
	}
	if len(f.sent()) != n {
		t.Error("a survey went out under the Human Agent tag")
	}
}
