package widget_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// widgetConfig is the part of GET /config about who is there.
type widgetConfig struct {
	ReplyTimeText string `json:"reply_time_text"`
	AgentsOnline  bool   `json:"agents_online"`
	AskEmail      bool   `json:"ask_email"`
}

// TestWidgetOnlineFollowsAvailability: the widget's "online" is the
// availability agents chose, not whether they loaded a page of Parley
// lately. An agent who went offline with a tab open is not online, so
// the email prompt (ask when offline) shows and the promise names no
// time; one who chose online is, whatever their last page load.
func TestWidgetOnlineFollowsAvailability(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := start(t, dialect, nil, func(in *parley.Inbox) { in.EmailAsk = parley.EmailAskOffline })
		maya := f.agentNamed("Maya")
		config := func() widgetConfig {
			t.Helper()
			var c widgetConfig
			f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
			return c
		}
		if c := config(); !c.AgentsOnline || c.AskEmail || c.ReplyTimeText != "We usually reply within a few minutes" {
			t.Fatalf("Maya online: %+v", c)
		}
		// Maya goes offline but keeps her inbox open (a page load a second ago).
		if err := f.env.App.Inbox.SetAvailability(ctx, inbox.System, maya, parley.Offline, "test"); err != nil {
			t.Fatal(err)
		}
		if err := f.env.App.Inbox.TouchPresence(ctx, maya); err != nil {
			t.Fatal(err)
		}
		if c := config(); c.AgentsOnline || !c.AskEmail || c.ReplyTimeText != "We're away right now. We'll reply as soon as we're back." {
			t.Fatalf("Maya offline with a tab open: %+v", c)
		}
		// Away counts as not there too.
		if err := f.env.App.Inbox.SetAvailability(ctx, inbox.System, maya, parley.Away, "test"); err != nil {
			t.Fatal(err)
		}
		if c := config(); c.AgentsOnline || !c.AskEmail {
			t.Fatalf("Maya away: %+v", c)
		}
	})
}

// TestWidgetOnlineIsTheInboxsTeam: an inbox routed to a team is online
// only when a member of that team is: someone in another team being online
// does not answer this inbox's visitors.
func TestWidgetOnlineIsTheInboxsTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := start(t, dialect, nil, func(in *parley.Inbox) { in.EmailAsk = parley.EmailAskOffline })
		team, err := f.env.App.Inbox.CreateTeam(ctx, inbox.System, parley.Team{Name: "Billing"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.inbox.Routing.TeamID = &team.ID
		if _, err := f.env.App.Inbox.UpdateInbox(ctx, inbox.System, f.inbox, nil); err != nil {
			t.Fatal(err)
		}
		f.agentNamed("Sales") // online, not in the team
		var c widgetConfig
		f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
		if c.AgentsOnline || !c.AskEmail {
			t.Fatalf("only another team online: %+v", c)
		}
		if err := f.env.App.Inbox.SetTeamMember(ctx, inbox.System, team.ID, f.agentNamed("Bea"), true); err != nil {
			t.Fatal(err)
		}
		f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
		if !c.AgentsOnline || c.AskEmail {
			t.Fatalf("a team member online: %+v", c)
		}
	})
}

// TestWidgetPromiseCountsTheQueue: before the visitor writes, the widget
// promises what the acknowledgement will: with the only agent full and one
// customer waiting, number 2 in line, 4 h + 4 h = 8 h.
func TestWidgetPromiseCountsTheQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		var off atomic.Int64 // the app's clock runs ahead by this much
		clock := func() time.Time { return time.Now().UTC().Add(time.Duration(off.Load())) }
		f := start(t, dialect, clock, func(in *parley.Inbox) {
			in.Routing.AutoAssign, in.Routing.Ack.Enabled = true, true
		})
		maya := f.agentNamed("Maya")
		if err := f.env.App.Inbox.SetCapacity(ctx, inbox.System, maya, 1); err != nil {
			t.Fatal(err)
		}
		var c widgetConfig
		f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
		if c.ReplyTimeText != "We usually reply within 4 hours." {
			t.Fatalf("with room: %q", c.ReplyTimeText)
		}
		for i, id := range []string{"queue-msg-1", "queue-msg-2"} {
			var sent struct {
				Message struct {
					ID int64 `json:"id"`
				} `json:"message"`
			}
			f.newVisitor().json("POST", "/messages", map[string]any{"id": id, "text": "hello"}, http.StatusCreated, &sent)
			conv := f.conversationOf(sent.Message.ID)
			for deadline := time.Now().Add(5 * time.Second); i == 0; time.Sleep(20 * time.Millisecond) {
				// Maya takes the first before the second arrives.
				if c, err := f.env.App.DB.Conversation(ctx, conv); err == nil && c.AssigneeID != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the first conversation was never assigned")
				}
			}
		}
		off.Add(int64(inbox.ExpectedTTL)) // past the reused answer
		f.visitor().json("GET", "/config", nil, http.StatusOK, &c)
		if c.ReplyTimeText != "We usually reply within 8 hours." {
			t.Fatalf("number 2 in line: %q", c.ReplyTimeText)
		}
	})
}
