package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// statusReasons returns the conversation.status events after seq as
// "from→to (reason)".
func (e *env) statusReasons(after, conversationID int64) []string {
	e.t.Helper()
	var out []string
	for _, ev := range e.events(after) {
		if ev.Type != parley.EventConversationStatus || ev.ConversationID == nil || *ev.ConversationID != conversationID {
			continue
		}
		var d struct{ From, To, Reason string }
		json.Unmarshal(ev.Data, &d)
		out = append(out, fmt.Sprintf("%s→%s (%s)", d.From, d.To, d.Reason))
	}
	return out
}

// testLifecycle walks a conversation through its statuses via the API.
func testLifecycle(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	r := e.say(in.ID, "c-1", "hello")
	p := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)
	if c := e.conversation(r.ConversationID); c.Status != parley.StatusOpen || c.ResolvedAt != nil || c.ReopenCount != 0 {
		t.Fatalf("new conversation = %+v", c)
	}
	seq0 := e.lastSeq()
	future := e.clock.now().Add(2 * time.Hour).Truncate(time.Second)
	past := e.clock.now().Add(-time.Minute)
	status := func(s string) map[string]any { return map[string]any{"status": s} }
	e.run([]scenario{
		{name: "pend", method: "PATCH", path: p, body: status("pending"), status: 200, want: []string{`"status":"pending"`}},
		{name: "pend again", method: "PATCH", path: p, body: status("pending"), status: 400, want: []string{"already pending"}},
		{name: "open", method: "PATCH", path: p, body: status("open"), status: 200, want: []string{`"status":"open"`}},
		{name: "open again", method: "PATCH", path: p, body: status("open"), status: 400, want: []string{"already open"}},
		{name: "snooze by PATCH", method: "PATCH", path: p, body: status("snoozed"), status: 400, want: []string{"use snooze"}},
		{name: "unknown status", method: "PATCH", path: p, body: status("bogus"), status: 400, want: []string{"bogus"}},
		{name: "empty status", method: "PATCH", path: p, body: status(""), status: 400},
		{name: "null status only", method: "PATCH", path: p, body: `{"status": null}`, status: 400, want: []string{"nothing to change"}},
		{name: "empty change", method: "PATCH", path: p, body: `{}`, status: 400, want: []string{"nothing to change"}},
		{name: "snooze in the past", method: "POST", path: p + "/snooze", body: map[string]any{"until": past}, status: 400, want: []string{"not in the future"}},
		{name: "snooze now-ish", method: "POST", path: p + "/snooze", body: map[string]any{"until": e.clock.now().Add(-time.Second)}, status: 400},
		{name: "snooze over a year", method: "POST", path: p + "/snooze", body: map[string]any{"until": e.clock.now().Add(400 * 24 * time.Hour)},
			status: 400, want: []string{"at most a year"}},
		{name: "snooze until a time", method: "POST", path: p + "/snooze", body: map[string]any{"until": future}, status: 200,
			want: []string{`"status":"snoozed"`, `"snoozed_until":"` + future.UTC().Format(time.RFC3339)}},
		{name: "re-snooze with an offset", method: "POST", path: p + "/snooze",
			body: `{"until": "` + future.Add(time.Hour).In(time.FixedZone("x", 2*3600)).Format(time.RFC3339) + `"}`, status: 200,
			want: []string{`"snoozed_until":"` + future.Add(time.Hour).UTC().Format(time.RFC3339)}},
		{name: "snooze until the customer writes", method: "POST", path: p + "/snooze", body: `{"until": null}`, status: 200,
			want: []string{`"status":"snoozed"`, `"snoozed_until":null`}},
		{name: "snoozed to pending", method: "PATCH", path: p, body: status("pending"), status: 200, want: []string{`"status":"pending"`}},
		{name: "snooze from pending", method: "POST", path: p + "/snooze", body: `{"until": null}`, status: 200, want: []string{`"status":"snoozed"`}},
	})
	// A customer message wakes the snoozed conversation.
	w := e.say(in.ID, "c-1", "are you there?")
	if w.ConversationID != r.ConversationID || w.Reopened || w.NewConversation {
		t.Fatalf("message to a snoozed conversation = %+v", w)
	}
	if c := e.conversation(r.ConversationID); c.Status != parley.StatusOpen || c.SnoozedUntil != nil {
		t.Fatalf("after the customer wrote: %+v, want open and not snoozed", c)
	}
	// A customer message on a pending conversation opens it.
	e.call("PATCH", p, status("pending"), 200, nil)
	e.say(in.ID, "c-1", "here is the info")
	if c := e.conversation(r.ConversationID); c.Status != parley.StatusOpen {
		t.Fatalf("pending conversation after a customer message: %s", c.Status)
	}

	var resolved parley.Conversation
	e.call("PATCH", p, status("resolved"), 200, &resolved)
	if resolved.Status != parley.StatusResolved || resolved.ResolvedAt == nil {
		t.Fatalf("resolved = %+v", resolved)
	}
	e.run([]scenario{
		{name: "resolve again", method: "PATCH", path: p, body: status("resolved"), status: 400, want: []string{"already resolved"}},
		{name: "pend a resolved one", method: "PATCH", path: p, body: status("pending"), status: 400,
			want: []string{"cannot mark as pending a conversation that is resolved"}},
		{name: "snooze a resolved one", method: "POST", path: p + "/snooze", body: `{"until": null}`, status: 400,
			want: []string{"cannot snooze a conversation that is resolved"}},
		{name: "timed snooze of a resolved one", method: "POST", path: p + "/snooze", body: map[string]any{"until": future}, status: 400},
	})
	// Inside the reopen window a customer message reopens it.
	re := e.say(in.ID, "c-1", "one more thing")
	if !re.Reopened || re.NewConversation || re.ConversationID != r.ConversationID {
		t.Fatalf("message inside the reopen window = %+v", re)
	}
	if c := e.conversation(r.ConversationID); c.Status != parley.StatusOpen || c.ReopenCount != 1 {
		t.Fatalf("reopened conversation = %+v, want open with reopen_count 1", c)
	}
	// An agent can reopen too; that counts.
	e.call("PATCH", p, status("resolved"), 200, nil)
	var reopened parley.Conversation
	e.call("PATCH", p, status("open"), 200, &reopened)
	if reopened.ReopenCount != 2 || reopened.Status != parley.StatusOpen {
		t.Fatalf("agent reopen = %+v", reopened)
	}
	got := e.statusReasons(seq0, r.ConversationID)
	want := []string{"open→pending (agent)", "pending→open (agent)", "open→snoozed (agent)", "snoozed→snoozed (agent)", "snoozed→snoozed (agent)",
		"snoozed→pending (agent)", "pending→snoozed (agent)", "snoozed→open (customer_message)", "open→pending (agent)",
		"pending→open (customer_message)", "open→resolved (agent)", "resolved→open (customer_message)", "open→resolved (agent)", "resolved→open (agent)"}
	if !slices.Equal(got, want) {
		t.Fatalf("status events:\n got %q\nwant %q", got, want)
	}
}

// testReopenWindow: after the inbox's reopen window a customer message
// starts a new conversation that continues the old one, and its history
// holds both.
func testReopenWindow(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support", "reopen_window_seconds": 3600})
	first := e.say(in.ID, "c-1", "my parcel is lost")
	c1 := first.ConversationID
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", c1), map[string]any{"text": "we are looking"}, 201, nil)
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", c1), map[string]any{"status": "resolved", "priority": "urgent"}, 200, nil)

	e.advance(30 * time.Minute)
	r := e.say(in.ID, "c-1", "still not here")
	if !r.Reopened || r.ConversationID != c1 {
		t.Fatalf("message 30 minutes after resolution = %+v, want conversation %d reopened", r, c1)
	}
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", c1), map[string]any{"status": "resolved"}, 200, nil)

	e.advance(2 * time.Hour)
	seq := e.lastSeq()
	r = e.say(in.ID, "c-1", "it never came")
	c2 := r.ConversationID
	if c2 == c1 || !r.NewConversation || r.Reopened {
		t.Fatalf("message 2 hours after resolution = %+v, want a new conversation", r)
	}
	conv2 := e.conversation(c2)
	if conv2.PreviousID == nil || *conv2.PreviousID != c1 || conv2.Status != parley.StatusOpen || conv2.ReopenCount != 0 {
		t.Fatalf("new conversation = %+v, want previous_id %d", conv2, c1)
	}
	if conv2.Priority != parley.PriorityUrgent {
		t.Errorf("new conversation priority = %s, want the previous one's (urgent)", conv2.Priority)
	}
	if old := e.conversation(c1); old.Status != parley.StatusResolved || old.ReopenCount != 1 {
		t.Fatalf("old conversation = %+v, want resolved with reopen_count 1", old)
	}
	if reasons := e.statusReasons(seq, c1); len(reasons) != 0 {
		t.Fatalf("old conversation changed status: %v", reasons)
	}

	// The new conversation's history holds both, oldest first.
	hist := e.messages(c2)
	texts := make([]string, len(hist))
	for i, m := range hist {
		texts[i] = m.Text
		if i > 0 && (m.ID <= hist[i-1].ID || m.CreatedAt.Before(hist[i-1].CreatedAt)) {
			t.Errorf("history out of order at %d: %+v after %+v", i, m, hist[i-1])
		}
	}
	if want := []string{"my parcel is lost", "we are looking", "still not here", "it never came"}; !slices.Equal(texts, want) {
		t.Fatalf("history of %d = %q, want %q", c2, texts, want)
	}
	if hist[0].ConversationID != c1 || hist[3].ConversationID != c2 {
		t.Fatalf("history conversation ids = %d…%d", hist[0].ConversationID, hist[3].ConversationID)
	}
	// The old conversation's own history does not include the new one.
	if old := e.messages(c1); len(old) != 3 {
		t.Fatalf("history of the old conversation has %d messages, want 3", len(old))
	}

	// A third conversation continues the chain; its history has all three.
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", c2), map[string]any{"status": "resolved"}, 200, nil)
	e.advance(3 * time.Hour)
	c3 := e.say(in.ID, "c-1", "third time").ConversationID
	if c3 == c2 || e.conversation(c3).PreviousID == nil || *e.conversation(c3).PreviousID != c2 {
		t.Fatalf("third conversation %d does not continue %d", c3, c2)
	}
	if h := e.messages(c3); len(h) != 5 || h[0].Text != "my parcel is lost" || h[4].Text != "third time" {
		t.Fatalf("history of the third conversation = %+v", h)
	}

	// A longer window, set through the API, applies to the next message.
	e.call("PATCH", fmt.Sprintf("/api/v1/inboxes/%d", in.ID), map[string]any{"reopen_window_seconds": 30 * 24 * 3600}, 200, nil)
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", c3), map[string]any{"status": "resolved"}, 200, nil)
	e.advance(10 * 24 * time.Hour)
	if r := e.say(in.ID, "c-1", "ten days later"); r.ConversationID != c3 || !r.Reopened {
		t.Fatalf("message 10 days later with a 30-day window = %+v, want %d reopened", r, c3)
	}
	// Another contact's conversations are not part of the chain.
	other := e.say(in.ID, "c-2", "unrelated")
	if h := e.messages(other.ConversationID); len(h) != 1 {
		t.Fatalf("another contact's history = %+v", h)
	}
}

// testSnoozeTimer: a timed snooze wakes the conversation when its time
// comes, through the durable job; a newer snooze supersedes an older one.
func testSnoozeTimer(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	id := e.say(in.ID, "c-1", "hello").ConversationID
	p := fmt.Sprintf("/api/v1/conversations/%d/snooze", id)

	doneWakes := func() int {
		var out struct{ Jobs []store.Job }
		e.call("GET", "/api/v1/jobs?status=done", nil, 200, &out)
		n := 0
		for _, j := range out.Jobs {
			if j.Kind == "snooze.wake" {
				n++
			}
		}
		return n
	}
	e.call("POST", p, map[string]any{"until": e.clock.now().Add(time.Hour)}, 200, nil)
	e.call("POST", p, map[string]any{"until": e.clock.now().Add(5 * time.Hour)}, 200, nil)
	seq := e.lastSeq()
	e.advance(2 * time.Hour)
	eventually(t, "the first wake-up job to run", func() bool { return doneWakes() == 1 })
	if c := e.conversation(id); c.Status != parley.StatusSnoozed {
		t.Fatalf("after the superseded wake-up: %s, want still snoozed", c.Status)
	}
	e.advance(4 * time.Hour)
	eventually(t, "the conversation to wake", func() bool { return e.conversation(id).Status == parley.StatusOpen })
	if c := e.conversation(id); c.SnoozedUntil != nil {
		t.Fatalf("woken conversation still has snoozed_until %v", c.SnoozedUntil)
	}
	if got := e.statusReasons(seq, id); !slices.Equal(got, []string{"snoozed→open (snooze_expired)"}) {
		t.Fatalf("status events = %q", got)
	}

	// A customer message before the time wakes it; the timer then leaves it alone.
	e.call("POST", p, map[string]any{"until": e.clock.now().Add(time.Hour)}, 200, nil)
	e.say(in.ID, "c-1", "never mind, I'm back")
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", id), map[string]any{"status": "pending"}, 200, nil)
	e.advance(2 * time.Hour)
	eventually(t, "the stale wake-up job to run", func() bool { return doneWakes() == 3 })
	if c := e.conversation(id); c.Status != parley.StatusPending {
		t.Fatalf("a stale wake-up changed the conversation to %s", c.Status)
	}
}

// testConversationFields: labels, priority, assignee and team.
func testConversationFields(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	id := e.say(in.ID, "c-1", "hello").ConversationID
	p := fmt.Sprintf("/api/v1/conversations/%d", id)
	var ag struct{ Agent parley.Agent }
	e.call("POST", "/api/v1/agents", map[string]any{"email": "alice@example.com", "name": "Alice"}, 201, &ag)
	var team parley.Team
	e.call("POST", "/api/v1/teams", map[string]any{"name": "Billing"}, 201, &team)
	labels := func(l ...string) map[string]any { return map[string]any{"labels": l} }
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("l%d", i)
	}
	e.run([]scenario{
		{name: "set labels", method: "PATCH", path: p, body: labels("Billing", " vip ", "billing"), status: 200, want: []string{`"labels":["billing","vip"]`}},
		{name: "get labels", method: "GET", path: p, status: 200, want: []string{`"labels":["billing","vip"]`}},
		{name: "empty label", method: "PATCH", path: p, body: labels("ok", " "), status: 400, want: []string{"labels cannot be empty"}},
		{name: "label with comma", method: "PATCH", path: p, body: labels("a,b"), status: 400, want: []string{"commas"}},
		{name: "label with newline", method: "PATCH", path: p, body: labels("a\nb"), status: 400},
		{name: "label too long", method: "PATCH", path: p, body: labels(strings.Repeat("x", 65)), status: 400, want: []string{"longer than 64"}},
		{name: "label of 64", method: "PATCH", path: p, body: labels("vip", strings.Repeat("x", 64)), status: 200},
		{name: "too many labels", method: "PATCH", path: p, body: labels(many...), status: 400, want: []string{"at most 50"}},
		{name: "fifty labels", method: "PATCH", path: p, body: labels(many[:50]...), status: 200},
		{name: "labels back", method: "PATCH", path: p, body: labels("vip", "billing"), status: 200, want: []string{`"labels":["billing","vip"]`}},
		{name: "priority", method: "PATCH", path: p, body: map[string]any{"priority": "urgent"}, status: 200, want: []string{`"priority":"urgent"`}},
		{name: "bad priority", method: "PATCH", path: p, body: map[string]any{"priority": "asap"}, status: 400, want: []string{"asap"}},
		{name: "empty priority", method: "PATCH", path: p, body: map[string]any{"priority": ""}, status: 400},
		{name: "assign", method: "PATCH", path: p, body: map[string]any{"assignee_id": ag.Agent.ID}, status: 200,
			want: []string{fmt.Sprintf(`"assignee_id":%d`, ag.Agent.ID)}},
		{name: "assign unknown agent", method: "PATCH", path: p, body: map[string]any{"assignee_id": 999999}, status: 404, want: []string{"agent 999999"}},
		{name: "assign negative agent", method: "PATCH", path: p, body: map[string]any{"assignee_id": -3}, status: 404},
		{name: "team", method: "PATCH", path: p, body: map[string]any{"team_id": team.ID}, status: 200, want: []string{fmt.Sprintf(`"team_id":%d`, team.ID)}},
		{name: "unknown team", method: "PATCH", path: p, body: map[string]any{"team_id": 999999}, status: 404, want: []string{"team 999999"}},
		// All or nothing: a valid part with an invalid one changes nothing.
		{name: "partly invalid", method: "PATCH", path: p, body: map[string]any{"priority": "low", "labels": []string{"new"}, "assignee_id": 999999}, status: 404},
		{name: "partly invalid status", method: "PATCH", path: p, body: map[string]any{"priority": "low", "team_id": 0, "status": "open"}, status: 400,
			want: []string{"already open"}},
		{name: "partly invalid label", method: "PATCH", path: p, body: map[string]any{"priority": "low", "labels": []string{""}}, status: 400},
	})
	c := e.conversation(id)
	if c.Priority != parley.PriorityUrgent || !slices.Equal(c.Labels, []string{"billing", "vip"}) || c.AssigneeID == nil || c.TeamID == nil {
		t.Fatalf("after the refused changes: %+v", c)
	}

	// Several changes at once: one event each, in one answer.
	seq := e.lastSeq()
	var after parley.Conversation
	e.call("PATCH", p, map[string]any{"status": "pending", "priority": "high", "assignee_id": 0, "team_id": 0, "labels": []string{}}, 200, &after)
	if after.Status != parley.StatusPending || after.Priority != parley.PriorityHigh || after.AssigneeID != nil || after.TeamID != nil || len(after.Labels) != 0 {
		t.Fatalf("after clearing: %+v", after)
	}
	if got := e.conversation(id); got.AssigneeID != nil || got.TeamID != nil || len(got.Labels) != 0 || got.Priority != parley.PriorityHigh {
		t.Fatalf("stored after clearing: %+v", got)
	}
	var types []string
	for _, ev := range e.events(seq) {
		types = append(types, ev.Type)
	}
	slices.Sort(types)
	want := []string{parley.EventConversationAssigned, parley.EventConversationLabels, parley.EventConversationPriority,
		parley.EventConversationStatus, parley.EventConversationTeam}
	if !slices.Equal(types, want) {
		t.Fatalf("events = %v, want %v", types, want)
	}
	// Setting what is already set writes no event.
	seq = e.lastSeq()
	e.call("PATCH", p, map[string]any{"priority": "high", "assignee_id": 0, "team_id": 0, "labels": []string{}}, 200, nil)
	if s := e.lastSeq(); s != seq {
		t.Fatalf("a no-op change wrote %d events", s-seq)
	}
}

// testListPagination pages through 30 conversations, most recent activity first.
func testListPagination(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	var created []int64
	for i := range 30 {
		e.advance(time.Second)
		created = append(created, e.say(in.ID, fmt.Sprintf("c-%02d", i), fmt.Sprintf("message %d", i)).ConversationID)
	}
	newestFirst := slices.Clone(created)
	slices.Reverse(newestFirst)

	pages := func(limit int) ([]int64, []int) {
		var all []int64
		var sizes []int
		cursor := ""
		for range 100 {
			path := fmt.Sprintf("/api/v1/conversations?limit=%d", limit)
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			var page store.ConversationPage
			e.call("GET", path, nil, 200, &page)
			all = append(all, convIDs(page.Conversations)...)
			sizes = append(sizes, len(page.Conversations))
			checkActivityOrder(t, page.Conversations)
			if page.NextCursor == "" {
				return all, sizes
			}
			cursor = page.NextCursor
		}
		t.Fatal("pages never ended")
		return nil, nil
	}
	got, sizes := pages(10)
	if !slices.Equal(got, newestFirst) || !slices.Equal(sizes, []int{10, 10, 10}) {
		t.Fatalf("pages of 10 = %v (sizes %v), want %v", got, sizes, newestFirst)
	}
	got, sizes = pages(7)
	if !slices.Equal(got, newestFirst) || !slices.Equal(sizes, []int{7, 7, 7, 7, 2}) {
		t.Fatalf("pages of 7 = %v (sizes %v)", got, sizes)
	}
	if got, _ = pages(100); !slices.Equal(got, newestFirst) {
		t.Fatalf("one page = %v", got)
	}

	// Activity moves a conversation to the top: a reply, a note, a customer message.
	for _, bump := range []struct {
		idx  int
		path string
		body any
	}{
		{4, "/api/v1/conversations/%d/messages", map[string]any{"text": "reply"}},
		{10, "/api/v1/conversations/%d/notes", map[string]any{"text": "note"}},
	} {
		e.advance(time.Second)
		e.call("POST", fmt.Sprintf(bump.path, created[bump.idx]), bump.body, 201, nil)
		got, _ = pages(10)
		if got[0] != created[bump.idx] || len(got) != 30 {
			t.Fatalf("after activity on %d the list starts with %d (%d items)", created[bump.idx], got[0], len(got))
		}
	}
	e.advance(time.Second)
	e.say(in.ID, "c-20", "customer again")
	got, _ = pages(10)
	want := []int64{created[20], created[10], created[4]}
	if !slices.Equal(got[:3], want) || len(got) != 30 || len(slices.Compact(sortedCopy(got))) != 30 {
		t.Fatalf("after three bumps: %v, want it to start %v", got, want)
	}

	// Keyset paging is stable while conversations arrive: a new one
	// lands on top and does not shift later pages.
	var p1 store.ConversationPage
	e.call("GET", "/api/v1/conversations?limit=10", nil, 200, &p1)
	e.advance(time.Second)
	newID := e.say(in.ID, "c-new", "late arrival").ConversationID
	rest := convIDs(p1.Conversations)
	cursor := p1.NextCursor
	for cursor != "" {
		var p store.ConversationPage
		e.call("GET", "/api/v1/conversations?limit=10&cursor="+cursor, nil, 200, &p)
		rest = append(rest, convIDs(p.Conversations)...)
		cursor = p.NextCursor
	}
	if !slices.Equal(rest, got) || slices.Contains(rest, newID) {
		t.Fatalf("paging across an arrival = %v, want %v", rest, got)
	}

	// Conversations with the same last activity are ordered by id and
	// none is lost or repeated across pages.
	e.clock.freeze()
	var same []int64
	for i := range 12 {
		same = append(same, e.say(in.ID, fmt.Sprintf("tie-%d", i), "same instant").ConversationID)
	}
	e.clock.unfreeze()
	got, _ = pages(5)
	slices.Reverse(same)
	if !slices.Equal(got[:12], same) || len(got) != 43 || len(slices.Compact(sortedCopy(got))) != 43 {
		t.Fatalf("ties paged as %v, want them first as %v (43 in all)", got, same)
	}
}

// checkActivityOrder checks most recent activity first, then higher id first.
func checkActivityOrder(t *testing.T, list []parley.Conversation) {
	t.Helper()
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		if a.LastActivityAt.Before(b.LastActivityAt) || (a.LastActivityAt.Equal(b.LastActivityAt) && a.ID < b.ID) {
			t.Fatalf("list out of order: %d (%v) before %d (%v)", a.ID, a.LastActivityAt, b.ID, b.LastActivityAt)
		}
	}
}

// testListFilters checks each list filter against the full list.
func testListFilters(t *testing.T, dialect string) {
	e := start(t, dialect)
	a := e.createInbox(map[string]any{"name": "A"})
	b := e.createInbox(map[string]any{"name": "B"})
	var ag struct{ Agent parley.Agent }
	e.call("POST", "/api/v1/agents", map[string]any{"email": "alice@example.com", "name": "Alice"}, 201, &ag)
	alice := ag.Agent.ID
	var team parley.Team
	e.call("POST", "/api/v1/teams", map[string]any{"name": "Billing"}, 201, &team)

	var contactOf5 int64
	for i := range 16 {
		e.advance(time.Second)
		in := a.ID
		if i%3 == 0 {
			in = b.ID
		}
		contact := map[string]string{"external_id": fmt.Sprintf("c-%d", i)}
		if i == 5 || i == 6 {
			contact["email"] = "five@example.com" // one person in both inboxes
		}
		r := e.receive(in, message{Contact: contact, Text: fmt.Sprintf("message %d", i)}, 201)
		if i == 5 {
			contactOf5 = r.ContactID
		}
		p := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)
		change := map[string]any{}
		switch i % 4 {
		case 1:
			change["status"] = "pending"
		case 2:
			change["status"] = "resolved"
		}
		if i%5 == 0 {
			change["labels"] = []string{"vip", "billing"}
		} else if i%5 == 1 {
			change["labels"] = []string{"billing"}
		}
		if i%2 == 0 {
			change["assignee_id"] = alice
		}
		if i%3 == 1 {
			change["priority"] = "high"
			change["team_id"] = team.ID
		}
		if len(change) > 0 {
			e.call("PATCH", p, change, 200, nil)
		}
	}
	// Snooze one.
	all := e.allConversations("")
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/snooze", all[0].ID), `{"until": null}`, 200, nil)
	all = e.allConversations("")
	if len(all) < 10 {
		t.Fatalf("only %d conversations", len(all))
	}

	for _, f := range []struct {
		query string
		keep  func(c parley.Conversation) bool
	}{
		{"status=open", func(c parley.Conversation) bool { return c.Status == parley.StatusOpen }},
		{"status=pending", func(c parley.Conversation) bool { return c.Status == parley.StatusPending }},
		{"status=resolved", func(c parley.Conversation) bool { return c.Status == parley.StatusResolved }},
		{"status=snoozed", func(c parley.Conversation) bool { return c.Status == parley.StatusSnoozed }},
		{fmt.Sprintf("inbox_id=%d", b.ID), func(c parley.Conversation) bool { return c.InboxID == b.ID }},
		{fmt.Sprintf("inbox_id=%d", a.ID), func(c parley.Conversation) bool { return c.InboxID == a.ID }},
		{"inbox_id=999", func(c parley.Conversation) bool { return false }},
		{"assignee_id=none", func(c parley.Conversation) bool { return c.AssigneeID == nil }},
		{fmt.Sprintf("assignee_id=%d", alice), func(c parley.Conversation) bool { return c.AssigneeID != nil && *c.AssigneeID == alice }},
		{"label=vip", func(c parley.Conversation) bool { return slices.Contains(c.Labels, "vip") }},
		{"label=billing", func(c parley.Conversation) bool { return slices.Contains(c.Labels, "billing") }},
		{"label=nope", func(c parley.Conversation) bool { return false }},
		{"priority=high", func(c parley.Conversation) bool { return c.Priority == parley.PriorityHigh }},
		{"priority=normal", func(c parley.Conversation) bool { return c.Priority == parley.PriorityNormal }},
		{fmt.Sprintf("team_id=%d", team.ID), func(c parley.Conversation) bool { return c.TeamID != nil && *c.TeamID == team.ID }},
		{fmt.Sprintf("contact_id=%d", contactOf5), func(c parley.Conversation) bool { return c.ContactID == contactOf5 }},
		{fmt.Sprintf("inbox_id=%d&status=open&label=billing", a.ID), func(c parley.Conversation) bool {
			return c.InboxID == a.ID && c.Status == parley.StatusOpen && slices.Contains(c.Labels, "billing")
		}},
		{fmt.Sprintf("assignee_id=none&priority=high&inbox_id=%d", a.ID), func(c parley.Conversation) bool {
			return c.AssigneeID == nil && c.Priority == parley.PriorityHigh && c.InboxID == a.ID
		}},
	} {
		var want []int64
		for _, c := range all {
			if f.keep(c) {
				want = append(want, c.ID)
			}
		}
		if got := convIDs(e.allConversations(f.query)); !slices.Equal(got, want) {
			t.Errorf("?%s = %v, want %v", f.query, got, want)
		}
		// And in pages of 2.
		var got []int64
		cursor := ""
		for {
			path := "/api/v1/conversations?limit=2&" + f.query
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			var page store.ConversationPage
			e.call("GET", path, nil, 200, &page)
			got = append(got, convIDs(page.Conversations)...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("?%s in pages of 2 = %v, want %v", f.query, got, want)
		}
	}
	if n := len(e.allConversations(fmt.Sprintf("contact_id=%d", contactOf5))); n != 2 {
		t.Errorf("contact %d has %d conversations, want 2 (one per inbox)", contactOf5, n)
	}
}
