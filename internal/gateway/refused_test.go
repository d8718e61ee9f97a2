package gateway_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// refusedEvents returns the data of the message.refused events after seq.
func (e *env) refusedEvents(after int64) []map[string]any {
	e.t.Helper()
	evs, err := e.App.DB.Events(ctx, after, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []map[string]any
	for _, ev := range evs {
		if ev.Type == parley.EventMessageRefused {
			var d map[string]any
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				e.t.Fatal(err)
			}
			out = append(out, d)
		}
	}
	return out
}

// storedTexts returns every message text stored in an inbox, sorted, and
// the names of the contacts who wrote them.
func (e *env) storedTexts(inboxID int64) (texts, names []string) {
	e.t.Helper()
	page, err := e.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: inboxID, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range page.Conversations {
		for _, m := range e.messages(c.ID) {
			texts = append(texts, m.Text)
		}
		ct, err := e.App.DB.Contact(ctx, c.ContactID)
		if err != nil {
			e.t.Fatal(err)
		}
		names = append(names, ct.Name)
	}
	sort.Strings(texts)
	sort.Strings(names)
	return texts, names
}

// TestWebhookBadByte: one delivery carrying a NUL in a message's text, in
// a sender's name and in a message id, between clean messages. Every
// message that can be stored is stored (text and name cleaned, the same on
// both databases), the one with the bad id is recorded as refused, and the
// provider gets 200: retrying could never store it, and must not be
// needed for the rest. A failure that is not the input's (the database is
// gone) still answers 5xx, so the provider retries.
func TestWebhookBadByte(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		t.Run("whatsapp", func(t *testing.T) {
			w := startWhatsApp(t, dialect)
			before := w.seq()
			// (WhatsApp names the sender of each message; one name per number.)
			hook := w.sim.Messages(
				simulate.Message{ID: "wamid.A", From: "+2348012345678", Name: "Amara", Text: "first"},
				simulate.Message{ID: "wamid.B", From: "+2348012345678", Name: "Amara", Text: "nul\x00 in \x1b[31mtext"},
				simulate.Message{ID: "wamid.C", From: "+2348087654321", Name: "Bad\x00 Name\n", Text: "from a bad name"},
				simulate.Message{ID: "wamid.D\x00", From: "+2348012345678", Name: "Amara", Text: "bad id"},
				simulate.Message{ID: "wamid.E", From: "+2348012345678", Name: "Amara", Text: "last"},
			)
			if status, body := w.post(w.hook, hook); status != 200 {
				t.Fatalf("webhook = %d %s, want 200", status, body)
			}
			texts, names := w.storedTexts(w.inbox)
			if want := []string{"first", "from a bad name", "last", "nul in [31mtext"}; strings.Join(texts, "|") != strings.Join(want, "|") {
				t.Errorf("stored %q, want %q", texts, want)
			}
			if want := []string{"Amara", "Bad Name"}; strings.Join(names, "|") != strings.Join(want, "|") {
				t.Errorf("contacts %q, want %q", names, want)
			}
			ref := w.refusedEvents(before)
			if len(ref) != 1 || ref[0]["provider_id"] != "wamid.D" || ref[0]["kind"] != "message" ||
				ref[0]["channel"] != "whatsapp" || ref[0]["inbox_id"] != float64(w.inbox) || ref[0]["reason"] == "" {
				t.Errorf("refused events = %v, want one for wamid.D", ref)
			}

			// The provider's retry of the same delivery stores nothing twice.
			if status, _ := w.post(w.hook, hook); status != 200 {
				t.Errorf("redelivery = %d", status)
			}
			if again, _ := w.storedTexts(w.inbox); len(again) != 4 {
				t.Errorf("redelivery stored %d messages, want 4", len(again))
			}

			// The database gone: 5xx, so the provider tries again later.
			w.App.DB.Close()
			status, _ := w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.F", From: "+2348012345678", Text: "later"}))
			if status < 500 {
				t.Errorf("webhook with the database closed = %d, want 5xx", status)
			}
		})
		t.Run("messenger", func(t *testing.T) {
			f := startMessenger(t, dialect)
			before := f.seq()
			hook := f.sim.Messages(
				simulate.Message{ID: "m_1", From: fbPSID, Text: "hello\x00"},
				simulate.Message{ID: "m_2\x00", From: fbPSID, Text: "refused"},
				simulate.Message{ID: "m_3", From: fbPSID + "\x00", Text: "bad sender id"},
				simulate.Message{ID: "m_4", From: fbPSID, Text: "still here"},
			)
			if status, body := f.post(f.hook, hook); status != 200 {
				t.Fatalf("webhook = %d %s, want 200", status, body)
			}
			texts, _ := f.storedTexts(f.inbox)
			if want := []string{"hello", "still here"}; strings.Join(texts, "|") != strings.Join(want, "|") {
				t.Errorf("stored %q, want %q", texts, want)
			}
			ref := f.refusedEvents(before)
			if len(ref) != 2 || ref[0]["provider_id"] != "m_2" || ref[1]["provider_id"] != "m_3" {
				t.Errorf("refused events = %v, want m_2 and m_3", ref)
			}
		})
	})
}
