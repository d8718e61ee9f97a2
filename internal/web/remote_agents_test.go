package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/connect/agents/agentstest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestRemoteAgentsPages: an admin registers an outside agent by its card
// (a card that cannot be read is refused on the page, storing nothing),
// sees its skills and the calls made, and an agent asks it from a
// conversation: the question and its answer are notes there.
func TestRemoteAgentsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		pay := agentstest.New(t, "Payments")
		c := e.login("owner@example.com")
		status, body, _ := c.do("POST", "/app/admin/remote-agents", url.Values{"name": {"ghost"}, "card_url": {"http://127.0.0.1:1/"}}, false)
		if status != 400 || !strings.Contains(body, "could not read an agent card") || !strings.Contains(body, `value="ghost"`) {
			t.Fatalf("a card that is not there: %d %s", status, alertIn(body))
		}
		if list, _ := e.App.DB.RemoteAgents(bg); len(list) != 0 {
			t.Fatalf("a refused card stored %+v", list)
		}
		status, _, hdr := c.do("POST", "/app/admin/remote-agents", url.Values{"name": {"payments"}, "card_url": {pay.URL}}, false)
		if status != 303 || !strings.Contains(hdr.Get("Location"), "flash=saved") {
			t.Fatalf("register = %d %v", status, hdr)
		}
		_, body, _ = c.do("GET", "/app/admin/remote-agents", nil, false)
		if !strings.Contains(body, `data-name="payments"`) || !strings.Contains(body, "<strong>Payments</strong>") || !strings.Contains(body, "Check") {
			t.Fatalf("the page: %.2000s", body)
		}

		conv := e.incoming("refund-1", "Ana", "Where is my refund for A1002?")
		_, page, _ := c.do("GET", fmt.Sprintf("/app/conversations/%d", conv), nil, false)
		if !strings.Contains(page, `data-testid="ask-agent"`) || !strings.Contains(page, `<option value="payments">`) {
			t.Fatal("the conversation offers no outside agent to ask")
		}
		status, _, _ = c.do("POST", fmt.Sprintf("/app/conversations/%d/ask-agent", conv), url.Values{"agent": {"payments"}, "text": {"Was A1002 paid?"}}, false)
		if status != 303 {
			t.Fatalf("ask = %d", status)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			msgs, _ := e.App.DB.Messages(bg, []int64{conv})
			last := msgs[len(msgs)-1]
			if last.Direction == parley.Note && strings.HasPrefix(last.Text, "Answer from the agent payments") {
				if prev := msgs[len(msgs)-2]; prev.Text != "Asked the agent payments: Was A1002 paid?" || prev.AuthorAgentID == nil {
					t.Fatalf("the question's note: %+v", prev)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no answer; last %+v", last)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if calls, _ := e.App.DB.AgentCalls(bg, store.AgentCallFilter{}); len(calls) == 0 {
			t.Fatal("no audit")
		}
		_, body, _ = c.do("GET", "/app/admin/remote-agents", nil, false)
		if !strings.Contains(body, "SendMessage") {
			t.Fatal("the page shows no calls")
		}
		list, _ := e.App.DB.RemoteAgents(bg)
		if status, _, _ := c.do("POST", fmt.Sprintf("/app/admin/remote-agents/%d/delete", list[0].ID), url.Values{}, false); status != 303 {
			t.Fatalf("delete = %d", status)
		}
		if list, _ := e.App.DB.RemoteAgents(bg); len(list) != 0 {
			t.Fatal("not deleted")
		}
	})
}
