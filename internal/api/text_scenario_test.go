package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestBadBytes: a NUL (or another control character, or invalid UTF-8) in
// customer text is cleaned and stored, the same on both databases; one in
// an id is refused with a 400 that names the field, and nothing is
// stored. No request answers 500 (send fails the test on any 5xx).
func TestBadBytes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		in := e.createInbox(map[string]any{"name": "Support"})
		incoming := fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)

		r := e.receive(in.ID, message{Contact: map[string]string{"external_id": "cust-1", "name": "Ana\x00 Smith\r\n"},
			ExternalMessageID: "m-1", Text: "hello\x00 world\x07, line\nbreak kept"}, 201)
		m := e.message(r.ConversationID, r.MessageID)
		if m.Text != "hello world, line\nbreak kept" {
			t.Errorf("stored text %q", m.Text)
		}
		var c struct{ Name string }
		e.call("GET", fmt.Sprintf("/api/v1/contacts/%d", r.ContactID), nil, 200, &c)
		if c.Name != "Ana Smith" {
			t.Errorf("stored name %q", c.Name)
		}

		before := e.snapshot()
		for _, bad := range []struct {
			name string
			body message
		}{
			{"message id", message{Contact: map[string]string{"external_id": "cust-2"}, ExternalMessageID: "m\x002", Text: "hi"}},
			{"contact id", message{Contact: map[string]string{"external_id": "cust\x003"}, Text: "hi"}},
			{"contact email", message{Contact: map[string]string{"email": "ana\x00@example.com"}, Text: "hi"}},
			{"contact phone", message{Contact: map[string]string{"phone": "+8490123\x004567"}, Text: "hi"}},
			{"newline in a contact id", message{Contact: map[string]string{"external_id": "cust\n4"}, Text: "hi"}},
		} {
			if r := e.send("POST", incoming, nil, bad.body, ""); r.status != 400 {
				t.Errorf("%s with a control character = %s, want 400", bad.name, r)
			}
		}
		if after := e.snapshot(); after != before {
			t.Errorf("refused messages changed the store:\nbefore %+v\nafter  %+v", before, after)
		}

		// Elsewhere: free text is cleaned, lookups by a bad string are a
		// 400 (the store's guard), never a 500.
		e.call("PATCH", fmt.Sprintf("/api/v1/contacts/%d", r.ContactID), map[string]any{"name": "Ana\x00 B"}, 200, &c)
		if c.Name != "Ana B" {
			t.Errorf("patched name %q", c.Name)
		}
		var note struct{ Text string }
		e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", r.ConversationID), map[string]any{"text": "note\x00 here"}, 201, &note)
		if note.Text != "note here" {
			t.Errorf("note text %q", note.Text)
		}
		if r := e.send("GET", "/api/v1/search?q="+url.QueryEscape("hello\x00"), nil, nil, ""); r.status != 200 && r.status != 400 {
			t.Errorf("search with NUL = %s, want 200 or 400", r)
		}
		if r := e.send("GET", "/api/v1/contacts?q="+url.QueryEscape("a\x00"), nil, nil, ""); r.status != 400 {
			t.Errorf("contact search with NUL = %s, want 400", r)
		}
	})
}
