package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

var unreadBadgeRE = regexp.MustCompile(`data-testid="unread-(mine|unassigned|open)"[^>]*>(\d+)<`)

// sidebarUnread reads the unread badges out of a page or fragment: view
// name to count, absent when the view has none.
func sidebarUnread(body string) map[string]int {
	out := map[string]int{}
	for _, m := range unreadBadgeRE.FindAllStringSubmatch(body, -1) {
		out[m[1]], _ = strconv.Atoi(m[2])
	}
	return out
}

// TestSidebarUnread: Mine, Unassigned and All open carry the number of
// their conversations the list marks unread for the agent; it drops when
// the agent replies or opens one, and the same view's rows agree with it
// (the list refresh brings both in one fragment).
func TestSidebarUnread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		agent := e.login("agent@example.com")
		owner := e.login("owner@example.com")
		mine := e.incoming("cust-2", "Bao Tran", "Can I change my address?")
		replied := e.incoming("cust-3", "Chi Le", "Is the shop open on Sunday?")
		if s, body, _ := agent.do("POST", fmt.Sprintf("/app/conversations/%d/assign", mine), url.Values{"assignee_id": {"me"}}, true); s != http.StatusOK {
			t.Fatalf("assign: %d %.300s", s, body)
		}

		// check compares the sidebar's badges with want, and each view's
		// badge with the rows its list marks unread.
		check := func(c *client, step string, want map[string]int, selected int64) {
			t.Helper()
			q := ""
			if selected != 0 {
				q = "&selected=" + strconv.FormatInt(selected, 10)
			}
			shown := map[string]int{} // a view with none shows no badge
			for view, n := range want {
				if n != 0 {
					shown[view] = n
				}
			}
			_, body, _ := c.do("GET", "/app/sidebar?"+strings.TrimPrefix(q, "&"), nil, true)
			if got := sidebarUnread(body); fmt.Sprint(got) != fmt.Sprint(shown) {
				t.Fatalf("%s: sidebar unread = %v, want %v", step, got, want)
			}
			for view, param := range map[string]string{"mine": "view=mine", "unassigned": "view=unassigned", "open": ""} {
				s, body, _ := c.do("GET", "/app/list?"+param+q+"&counts=1", nil, true)
				if s != http.StatusOK {
					t.Fatalf("%s: list %s = %d", step, view, s)
				}
				rows, sidebar, ok := strings.Cut(body, `id="sidebar"`)
				if !ok {
					t.Fatalf("%s: list %s has no sidebar: %.300s", step, view, body)
				}
				marked := strings.Count(rows, `data-unread="1"`)
				if got := sidebarUnread(sidebar)[view]; got != marked || got != want[view] {
					t.Errorf("%s: view %s: badge %d, rows marked unread %d, want %d", step, view, got, marked, want[view])
				}
			}
		}
		check(agent, "start", map[string]int{"mine": 1, "unassigned": 2, "open": 3}, 0)

		// The agent answers one: their reply is the latest message.
		if s, body := agent.post(fmt.Sprintf("/app/conversations/%d/reply", replied), url.Values{"text": {"Yes, 9 to 5."}}); s != http.StatusSeeOther {
			t.Fatalf("reply: %d %.300s", s, body)
		}
		check(agent, "after the reply", map[string]int{"mine": 1, "unassigned": 1, "open": 2}, 0)

		// Having a conversation open leaves it out, as the list does; then
		// opening it reads it for good, for this agent only.
		check(agent, "with it open", map[string]int{"mine": 0, "unassigned": 1, "open": 1}, mine)
		s, page := agent.get(fmt.Sprintf("/app/conversations/%d?view=mine", mine))
		if s != http.StatusOK {
			t.Fatalf("open: %d", s)
		}
		if got := sidebarUnread(page); fmt.Sprint(got) != fmt.Sprint(map[string]int{"unassigned": 1, "open": 1}) {
			t.Fatalf("the opened conversation's page: sidebar unread = %v", got)
		}
		check(agent, "after opening", map[string]int{"unassigned": 1, "open": 1}, 0)
		check(owner, "another agent", map[string]int{"unassigned": 1, "open": 2}, 0)

		// The customer writes again: unread again.
		e.incoming("cust-2", "Bao Tran", "Also, a gift wrap please.")
		check(agent, "a new message", map[string]int{"mine": 1, "unassigned": 1, "open": 2}, 0)
	})
}
