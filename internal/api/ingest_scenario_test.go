package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// testIngest: POST /inboxes/{id}/incoming stores a customer message once.
func testIngest(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	other := e.createInbox(map[string]any{"name": "Other"})
	path := fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)
	first := message{Contact: map[string]string{"external_id": "u-1", "name": "  Ann  "}, ExternalMessageID: "m-1", Text: "my order is late"}

	seq0 := e.lastSeq()
	r1 := e.receive(in.ID, first, 201)
	if r1.ContactID == 0 || r1.ConversationID == 0 || r1.MessageID == 0 || r1.Duplicate || !r1.NewConversation || r1.Reopened {
		t.Fatalf("first delivery = %+v", r1)
	}
	seq1 := e.lastSeq()
	if seq1 <= seq0 {
		t.Fatalf("first delivery wrote no events (last_seq %d → %d)", seq0, seq1)
	}
	types := map[string]int{}
	for _, ev := range e.events(seq0) {
		types[ev.Type]++
	}
	for _, want := range []string{parley.EventContactCreated, parley.EventConversationCreated, parley.EventMessageCreated} {
		if types[want] != 1 {
			t.Errorf("first delivery events = %v, want one %s", types, want)
		}
	}

	// The same external_message_id again, even with other text: 200, the
	// same ids, nothing new.
	for i, again := range []message{first, {Contact: map[string]string{"external_id": "u-1"}, ExternalMessageID: "m-1", Text: "changed"},
		{Contact: map[string]string{"external_id": "someone-else"}, ExternalMessageID: "m-1", Text: "from another contact"}} {
		r := e.receive(in.ID, again, 200)
		if r.ContactID != r1.ContactID || r.ConversationID != r1.ConversationID || r.MessageID != r1.MessageID || !r.Duplicate || r.NewConversation {
			t.Fatalf("redelivery %d = %+v, want the ids of %+v", i, r, r1)
		}
	}
	if seq := e.lastSeq(); seq != seq1 {
		t.Fatalf("redeliveries wrote events: last_seq %d → %d", seq1, seq)
	}
	if msgs := e.messages(r1.ConversationID); len(msgs) != 1 || msgs[0].Text != "my order is late" || msgs[0].ExternalID != "m-1" ||
		msgs[0].Direction != parley.Incoming || msgs[0].AuthorContactID == nil || *msgs[0].AuthorContactID != r1.ContactID {
		t.Fatalf("messages after redeliveries = %+v", msgs)
	}
	var c parley.Contact
	e.call("GET", fmt.Sprintf("/api/v1/contacts/%d", r1.ContactID), nil, 200, &c)
	if c.Name != "Ann" {
		t.Fatalf("contact name = %q, want trimmed %q", c.Name, "Ann")
	}

	// The same external id in another inbox is another message.
	r2 := e.receive(other.ID, first, 201)
	if r2.MessageID == r1.MessageID || r2.ConversationID == r1.ConversationID {
		t.Fatalf("same external id in another inbox = %+v, first %+v", r2, r1)
	}
	// A second message from the same contact joins the open conversation.
	r3 := e.receive(in.ID, message{Contact: map[string]string{"external_id": "u-1"}, ExternalMessageID: "m-2", Text: "any news?"}, 201)
	if r3.ConversationID != r1.ConversationID || r3.ContactID != r1.ContactID || r3.NewConversation {
		t.Fatalf("second message = %+v, want conversation %d", r3, r1.ConversationID)
	}
	// Messages without an external id are never deduplicated.
	r4 := e.receive(in.ID, message{Contact: map[string]string{"external_id": "u-1"}, Text: "hello?"}, 201)
	r5 := e.receive(in.ID, message{Contact: map[string]string{"external_id": "u-1"}, Text: "hello?"}, 201)
	if r4.MessageID == r5.MessageID {
		t.Fatal("two messages without external ids were merged")
	}

	long := strings.Repeat("x", parley.MaxTextLength+1)
	e.run([]scenario{
		{name: "charset in content type", method: "POST", path: path, header: map[string]string{"Content-Type": "application/json; charset=utf-8"},
			body: message{Contact: map[string]string{"external_id": "u-2"}, Text: "hi"}, status: 201},
		{name: "no content type", method: "POST", path: path, header: map[string]string{"Content-Type": "-"},
			body: message{Contact: map[string]string{"external_id": "u-2"}, Text: "hi again"}, status: 201},
		{name: "no contact", method: "POST", path: path, body: map[string]any{"text": "hi"}, status: 400, want: []string{"external_id, email or phone"}},
		{name: "empty contact", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"name": "Nobody"}, "text": "hi"}, status: 400},
		{name: "no text", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"external_id": "u-9"}}, status: 400,
			want: []string{"text or at least one attachment"}},
		{name: "blank text", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"external_id": "u-9"}, "text": " \n\t "}, status: 400},
		{name: "text too long", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"external_id": "u-9"}, "text": long},
			status: 413, want: []string{"longer than"}},
		{name: "bad email", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"email": "not-an-email"}, "text": "hi"},
			status: 400, want: []string{"not-an-email"}},
		{name: "email with a display name", method: "POST", path: path,
			body: map[string]any{"contact": map[string]any{"email": "Ann <ann@example.com>"}, "text": "hi"}, status: 400},
		{name: "bad phone", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"phone": "555-1234"}, "text": "hi"},
			status: 400, want: []string{"international format"}},
		{name: "phone with letters", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"phone": "+1 555 CALL NOW"}, "text": "hi"}, status: 400},
		{name: "long message id", method: "POST", path: path,
			body:   map[string]any{"contact": map[string]any{"external_id": "u-9"}, "external_message_id": strings.Repeat("m", 256), "text": "hi"},
			status: 400, want: []string{"at most 255"}},
		{name: "long contact id", method: "POST", path: path,
			body: map[string]any{"contact": map[string]any{"external_id": strings.Repeat("u", 256)}, "text": "hi"}, status: 400},
		{name: "long name", method: "POST", path: path,
			body: map[string]any{"contact": map[string]any{"external_id": "u-9", "name": strings.Repeat("n", 201)}, "text": "hi"}, status: 400},
		{name: "invalid utf-8", method: "POST", path: path, body: []byte("{\"contact\":{\"external_id\":\"u-9\"},\"text\":\"\xff\xfe\"}"),
			status: 201, notWant: []string{"\xff"}}, // encoding/json replaces invalid bytes with U+FFFD
		{name: "too many attachments", method: "POST", path: path, body: map[string]any{"contact": map[string]any{"external_id": "u-9"}, "text": "hi",
			"attachments": make([]map[string]string, 21)}, status: 400, want: []string{"at most 20"}},
		{name: "unknown inbox", method: "POST", path: "/api/v1/inboxes/777/incoming",
			body: map[string]any{"contact": map[string]any{"external_id": "u-9"}, "text": "hi"}, status: 404, want: []string{"inbox 777"}},
	})

	// Phone numbers are stored in E.164 and emails lower-cased.
	r := e.receive(in.ID, message{Contact: map[string]string{"phone": "+1 (555) 010-9999", "email": " Zed@Example.COM "}, Text: "call me"}, 201)
	e.call("GET", fmt.Sprintf("/api/v1/contacts/%d", r.ContactID), nil, 200, &c)
	if c.Phone != "+15550109999" || c.Email != "zed@example.com" {
		t.Fatalf("contact = %+v, want normalised phone and email", c)
	}
	if again := e.receive(in.ID, message{Contact: map[string]string{"phone": "+15550109999"}, Text: "still me"}, 201); again.ContactID != r.ContactID {
		t.Fatalf("the same phone made contact %d, want %d", again.ContactID, r.ContactID)
	}
}

// testIngestConcurrent: 20 concurrent deliveries of one message store it once.
func testIngestConcurrent(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	const n = 20
	for round, m := range []message{
		// A new contact and a new conversation, delivered 20 times at once.
		{Contact: map[string]string{"external_id": "racer", "email": "racer@example.com"}, ExternalMessageID: "dup-1", Text: "first"},
		// A message to that existing conversation, delivered 20 times at once.
		{Contact: map[string]string{"external_id": "racer"}, ExternalMessageID: "dup-2", Text: "second"},
	} {
		seq0 := e.lastSeq()
		var wg sync.WaitGroup
		results := make([]inbox.Received, n)
		statuses := make([]int, n)
		bodies := make([]string, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// Not e.send: t.Fatal must not be called off the test goroutine.
				b, _ := json.Marshal(m)
				req, _ := http.NewRequest("POST", e.URL+fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID), bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+e.Token)
				resp, err := client.Do(req)
				if err != nil {
					bodies[i] = err.Error()
					return
				}
				defer resp.Body.Close()
				out, _ := io.ReadAll(resp.Body)
				statuses[i], bodies[i] = resp.StatusCode, string(out)
				json.Unmarshal(out, &results[i])
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i := range n {
			switch statuses[i] {
			case 201:
				created++
			case 200:
				if !results[i].Duplicate {
					t.Errorf("round %d: 200 without duplicate: %s", round, bodies[i])
				}
			default:
				t.Fatalf("round %d: delivery %d = %d %s", round, i, statuses[i], bodies[i])
			}
			if results[i].MessageID != results[0].MessageID || results[i].ConversationID != results[0].ConversationID ||
				results[i].ContactID != results[0].ContactID {
				t.Errorf("round %d: delivery %d = %+v, delivery 0 = %+v", round, i, results[i], results[0])
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d deliveries answered 201, want exactly 1", round, created)
		}
		// Exactly one message.created event.
		count := 0
		for _, ev := range e.events(seq0) {
			if ev.Type == parley.EventMessageCreated {
				count++
			}
		}
		if count != 1 {
			t.Fatalf("round %d: %d message.created events, want 1", round, count)
		}
	}
	convs := e.allConversations("")
	if len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
	if msgs := e.messages(convs[0].ID); len(msgs) != 2 {
		t.Fatalf("%d messages stored, want 2: %+v", len(msgs), msgs)
	}
	if cs := e.allContacts(); len(cs) != 1 {
		t.Fatalf("%d contacts, want 1", len(cs))
	}

	// Writes that fail after writing part of their change, sent at the
	// same time as good ones (so they share group commits), roll back
	// alone: the good ones all land, the bad ones leave no trace.
	target := convs[0].ID
	seq0 := e.lastSeq()
	var wg sync.WaitGroup
	statuses := make([]int, 2*n)
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, path, body := "PATCH", fmt.Sprintf("/api/v1/conversations/%d", target),
				`{"priority": "urgent", "labels": ["half-done"], "assignee_id": 999999}`
			if i%2 == 0 {
				method, path = "POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)
				body = fmt.Sprintf(`{"contact": {"external_id": "good-%d"}, "text": "good %d"}`, i, i)
			}
			req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.Token)
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		if want := map[bool]int{true: 201, false: 404}[i%2 == 0]; st != want {
			t.Errorf("concurrent request %d = %d, want %d", i, st, want)
		}
	}
	if c := e.conversation(target); c.Priority != parley.PriorityNormal || len(c.Labels) != 0 {
		t.Fatalf("failed concurrent changes left priority %s labels %v", c.Priority, c.Labels)
	}
	created := 0
	for _, ev := range e.events(seq0) {
		switch ev.Type {
		case parley.EventConversationPriority, parley.EventConversationLabels:
			t.Errorf("a failed change left event %+v", ev)
		case parley.EventMessageCreated:
			created++
		}
	}
	if created != n || len(e.allConversations("")) != 1+n {
		t.Fatalf("%d messages created by %d good concurrent requests", created, n)
	}
}

// testContactIdentity: a contact known by external id in one API inbox and
// by the same email from a second one is one contact.
func testContactIdentity(t *testing.T, dialect string) {
	e := start(t, dialect)
	shop := e.createInbox(map[string]any{"name": "Shop"})
	crm := e.createInbox(map[string]any{"name": "CRM"})

	r1 := e.receive(shop.ID, message{Contact: map[string]string{"external_id": "shop-42", "email": "Ann@Example.COM", "name": "Ann"}, Text: "hi from the shop"}, 201)
	r2 := e.receive(crm.ID, message{Contact: map[string]string{"external_id": "crm-7", "email": "ann@example.com"}, Text: "hi from the crm"}, 201)
	if r2.ContactID != r1.ContactID {
		t.Fatalf("same email from a second inbox made contact %d, want %d", r2.ContactID, r1.ContactID)
	}
	if r2.ConversationID == r1.ConversationID || !r2.NewConversation {
		t.Fatalf("second inbox shares conversation %d; each inbox has its own", r2.ConversationID)
	}
	// Later the CRM id alone, and the shop id alone, find the same person.
	r3 := e.receive(crm.ID, message{Contact: map[string]string{"external_id": "crm-7"}, Text: "crm id only"}, 201)
	r4 := e.receive(shop.ID, message{Contact: map[string]string{"external_id": "shop-42"}, Text: "shop id only"}, 201)
	if r3.ContactID != r1.ContactID || r4.ContactID != r1.ContactID || r3.ConversationID != r2.ConversationID || r4.ConversationID != r1.ConversationID {
		t.Fatalf("later messages = %+v, %+v; want contact %d", r3, r4, r1.ContactID)
	}
	// An external id is scoped to its inbox: "shop-42" in the CRM inbox is someone else.
	r5 := e.receive(crm.ID, message{Contact: map[string]string{"external_id": "shop-42"}, Text: "who am I"}, 201)
	if r5.ContactID == r1.ContactID {
		t.Fatal("an external id from one inbox matched a contact in another")
	}

	var c parley.Contact
	e.call("GET", fmt.Sprintf("/api/v1/contacts/%d", r1.ContactID), nil, 200, &c)
	if c.Email != "ann@example.com" || c.Name != "Ann" {
		t.Fatalf("contact = %+v", c)
	}
	type key struct {
		kind  string
		scope int64
		id    string
	}
	got := map[key]bool{}
	for _, id := range c.Identities {
		if id.ContactID != c.ID {
			t.Errorf("identity %+v belongs to another contact", id)
		}
		got[key{id.Kind, id.Scope, id.ExternalID}] = true
	}
	want := []key{{parley.IdentityExternal, shop.ID, "shop-42"}, {parley.IdentityEmail, 0, "ann@example.com"}, {parley.IdentityExternal, crm.ID, "crm-7"}}
	for _, k := range want {
		if !got[k] {
			t.Errorf("identities %+v lack %+v", c.Identities, k)
		}
	}
	if len(c.Identities) != len(want) {
		t.Errorf("identities = %+v, want exactly %+v", c.Identities, want)
	}
	// Both conversations are listed under the one contact.
	list := e.allConversations(fmt.Sprintf("contact_id=%d", c.ID))
	if got := sortedCopy(convIDs(list)); len(got) != 2 || got[0] != r1.ConversationID || got[1] != r2.ConversationID {
		t.Fatalf("conversations of contact %d = %v", c.ID, got)
	}
	// The contacts list has two people: Ann, and the stranger in the CRM.
	if cs := e.allContacts(); len(cs) != 2 {
		t.Fatalf("contacts = %+v, want 2", cs)
	}
}
