package store_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestCheaperChecks holds migration 0037 (SQLite): the hot tables' CHECKs
// no longer compile to a temporary b-tree per row, on the writer's own
// connection (which ran the migration) as on a new one, and they still
// refuse what they refused; the message's key to its inbox is gone, as on
// PostgreSQL; the database is sound.
func TestCheaperChecks(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	db := storetest.OpenAt(t, dsn)
	inserts := map[string]string{
		"message":      "INSERT INTO messages (conversation_id, inbox_id, direction, text, created_at, updated_at) VALUES (1, 1, 'incoming', 'x', 1, 1)",
		"conversation": "INSERT INTO conversations (inbox_id, contact_id, status, priority, last_activity_at, created_at, updated_at) VALUES (1, 1, 'open', 'normal', 1, 1, 1)",
		"job status":   "UPDATE jobs SET status = 'done' WHERE id = 1",
	}
	for name, q := range inserts {
		mustWrite(t, db, func(tx *store.Tx) error {
			ops, err := tx.Opcodes(q)
			if err != nil {
				return err
			}
			if slices.Contains(ops, "OpenEphemeral") {
				t.Errorf("%s on the writer's connection still builds a temporary b-tree: %v", name, ops)
			}
			return nil
		})
	}

	raw, err := sql.Open("sqlite", dsn+"?_pragma=foreign_keys(ON)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, table := range []string{"messages", "conversations", "jobs"} {
		var text string
		if err := raw.QueryRow("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&text); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, " IN (") {
			t.Errorf("%s still checks with IN: %s", table, text)
		}
		if table == "messages" && strings.Contains(text, "REFERENCES inboxes") {
			t.Errorf("messages still refers to inboxes: %s", text)
		}
	}
	var check string
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}

	in := mustInbox(t, db)
	var contact int64
	if err := raw.QueryRow("INSERT INTO contacts (name, created_at, updated_at) VALUES ('c', 1, 1) RETURNING id").Scan(&contact); err != nil {
		t.Fatal(err)
	}
	var conv int64
	if err := raw.QueryRow("INSERT INTO conversations (inbox_id, contact_id, status, priority, last_activity_at, created_at, updated_at) VALUES (?, ?, 'open', 'normal', 1, 1, 1) RETURNING id",
		in.ID, contact).Scan(&conv); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO jobs (kind, payload, status, run_at, max_attempts, created_at, updated_at) VALUES ('k', '', 'pending', 1, 1, 1, 1)"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		args []any
		ok   bool
	}{
		{"INSERT INTO messages (conversation_id, inbox_id, direction, text, created_at, updated_at) VALUES (?, ?, 'note', 'x', 1, 1)", []any{conv, in.ID}, true},
		{"INSERT INTO messages (conversation_id, inbox_id, direction, text, created_at, updated_at) VALUES (?, ?, 'sideways', 'x', 1, 1)", []any{conv, in.ID}, false},
		{"INSERT INTO messages (conversation_id, inbox_id, direction, text, created_at, updated_at) VALUES (?, ?, 'Incoming', 'x', 1, 1)", []any{conv, in.ID}, false},
		{"INSERT INTO messages (conversation_id, inbox_id, direction, text, created_at, updated_at) VALUES (?, ?, 'incoming', 'x', 1, 1)", []any{conv + 1000, in.ID}, false}, // the conversation's key stays
		{"UPDATE conversations SET status = 'snoozed', priority = 'urgent' WHERE id = ?", []any{conv}, true},
		{"UPDATE conversations SET status = 'closed' WHERE id = ?", []any{conv}, false},
		{"UPDATE conversations SET priority = 'medium' WHERE id = ?", []any{conv}, false},
		{"UPDATE jobs SET status = 'failed'", nil, true},
		{"UPDATE jobs SET status = 'lost'", nil, false},
	} {
		_, err := raw.Exec(tc.q, tc.args...)
		if (err == nil) != tc.ok {
			t.Errorf("%s %v: err = %v, want ok = %v", tc.q, tc.args, err, tc.ok)
		}
	}
}

// TestEventSeqsMatchRows: each appended event learns the number its row
// was stored under, across a batch's callers and past one insert's worth
// of rows (on SQLite the numbers come from the last rowid, not RETURNING).
func TestEventSeqsMatchRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		var evs []*parley.Event
		var calls []store.BatchCall
		for c := range 3 {
			calls = append(calls, store.BatchCall{Fn: func(tx *store.Tx) error {
				for i := range 13 {
					ev := &parley.Event{Type: fmt.Sprintf("test.%d.%d", c, i)}
					if err := tx.AppendEvent(ev, nil); err != nil {
						return err
					}
					evs = append(evs, ev)
				}
				return nil
			}})
		}
		for i, err := range db.RunBatch(calls...) {
			if err != nil {
				t.Fatalf("caller %d: %v", i, err)
			}
		}
		for _, ev := range evs {
			var typ string
			if err := db.ReadPool().QueryRow("SELECT type FROM events WHERE seq = $1", ev.Seq).Scan(&typ); err != nil || typ != ev.Type {
				t.Errorf("event %s has seq %d, whose row is %q (%v)", ev.Type, ev.Seq, typ, err)
			}
		}
	})
}
