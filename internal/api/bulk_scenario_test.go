package api_test

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// testBulk: one action on many conversations, each changed on its own
// (one event each); one that refuses is reported with why and left as
// it was; the undo puts the rest back; a wrong action changes nothing.
func testBulk(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Bulk"})
	var ids []int64
	for i := range 5 {
		ids = append(ids, e.say(in.ID, fmt.Sprintf("bulk-%d", i), "Hello").ConversationID)
	}
	// One is already resolved: resolving it again is refused for it alone.
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", ids[4]), map[string]any{"status": "resolved"}, 200, nil)
	e.run([]scenario{
		{name: "two things at once", method: "POST", path: "/api/v1/conversations/bulk", body: map[string]any{"ids": ids, "action": map[string]any{"status": "resolved", "priority": "high"}}, status: 400,
			want: []string{"does one thing"}},
		{name: "no conversations", method: "POST", path: "/api/v1/conversations/bulk", body: map[string]any{"ids": []int64{}, "action": map[string]any{"status": "resolved"}}, status: 400},
		{name: "snoozed is not a status here", method: "POST", path: "/api/v1/conversations/bulk", body: map[string]any{"ids": ids, "action": map[string]any{"status": "snoozed"}}, status: 400},
		{name: "a bad priority", method: "POST", path: "/api/v1/conversations/bulk", body: map[string]any{"ids": ids, "action": map[string]any{"priority": "asap"}}, status: 400},
		{name: "undo nothing", method: "POST", path: "/api/v1/conversations/bulk/undo", body: map[string]any{"undo": []any{}}, status: 400},
	})
	var res struct {
		Changed []int64
		Failed  []struct {
			ID     int64
			Reason string
		}
		Undo []map[string]any
	}
	e.call("POST", "/api/v1/conversations/bulk", map[string]any{"ids": append(ids, 999999), "action": map[string]any{"status": "resolved"}}, 200, &res)
	if len(res.Changed) != 4 || len(res.Failed) != 2 || len(res.Undo) != 4 {
		t.Fatalf("resolve: %+v", res)
	}
	for _, id := range ids[:4] {
		if c := e.conversation(id); c.Status != parley.StatusResolved {
			t.Fatalf("conversation %d is %s", id, c.Status)
		}
	}
	e.call("POST", "/api/v1/conversations/bulk", map[string]any{"ids": ids, "action": map[string]any{"add_label": "vip"}}, 200, &res)
	if len(res.Changed) != 5 || e.conversation(ids[0]).Labels[0] != "vip" {
		t.Fatalf("label: %+v %+v", res, e.conversation(ids[0]))
	}
	var undo struct{ Changed []int64 }
	e.call("POST", "/api/v1/conversations/bulk/undo", map[string]any{"undo": res.Undo}, 200, &undo)
	if len(undo.Changed) != 5 || len(e.conversation(ids[0]).Labels) != 0 || e.conversation(ids[0]).Status != parley.StatusResolved {
		t.Fatalf("undo: %+v %+v", undo, e.conversation(ids[0]))
	}
}
