package widget_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestTypingAndSeen: the visitor's typing reaches the team as an event
// (not before they have written); the team's typing and an agent
// opening the conversation reach the visitor's stream as "typing" and
// "seen"; the history says when the team last saw it.
func TestTypingAndSeen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := start(t, dialect, nil, nil)
		ctx := context.Background()
		v := f.newVisitor()
		if status, _ := v.do("POST", "/typing", nil); status != http.StatusNoContent {
			t.Fatalf("typing before writing = %d", status)
		}
		before, _ := f.env.App.DB.LastEventSeq(ctx)
		conv := f.conversationOf(v.say("Is the blue one in stock?"))
		if status, _ := v.do("POST", "/typing", nil); status != http.StatusNoContent {
			t.Fatalf("typing = %d", status)
		}
		events, _ := f.env.App.DB.Events(ctx, before, 100)
		typed := 0
		for _, ev := range events {
			if ev.Type == parley.EventTyping && strings.Contains(string(ev.Data), `"customer"`) && ev.ConversationID != nil && *ev.ConversationID == conv {
				typed++
			}
		}
		if typed != 1 {
			t.Fatalf("%d typing events from the visitor", typed)
		}

		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		req := v.request("GET", "/stream", nil).WithContext(sctx)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stream: %v %v", resp, err)
		}
		names := make(chan string, 10)
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					names <- name
				}
			}
		}()
		time.Sleep(100 * time.Millisecond)
		agent, _, err := f.env.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: "a@example.com", Name: "Ann", Role: parley.RoleAgent}, "a long enough password 1")
		if err != nil {
			t.Fatal(err)
		}
		c, _ := f.env.App.DB.Conversation(ctx, conv)
		if err := f.env.App.DB.Typing(ctx, c, &agent.ID, "agent"); err != nil {
			t.Fatal(err)
		}
		if err := f.env.App.DB.MarkRead(ctx, agent.ID, conv); err != nil {
			t.Fatal(err)
		}
		// Opening it again says nothing more: the customer's messages
		// were seen already.
		if err := f.env.App.DB.MarkRead(ctx, agent.ID, conv); err != nil {
			t.Fatal(err)
		}
		var got []string
		deadline := time.After(5 * time.Second)
		for len(got) < 2 {
			select {
			case n := <-names:
				if n != "heartbeat" {
					got = append(got, n)
				}
			case <-deadline:
				t.Fatalf("the stream gave %v", got)
			}
		}
		if got[0] != "typing" || got[1] != "seen" {
			t.Fatalf("the stream gave %v", got)
		}
		select {
		case n := <-names:
			t.Fatalf("one more: %s", n)
		case <-time.After(300 * time.Millisecond):
		}
		var h struct {
			AgentSeenAt *time.Time `json:"agent_seen_at"`
		}
		v.json("GET", "/messages", nil, 200, &h)
		if h.AgentSeenAt == nil {
			t.Fatal("the history does not say when the team saw it")
		}
	})
}
