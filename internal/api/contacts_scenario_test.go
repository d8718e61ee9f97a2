package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func (e *env) contact(id int64) parley.Contact {
	e.t.Helper()
	var c parley.Contact
	e.call("GET", fmt.Sprintf("/api/v1/contacts/%d", id), nil, 200, &c)
	return c
}

// testContacts: listing, searching and editing contacts.
func testContacts(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	ann := e.receive(in.ID, message{Contact: map[string]string{"external_id": "a", "email": "ann@example.com", "name": "Ann"}, Text: "hi"}, 201).ContactID
	bob := e.receive(in.ID, message{Contact: map[string]string{"external_id": "b", "phone": "+1 555 000 1111", "name": "Bob Smith"}, Text: "hi"}, 201).ContactID
	carol := e.receive(in.ID, message{Contact: map[string]string{"external_id": "c", "name": "Carol_100%"}, Text: "hi"}, 201).ContactID

	list := func(q string) []int64 {
		var out struct{ Contacts []parley.Contact }
		e.call("GET", "/api/v1/contacts?"+q, nil, 200, &out)
		return ids(out.Contacts, func(c parley.Contact) int64 { return c.ID })
	}
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"", []int64{carol, bob, ann}},
		{"q=ann", []int64{ann}},
		{"q=BOB", []int64{bob}},
		{"q=5550001", []int64{bob}},
		{"q=example.com", []int64{ann}},
		{"q=%25", []int64{carol}},         // a literal %, not a wildcard
		{"q=_", []int64{carol}},           // a literal _, not a wildcard
		{"q=car_l", []int64{}},            // _ does not match any character
		{"q=%5C", []int64{}},              // a backslash is no escape
		{"q=nobody", []int64{}},           //
		{"q=%27%20OR%201%3D1", []int64{}}, // ' OR 1=1
		{"limit=2", []int64{carol, bob}},
		{fmt.Sprintf("before_id=%d", bob), []int64{ann}},
	} {
		if got := list(c.q); !slices.Equal(got, c.want) {
			t.Errorf("contacts?%s = %v, want %v", c.q, got, c.want)
		}
	}
	r := e.send("GET", "/api/v1/contacts?limit=2", nil, nil, "")
	if !strings.Contains(string(r.body), fmt.Sprintf(`"next_before_id":%d`, bob)) {
		t.Errorf("first page of 2 = %s, want next_before_id %d", r, bob)
	}

	p := fmt.Sprintf("/api/v1/contacts/%d", ann)
	e.run([]scenario{
		{name: "rename", method: "PATCH", path: p, body: map[string]any{"name": "  Ann Lee "}, status: 200, want: []string{`"name":"Ann Lee"`}},
		{name: "new email", method: "PATCH", path: p, body: map[string]any{"email": "ANN.LEE@Example.com"}, status: 200,
			want: []string{`"email":"ann.lee@example.com"`, `"external_id":"ann.lee@example.com"`}},
		{name: "phone", method: "PATCH", path: p, body: map[string]any{"phone": "+44 20 7946 0958"}, status: 200, want: []string{`"phone":"+442079460958"`}},
		{name: "bad email", method: "PATCH", path: p, body: map[string]any{"email": "ann@"}, status: 400, want: []string{"not a valid address"}},
		{name: "bad phone", method: "PATCH", path: p, body: map[string]any{"phone": "0044 20"}, status: 400},
		{name: "long name", method: "PATCH", path: p, body: map[string]any{"name": strings.Repeat("n", 201)}, status: 400, want: []string{"200 characters"}},
		{name: "someone else's phone", method: "PATCH", path: p, body: map[string]any{"phone": "+15550001111"}, status: 409,
			want: []string{"belongs to contact", "merge"}},
		{name: "someone else's email", method: "PATCH", path: fmt.Sprintf("/api/v1/contacts/%d", bob), body: map[string]any{"email": "ann.lee@example.com"},
			status: 409},
		{name: "partly conflicting", method: "PATCH", path: fmt.Sprintf("/api/v1/contacts/%d", bob),
			body: map[string]any{"name": "Robert", "email": "ann@example.com"}, status: 409},
		{name: "unknown contact", method: "PATCH", path: "/api/v1/contacts/999999", body: map[string]any{"name": "X"}, status: 404},
		{name: "get", method: "GET", path: p, status: 200, want: []string{`"name":"Ann Lee"`, `"identities":[`}},
		{name: "merges of a contact never merged", method: "GET", path: fmt.Sprintf("/api/v1/contacts/%d/merges", bob), status: 200,
			want: []string{`"merges":[]`}},
	})
	if c := e.contact(bob); c.Name != "Bob Smith" || c.Email != "" {
		t.Fatalf("bob after refused edits = %+v", c)
	}
	// Messages to the new email reach Ann.
	if got := e.receive(in.ID, message{Contact: map[string]string{"email": "ann.lee@example.com"}, Text: "new address"}, 201).ContactID; got != ann {
		t.Fatalf("message to Ann's new email went to contact %d", got)
	}
}

// testMerge: merging moves the source's conversations and identities to
// the target; unmerging moves them back.
func testMerge(t *testing.T, dialect string) {
	e := start(t, dialect)
	one := e.createInbox(map[string]any{"name": "One"})
	two := e.createInbox(map[string]any{"name": "Two"})
	a := e.receive(one.ID, message{Contact: map[string]string{"external_id": "a", "name": "Ann"}, Text: "I am Ann"}, 201)
	b1 := e.receive(one.ID, message{Contact: map[string]string{"external_id": "b", "email": "b@example.com"}, Text: "I am B"}, 201)
	b2 := e.receive(two.ID, message{Contact: map[string]string{"email": "b@example.com", "phone": "+15550002222"}, Text: "B again"}, 201)
	c := e.receive(one.ID, message{Contact: map[string]string{"external_id": "c"}, Text: "I am C"}, 201)
	A, B, C := a.ContactID, b1.ContactID, c.ContactID
	if b2.ContactID != B {
		t.Fatalf("b2 contact = %d, want %d", b2.ContactID, B)
	}
	beforeA, beforeB := e.contact(A), e.contact(B)
	convsOf := func(id int64) []int64 {
		return sortedCopy(convIDs(e.allConversations(fmt.Sprintf("contact_id=%d", id))))
	}

	var m parley.ContactMerge
	e.call("POST", fmt.Sprintf("/api/v1/contacts/%d/merge", A), map[string]any{"source_id": B}, 200, &m)
	if m.ID == 0 || m.TargetID != A || m.SourceID != B || m.UnmergedAt != nil ||
		!slices.Equal(sortedCopy(m.ConversationIDs), []int64{b1.ConversationID, b2.ConversationID}) || len(m.IdentityIDs) != len(beforeB.Identities) {
		t.Fatalf("merge = %+v", m)
	}
	if got := convsOf(A); !slices.Equal(got, sortedCopy([]int64{a.ConversationID, b1.ConversationID, b2.ConversationID})) {
		t.Fatalf("A's conversations after the merge = %v", got)
	}
	if got := convsOf(B); len(got) != 0 {
		t.Fatalf("B's conversations after the merge = %v", got)
	}
	if got := e.contact(B); got.MergedInto == nil || *got.MergedInto != A || len(got.Identities) != 0 {
		t.Fatalf("B after the merge = %+v", got)
	}
	if got := e.contact(A); len(got.Identities) != len(beforeA.Identities)+len(beforeB.Identities) || got.Email != "b@example.com" || got.Name != "Ann" {
		t.Fatalf("A after the merge = %+v", got)
	}
	for _, x := range e.allContacts() {
		if x.ID == B {
			t.Fatal("a merged contact is still listed")
		}
	}
	// B's ids now reach A.
	if got := e.receive(one.ID, message{Contact: map[string]string{"external_id": "b"}, Text: "B after merge"}, 201); got.ContactID != A ||
		got.ConversationID != b1.ConversationID {
		t.Fatalf("message from B's id after the merge = %+v", got)
	}

	mergePath := fmt.Sprintf("/api/v1/contacts/%d/merge", A)
	var mc parley.ContactMerge
	e.run([]scenario{
		{name: "merges of the target", method: "GET", path: fmt.Sprintf("/api/v1/contacts/%d/merges", A), status: 200,
			want: []string{fmt.Sprintf(`"id":%d`, m.ID)}},
		{name: "merges of the source", method: "GET", path: fmt.Sprintf("/api/v1/contacts/%d/merges", B), status: 200,
			want: []string{fmt.Sprintf(`"id":%d`, m.ID)}},
		{name: "merge into itself", method: "POST", path: mergePath, body: map[string]any{"source_id": A}, status: 400, want: []string{"into itself"}},
		{name: "merge again", method: "POST", path: mergePath, body: map[string]any{"source_id": B}, status: 409, want: []string{"already merged"}},
		{name: "merge into a merged contact", method: "POST", path: fmt.Sprintf("/api/v1/contacts/%d/merge", B), body: map[string]any{"source_id": C},
			status: 409},
		{name: "merge unknown source", method: "POST", path: mergePath, body: map[string]any{"source_id": 999999}, status: 404, want: []string{"contact 999999"}},
		{name: "merge without source", method: "POST", path: mergePath, body: map[string]any{}, status: 400, want: []string{"source_id"}},
		{name: "merge source 0", method: "POST", path: mergePath, body: map[string]any{"source_id": 0}, status: 400},
		{name: "merge negative source", method: "POST", path: mergePath, body: map[string]any{"source_id": -2}, status: 400},
		{name: "edit a merged contact", method: "PATCH", path: fmt.Sprintf("/api/v1/contacts/%d", B), body: map[string]any{"name": "B"}, status: 409,
			want: []string{"merged into"}},
		{name: "unmerge without id", method: "POST", path: fmt.Sprintf("/api/v1/contacts/%d/unmerge", A), body: map[string]any{}, status: 400,
			want: []string{"merge_id"}},
		{name: "unmerge unknown", method: "POST", path: fmt.Sprintf("/api/v1/contacts/%d/unmerge", A), body: map[string]any{"merge_id": 4242}, status: 404},
		{name: "unmerge from the wrong contact", method: "POST", path: fmt.Sprintf("/api/v1/contacts/%d/unmerge", C), body: map[string]any{"merge_id": m.ID},
			status: 400, want: []string{"was not into contact"}},
	})
	if got := convsOf(B); len(got) != 0 {
		t.Fatalf("the refused unmerge moved conversations back to B: %v", got)
	}

	// Unmerge: everything that moved goes back.
	var um parley.ContactMerge
	e.call("POST", fmt.Sprintf("/api/v1/contacts/%d/unmerge", A), map[string]any{"merge_id": m.ID}, 200, &um)
	if um.UnmergedAt == nil || um.ID != m.ID {
		t.Fatalf("unmerge = %+v", um)
	}
	if got := convsOf(A); !slices.Equal(got, []int64{a.ConversationID}) {
		t.Fatalf("A's conversations after the unmerge = %v", got)
	}
	if got := convsOf(B); !slices.Equal(got, sortedCopy([]int64{b1.ConversationID, b2.ConversationID})) {
		t.Fatalf("B's conversations after the unmerge = %v", got)
	}
	afterB := e.contact(B)
	if afterB.MergedInto != nil || len(afterB.Identities) != len(beforeB.Identities) {
		t.Fatalf("B after the unmerge = %+v, before the merge %+v", afterB, beforeB)
	}
	if got := e.contact(A); len(got.Identities) != len(beforeA.Identities) {
		t.Fatalf("A's identities after the unmerge = %+v", got.Identities)
	}
	if got := e.receive(two.ID, message{Contact: map[string]string{"email": "b@example.com"}, Text: "B after unmerge"}, 201); got.ContactID != B {
		t.Fatalf("B's email after the unmerge reaches contact %d", got.ContactID)
	}
	t.Run("unmerge restores the target's fields", func(t *testing.T) {
		e := &env{Env: e.Env, t: t, clock: e.clock}
		if got := e.contact(A); got.Email != beforeA.Email || got.Phone != beforeA.Phone {
			t.Fatalf("internal/store/contacts.go MergeContacts copies the source's name/email/phone into the target's empty fields, "+
				"and UnmergeContacts never undoes that: after the unmerge contact %d still shows email %q phone %q (before the merge: %q %q), "+
				"though those identities went back to contact %d", A, got.Email, got.Phone, beforeA.Email, beforeA.Phone, B)
		}
	})

	e.run([]scenario{
		{name: "unmerge twice", method: "POST", path: fmt.Sprintf("/api/v1/contacts/%d/unmerge", A), body: map[string]any{"merge_id": m.ID},
			status: 409, want: []string{"already undone"}},
		{name: "merges list shows the undo", method: "GET", path: fmt.Sprintf("/api/v1/contacts/%d/merges", B), status: 200,
			want: []string{`"unmerged_at":"`}},
		{name: "merge again after the undo", method: "POST", path: mergePath, body: map[string]any{"source_id": C}, status: 200},
	})
	// The new merge (C into A) cannot be undone through B.
	var merges struct{ Merges []parley.ContactMerge }
	e.call("GET", fmt.Sprintf("/api/v1/contacts/%d/merges", C), nil, 200, &merges)
	if len(merges.Merges) != 1 {
		t.Fatalf("C's merges = %+v", merges)
	}
	mc = merges.Merges[0]
	e.run([]scenario{
		{name: "undo C's merge through B", method: "POST", path: fmt.Sprintf("/api/v1/contacts/%d/unmerge", B), body: map[string]any{"merge_id": mc.ID},
			status: 400},
		{name: "undo C's merge", method: "POST", path: fmt.Sprintf("/api/v1/contacts/%d/unmerge", A), body: map[string]any{"merge_id": mc.ID}, status: 200},
	})
}
