package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// testSearch: full-text search with filters, paging, and queries full of
// FTS5 and tsquery syntax that must be taken as plain words.
func testSearch(t *testing.T, dialect string) {
	e := start(t, dialect)
	a := e.createInbox(map[string]any{"name": "A"})
	b := e.createInbox(map[string]any{"name": "B"})
	var ag struct{ Agent parley.Agent }
	e.call("POST", "/api/v1/agents", map[string]any{"email": "alice@example.com", "name": "Alice"}, 201, &ag)

	t0 := e.clock.now()
	m1 := e.say(a.ID, "c-1", "Refund for order 1234 please")
	e.advance(time.Hour)
	m2 := e.say(a.ID, "c-2", "Shipping delay on my order")
	e.advance(time.Hour)
	m3 := e.say(b.ID, "c-3", "refund refunded refunding")
	e.advance(time.Hour)
	var m4, note parley.Message
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", m1.ConversationID), map[string]any{"text": "Your REFUND is on its way"}, 201, &m4)
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", m1.ConversationID), map[string]any{"text": "internal: refund approved"}, 201, &note)
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", m2.ConversationID), map[string]any{"status": "resolved"}, 200, nil)
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", m3.ConversationID), map[string]any{"assignee_id": ag.Agent.ID}, 200, nil)
	e.say(a.ID, "c-4", "Ünïcödé grüße and 東京 office") // non-ASCII words

	search := func(q url.Values) ([]int64, []store.SearchResult, response) {
		t.Helper()
		r := e.send("GET", "/api/v1/search?"+q.Encode(), nil, nil, "")
		if r.status != 200 {
			t.Fatalf("search %s = %s", q.Encode(), r)
		}
		var out struct {
			Results      []store.SearchResult `json:"results"`
			NextBeforeID int64                `json:"next_before_id"`
		}
		decodeInto(t, r, &out)
		if out.Results == nil {
			t.Fatalf("search %s: results is null, want a list", q.Encode())
		}
		return ids(out.Results, func(s store.SearchResult) int64 { return s.ID }), out.Results, r
	}
	v := func(kv ...string) url.Values {
		q := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	mid := t0.Add(90 * time.Minute).Format(time.RFC3339Nano)
	for _, c := range []struct {
		q    url.Values
		want []int64
	}{
		{v("q", "refund"), []int64{note.ID, m4.ID, m3.MessageID, m1.MessageID}},
		{v("q", "REFUND"), []int64{note.ID, m4.ID, m3.MessageID, m1.MessageID}},
		{v("q", "refund order"), []int64{m1.MessageID}},
		{v("q", "order"), []int64{m2.MessageID, m1.MessageID}},
		{v("q", "refu*"), []int64{note.ID, m4.ID, m3.MessageID, m1.MessageID}},
		{v("q", "refunding"), []int64{m3.MessageID}},
		{v("q", "1234"), []int64{m1.MessageID}},
		{v("q", "grüße"), nil},
		{v("q", "東京"), nil},
		{v("q", "nothingmatches"), []int64{}},
		{v("q", "refund", "inbox_id", fmt.Sprint(b.ID)), []int64{m3.MessageID}},
		{v("q", "refund", "inbox_id", fmt.Sprint(a.ID)), []int64{note.ID, m4.ID, m1.MessageID}},
		{v("q", "order", "status", "resolved"), []int64{m2.MessageID}},
		{v("q", "order", "status", "open"), []int64{m1.MessageID}},
		{v("q", "refund", "status", "snoozed"), []int64{}},
		{v("q", "refund", "assignee_id", fmt.Sprint(ag.Agent.ID)), []int64{m3.MessageID}},
		{v("q", "refund", "contact_id", fmt.Sprint(m1.ContactID)), []int64{note.ID, m4.ID, m1.MessageID}},
		{v("q", "refund", "from", mid), []int64{note.ID, m4.ID, m3.MessageID}},
		{v("q", "refund", "to", mid), []int64{m1.MessageID}},
		{v("q", "refund", "from", mid, "to", t0.Add(150*time.Minute).Format(time.RFC3339Nano)), []int64{m3.MessageID}},
		{v("q", "refund", "from", t0.Add(24*time.Hour).Format(time.RFC3339)), []int64{}},
		{v("q", "refund", "before_id", fmt.Sprint(m3.MessageID)), []int64{m1.MessageID}},
	} {
		got, _, _ := search(c.q)
		if c.want == nil {
			if len(got) != 1 {
				t.Errorf("search %s = %v, want one result", c.q.Encode(), got)
			}
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("search %s = %v, want %v", c.q.Encode(), got, c.want)
		}
	}
	// Results carry their conversation's status, inbox and contact.
	_, res, _ := search(v("q", "shipping"))
	if len(res) != 1 || res[0].Status != parley.StatusResolved || res[0].InboxID != a.ID || res[0].ContactID != m2.ContactID || res[0].Text != "Shipping delay on my order" {
		t.Fatalf("search result = %+v", res)
	}

	// Paging with limit and next_before_id.
	var all []int64
	q := v("q", "refund", "limit", "3")
	for range 10 {
		r := e.send("GET", "/api/v1/search?"+q.Encode(), nil, nil, "")
		var page struct {
			Results      []store.SearchResult `json:"results"`
			NextBeforeID int64                `json:"next_before_id"`
		}
		decodeInto(t, r, &page)
		all = append(all, ids(page.Results, func(s store.SearchResult) int64 { return s.ID })...)
		if page.NextBeforeID == 0 {
			break
		}
		q.Set("before_id", fmt.Sprint(page.NextBeforeID))
	}
	if want := []int64{note.ID, m4.ID, m3.MessageID, m1.MessageID}; !slices.Equal(all, want) {
		t.Fatalf("paged search = %v, want %v", all, want)
	}

	// Query syntax of either engine is plain text: never an error.
	for _, s := range []string{
		`"refund`, `refund"`, `"refund"`, `refund*`, `*refund`, `(refund`, `refund)`, `(refund OR order)`,
		`refund NEAR order`, `NEAR(refund order)`, `NEAR`, `near/2`, `text:refund`, `refund:*`, `{text}: refund`, `refund AND`, `OR refund`,
		`NOT refund`, `-refund`, `+refund`, `refund^2`, `refund & order`, `refund | order`, `!refund`, `refund <-> order`, `refund <2> order`,
		`'refund'`, `refund'`, `\refund`, `refund\`, `refund%`, `%refund_`, `re_fund`, `refund;`, `refund -- x`, `refund/*x*/`,
		`refund' OR '1'='1`, `refund"); DROP TABLE messages; --`, `ø*`, `a*b*c*`, `x` + string(rune(0x2028)) + `refund`,
		"refund\u00a0order", "refund\torder", `🙂 refund`, `１２３４`, `a:b:c`, `rowid:1`, `messages_fts:refund`, `^refund`, `refund$`,
		`ꭰrefund`, `aꭰb`, `Ⴀrefund`, "re\u0301fund", `ǅ`, `ß`, `İstanbul`, `ﬁ`,
	} {
		r := e.send("GET", "/api/v1/search?"+url.Values{"q": {s}}.Encode(), nil, nil, "")
		if r.status != 200 {
			t.Errorf("search q=%q = %s, want 200", s, r)
		}
	}
	// A query with no word at all is refused like a missing one, never a 500.
	for _, s := range []string{`"`, `*`, `()`, `:`, `"*"`, `-`, `^`, `🙂`, `...`} {
		r := e.send("GET", "/api/v1/search?"+url.Values{"q": {s}}.Encode(), nil, nil, "")
		if r.status != 400 && r.status != 200 {
			t.Errorf("search q=%q = %s, want 400 (no word) or 200", s, r)
		}
	}
	// The refund query with syntax around it still finds the refunds.
	for _, s := range []string{`"refund"`, `(refund)`, `refund*`, `+refund`, `refund:`} {
		if got, _, _ := search(v("q", s)); len(got) != 4 {
			t.Errorf("search q=%q found %v, want the 4 refund messages", s, got)
		}
	}
}

// testEvents: the event log pages by seq, oldest first.
func testEvents(t *testing.T, dialect string) {
	e := start(t, dialect)
	e.run([]scenario{
		{name: "empty log", method: "GET", path: "/api/v1/events", status: 200, want: []string{`"events":[]`, `"last_seq":0`}},
		{name: "empty log after", method: "GET", path: "/api/v1/events?after=500", status: 200, want: []string{`"events":[]`, `"last_seq":500`}},
	})
	in := e.createInbox(map[string]any{"name": "Support"})
	r := e.say(in.ID, "c-1", "hello")
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID), map[string]any{"text": "hi"}, 201, nil)
	e.call("PATCH", fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID), map[string]any{"status": "resolved"}, 200, nil)

	all := e.events(0)
	var types []string
	for i, ev := range all {
		types = append(types, ev.Type)
		if i > 0 && ev.Seq <= all[i-1].Seq {
			t.Fatalf("events out of order: %d after %d", ev.Seq, all[i-1].Seq)
		}
		if ev.ConversationID != nil && *ev.ConversationID != r.ConversationID {
			t.Errorf("event %+v names another conversation", ev)
		}
	}
	want := []string{parley.EventContactCreated, parley.EventConversationCreated, parley.EventMessageCreated, parley.EventMessageCreated,
		parley.EventConversationStatus}
	if !slices.Equal(types, want) {
		t.Fatalf("event types = %v, want %v", types, want)
	}
	if m := all[2]; m.MessageID == nil || *m.MessageID != r.MessageID || m.ContactID == nil || *m.ContactID != r.ContactID {
		t.Fatalf("message.created event = %+v", m)
	}
	// Paging two at a time gives the same log.
	var paged []int64
	after := int64(0)
	for {
		var page struct {
			Events  []parley.Event `json:"events"`
			LastSeq int64          `json:"last_seq"`
		}
		e.call("GET", fmt.Sprintf("/api/v1/events?after=%d&limit=2", after), nil, 200, &page)
		if len(page.Events) > 2 {
			t.Fatalf("limit=2 gave %d events", len(page.Events))
		}
		if len(page.Events) == 0 {
			if page.LastSeq != after {
				t.Fatalf("empty page last_seq = %d, want %d", page.LastSeq, after)
			}
			break
		}
		for _, ev := range page.Events {
			paged = append(paged, ev.Seq)
		}
		after = page.LastSeq
	}
	if !slices.Equal(paged, ids(all, func(ev parley.Event) int64 { return ev.Seq })) {
		t.Fatalf("paged seqs = %v", paged)
	}
}
