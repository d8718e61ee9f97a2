package api_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// breakTable renames a table behind the app's back, through a connection
// of its own, so that queries touching it fail inside the database.
func (e *env) breakTable(dialect, table string) {
	e.t.Helper()
	var db *sql.DB
	var err error
	if dialect == "sqlite" {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(e.App.Config.DataDir, "parley.db")+"?_pragma=busy_timeout(10000)")
	} else {
		db, err = sql.Open("pgx", e.App.Config.DatabaseURL)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("ALTER TABLE %s RENAME TO %s_gone", table, table)); err != nil {
		e.t.Fatalf("break %s: %v", table, err)
	}
}

// testInternalErrors: when the database itself fails, the API answers 500
// with "Internal error." and nothing of the database's own error text.
func testInternalErrors(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	r := e.say(in.ID, "c-1", "hello")
	e.breakTable(dialect, "contacts")
	e.breakTable(dialect, "conversation_labels")
	e.allow500 = true
	internal := []string{`{"error":{"code":"internal","message":"Internal error."}}`}
	leaky := []string{"contacts", "conversation_labels", "no such table", "does not exist", "SQLSTATE", "relation"}
	incoming := fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)
	e.run([]scenario{
		{name: "list contacts", method: "GET", path: "/api/v1/contacts", status: 500, want: internal, notWant: leaky, mayWrite: true},
		{name: "get contact", method: "GET", path: fmt.Sprintf("/api/v1/contacts/%d", r.ContactID), status: 500, want: internal, notWant: leaky, mayWrite: true},
		{name: "new contact writes", method: "POST", path: incoming, body: map[string]any{"contact": map[string]any{"external_id": "new"}, "text": "hi"},
			status: 500, want: internal, notWant: leaky, mayWrite: true},
		{name: "known contact writes", method: "POST", path: incoming, body: map[string]any{"contact": map[string]any{"external_id": "c-1"}, "text": "again"},
			status: 500, want: internal, notWant: leaky, mayWrite: true},
		{name: "edit contact", method: "PATCH", path: fmt.Sprintf("/api/v1/contacts/%d", r.ContactID), body: map[string]any{"name": "X"},
			status: 500, want: internal, notWant: leaky, mayWrite: true},
		{name: "list conversations", method: "GET", path: "/api/v1/conversations", status: 500, want: internal, notWant: leaky, mayWrite: true},
		{name: "label a conversation", method: "PATCH", path: fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID),
			body: map[string]any{"labels": []string{"x"}}, status: 500, want: internal, notWant: leaky, mayWrite: true},
		// What does not touch the broken tables still works.
		{name: "health", method: "GET", path: "/healthz", token: noToken, status: 200},
		{name: "inboxes", method: "GET", path: "/api/v1/inboxes", status: 200},
		{name: "events", method: "GET", path: "/api/v1/events", status: 200},
		{name: "messages", method: "GET", path: fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID), status: 200, want: []string{"hello"}},
	})
}
