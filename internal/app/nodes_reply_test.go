package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// TestTwoNodesReplyTogether: agents on two nodes answer the same
// conversations at the same moment, many times. Each node's writer batches
// its replies into shared transactions that lock conversation rows (SELECT
// … FOR UPDATE) in the order the replies came, so two nodes can lock the
// same two conversations in opposite orders and PostgreSQL breaks the
// deadlock by failing one transaction. No agent may see that: every reply
// succeeds, and each is stored once.
func TestTwoNodesReplyTogether(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	var in struct{ ID int64 }
	a.JSON("POST", "/api/v1/inboxes", map[string]any{"name": "Support"}, 201, &in)
	var convs []int64
	for i := range 3 {
		var r inbox.Received
		a.JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID),
			map[string]any{"contact": map[string]string{"external_id": fmt.Sprintf("c-%d", i)}, "text": "help"}, 201, &r)
		convs = append(convs, r.ConversationID)
	}
	ag, _, err := a.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: "owner@example.com", Name: "Owner", Role: parley.RoleOwner}, "a password for tests only")
	if err != nil {
		t.Fatal(err)
	}
	actor := inbox.Actor{AgentID: &ag.ID, Role: parley.RoleOwner}

	const workers, replies = 8, 30 // per node
	var mu sync.Mutex
	var failed []error
	sent := map[int64]int{} // message id → times returned
	texts := map[string]bool{}
	var wg sync.WaitGroup
	for n, node := range []*apptest.Env{a, b} {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range replies {
					// Mostly the first conversation, the one both nodes
					// answer; the others make batches that hold two.
					conv := convs[0]
					if rand.IntN(2) == 0 {
						conv = convs[1+rand.IntN(len(convs)-1)]
					}
					text := fmt.Sprintf("reply %d-%d-%d", n, w, i)
					m, err := node.App.Inbox.Reply(ctx, actor, conv, inbox.Outgoing{Text: text})
					mu.Lock()
					if err != nil {
						failed = append(failed, fmt.Errorf("%s: %w", text, err))
					} else {
						sent[m.ID]++
						texts[text] = true
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for _, err := range failed[:min(len(failed), 5)] {
		t.Errorf("a reply failed: %v", err)
	}
	if len(failed) > 0 {
		t.Fatalf("%d of %d replies failed", len(failed), 2*workers*replies)
	}
	msgs, err := a.App.DB.Messages(ctx, convs)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, m := range msgs {
		if m.Direction == parley.Outgoing {
			stored[m.Text]++
			if sent[m.ID] != 1 {
				t.Errorf("message %d (%q) was returned to %d callers", m.ID, m.Text, sent[m.ID])
			}
		}
	}
	if len(stored) != 2*workers*replies || len(texts) != 2*workers*replies {
		t.Errorf("%d distinct replies stored, %d acknowledged, want %d", len(stored), len(texts), 2*workers*replies)
	}
	for text, n := range stored {
		if n != 1 {
			t.Errorf("%q is stored %d times", text, n)
		}
	}
}
