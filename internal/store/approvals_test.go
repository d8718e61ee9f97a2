package store_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestApprovalPolicies: policies round-trip, bad fields and unknown inboxes
// are refused, and deleting one keeps the requests it made.
func TestApprovalPolicies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		p := parley.ApprovalPolicy{Name: " Big refunds ", InboxID: &in.ID, Condition: `amount > 100`, ApproverIDs: []int64{3, 3, 5}, Enabled: true}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateApprovalPolicy(&p) })
		got, err := db.ApprovalPolicy(ctx, p.ID)
		if err != nil || got.Name != "Big refunds" || *got.InboxID != in.ID || len(got.ApproverIDs) != 2 || !got.Enabled {
			t.Fatalf("ApprovalPolicy = %+v, %v", got, err)
		}
		got.InboxID, got.ApproverIDs, got.Enabled = nil, nil, false
		mustWrite(t, db, func(tx *store.Tx) error { return tx.UpdateApprovalPolicy(&got) })
		list, err := db.ApprovalPolicies(ctx)
		if err != nil || len(list) != 1 || list[0].InboxID != nil || len(list[0].ApproverIDs) != 0 || list[0].Enabled {
			t.Fatalf("after update = %+v, %v", list, err)
		}
		bad := []parley.ApprovalPolicy{
			{Name: "", Condition: "amount > 1"},
			{Name: "x", Condition: "  "},
			{Name: "x", Condition: "amount > 1", ApproverIDs: []int64{-1}},
		}
		for _, b := range bad {
			err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateApprovalPolicy(&b) })
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("create %+v: %v, want invalid", b, err)
			}
		}
		missing := int64(99999)
		err = db.Write(ctx, func(tx *store.Tx) error {
			return tx.CreateApprovalPolicy(&parley.ApprovalPolicy{Name: "x", Condition: "true", InboxID: &missing})
		})
		if parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("unknown inbox: %v", err)
		}
		if list, _ := db.ApprovalPolicies(ctx); len(list) != 1 {
			t.Errorf("refused policies were stored: %+v", list)
		}
		err = db.Write(ctx, func(tx *store.Tx) error { return tx.DeleteApprovalPolicy(missing) })
		if parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("delete unknown: %v", err)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.DeleteApprovalPolicy(p.ID) })
		if _, err := db.ApprovalPolicy(ctx, p.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("deleted policy: %v", err)
		}
	})
}

// TestApprovalRequests: a request is created pending with an audit row
// and an event; a decision is a compare-and-swap, so of many concurrent
// decisions exactly one wins and the others get ECONFLICT; the audit shows
// every transition.
func TestApprovalRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		agent := mustAgent(t, db, "asker@example.com", parley.RoleAgent)
		boss := mustAgent(t, db, "boss@example.com", parley.RoleAdmin)
		c, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "a"})
		var conv parley.Conversation
		var first parley.Message
		mustWrite(t, db, func(tx *store.Tx) error {
			conv = parley.Conversation{InboxID: in.ID, ContactID: c.ID}
			if err := tx.CreateConversation(&conv, nil); err != nil {
				return err
			}
			first = parley.Message{Direction: parley.Incoming, Text: "refund please", AuthorContactID: &c.ID}
			if err := tx.CreateMessage(&conv, &first); err != nil {
				return err
			}
			note := parley.Message{Direction: parley.Note, Text: "checking", AuthorAgentID: &agent.ID}
			return tx.CreateMessage(&conv, &note)
		})
		mustWrite(t, db, func(tx *store.Tx) error {
			last, err := tx.LastExchangedMessage(conv.ID, 0)
			if err != nil || last != first.ID {
				t.Errorf("LastExchangedMessage = %d, %v; want %d (notes do not count)", last, err, first.ID)
			}
			if last, _ := tx.LastExchangedMessage(conv.ID, first.ID); last != 0 {
				t.Errorf("LastExchangedMessage except the only one = %d", last)
			}
			return nil
		})
		seq, _ := db.LastEventSeq(ctx)
		r := parley.ApprovalRequest{Kind: "reply", ConversationID: &conv.ID, PolicyName: "Big refunds", RequestedBy: &agent.ID,
			Payload: json.RawMessage(`{"text":"We refund 250 EUR"}`), Reason: "refund of 250.00 EUR > 100", Binding: "abc",
			BoundState: json.RawMessage(`{"last_message_id":1,"status":"open"}`), ApproverIDs: []int64{boss.ID}}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateApprovalRequest(&r) })
		if r.ID == 0 || r.State != parley.ApprovalPending {
			t.Fatalf("created %+v", r)
		}
		got, err := db.ApprovalRequest(ctx, r.ID)
		if err != nil || string(got.Payload) != string(r.Payload) || got.Binding != "abc" || *got.RequestedBy != agent.ID ||
			len(got.ApproverIDs) != 1 || got.ApproverIDs[0] != boss.ID || got.DecidedAt != nil {
			t.Fatalf("ApprovalRequest = %+v, %v", got, err)
		}
		evs, _ := db.Events(ctx, seq, 10)
		if len(evs) != 1 || evs[0].Type != parley.EventApprovalRequested || *evs[0].ConversationID != conv.ID || *evs[0].ContactID != c.ID {
			t.Fatalf("events after request = %+v", evs)
		}
		if n, _ := db.PendingApprovals(ctx); n != 1 {
			t.Errorf("PendingApprovals = %d", n)
		}

		// Eight deciders at once: one approval wins.
		var wg sync.WaitGroup
		results := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := parley.ApprovalApproved
				if i%2 == 1 {
					to = parley.ApprovalRejected
				}
				results <- db.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.DecideApproval(r.ID, store.Decision{To: to, AgentID: &boss.ID, Note: "ok", ResultMessage: &first.ID})
					return err
				})
			}()
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			switch parley.ErrorCode(err) {
			case "":
				won++
			case parley.ECONFLICT:
			default:
				t.Errorf("decide: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d decisions won, want 1", won)
		}
		got, _ = db.ApprovalRequest(ctx, r.ID)
		if got.State == parley.ApprovalPending || *got.DecidedBy != boss.ID || got.DecidedAt == nil {
			t.Errorf("decided = %+v", got)
		}
		audit, err := db.ApprovalAudit(ctx, r.ID)
		if err != nil || len(audit) != 2 || audit[0].From != "" || audit[0].To != parley.ApprovalPending ||
			audit[1].From != parley.ApprovalPending || audit[1].To != got.State || *audit[1].AgentID != boss.ID {
			t.Errorf("audit = %+v, %v", audit, err)
		}
		if n, _ := db.PendingApprovals(ctx); n != 0 {
			t.Errorf("PendingApprovals after decision = %d", n)
		}
		mine, err := db.ApprovalRequests(ctx, store.ApprovalFilter{RequestedBy: &agent.ID, State: got.State})
		if err != nil || len(mine) != 1 || mine[0].ID != r.ID {
			t.Errorf("ApprovalRequests(mine) = %+v, %v", mine, err)
		}
		if none, _ := db.ApprovalRequests(ctx, store.ApprovalFilter{State: parley.ApprovalPending}); len(none) != 0 {
			t.Errorf("pending after decision = %+v", none)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.DecideApproval(r.ID, store.Decision{To: parley.ApprovalPending})
			return err
		})
		if parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("decide back to pending: %v", err)
		}
	})
}
