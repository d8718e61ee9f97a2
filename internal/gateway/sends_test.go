package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// recordHook stands in for the write that records an accepted send: it
// runs fail for each call, and the real record when fail returns nil.
type recordHook struct {
	mu    sync.Mutex
	calls int
	fail  func(call int) error
}

func (h *recordHook) install(e *env) {
	gateway.SetMarkSent(e.App.Gateway, func(ctx context.Context, id int64, attempt, providerID string) error {
		h.mu.Lock()
		h.calls++
		n := h.calls
		h.mu.Unlock()
		if err := h.fail(n); err != nil {
			return err
		}
		return e.App.Inbox.MarkSent(ctx, id, attempt, providerID)
	})
}

var errConnLost = errors.New("write tcp 127.0.0.1:5432: connection reset by peer")

// retryDue moves the clock past any job's backoff and runs what is due.
func (e *env) retryDue() {
	e.clock.Add(10 * time.Minute)
	e.runJobs()
}

func TestSendRecordFailsNoResend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		// WhatsApp takes the message, then the database answers errors:
		// three times (the job's own tries recover), then, for the second
		// message, six times (the job gives up, and its next run records
		// the id it kept).
		hook := &recordHook{fail: func(n int) error {
			if n <= 3 || (n >= 5 && n <= 10) {
				return errConnLost
			}
			return nil
		}}
		hook.install(w.env)
		w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.IN1", From: "+15550001234", Text: "Hi"}))
		conv := w.onlyConversation(w.inbox)

		_, body := w.reply(conv.ID, map[string]any{"text": "One"})
		one := decodeID(t, body)
		w.runJobs()
		if n := len(sends(w.fake)); n != 1 {
			t.Fatalf("WhatsApp got %d sends, want 1", n)
		}
		if m := w.message(one); m.DeliveryState != parley.DeliverySent || m.ExternalID != "wamid.FAKE1" {
			t.Errorf("after the record recovered: %s %q, want sent as wamid.FAKE1", m.DeliveryState, m.ExternalID)
		}

		_, body = w.reply(conv.ID, map[string]any{"text": "Two"})
		two := decodeID(t, body)
		w.runJobs()
		if m := w.message(two); m.DeliveryState != parley.DeliveryQueued {
			t.Errorf("while the record fails: %s, want queued", m.DeliveryState)
		}
		w.retryDue()
		w.retryDue()
		got := sends(w.fake)
		if len(got) != 2 {
			t.Fatalf("WhatsApp got %d sends for two messages, want 2", len(got))
		}
		m := w.message(two)
		if m.DeliveryState != parley.DeliverySent || !strings.HasPrefix(m.ExternalID, "wamid.FAKE") || m.ExternalID == "wamid.FAKE1" {
			t.Errorf("after the database came back: %s %q, want sent under its own id", m.DeliveryState, m.ExternalID)
		}
		w.post(w.hook, w.sim.Receipts(simulate.Receipt{ID: m.ExternalID, To: "15550001234", Status: "delivered"}))
		if got := w.message(two).DeliveryState; got != parley.DeliveryDelivered {
			t.Errorf("receipt: %s, want delivered", got)
		}
	})
}

func TestSendCrashAfterHandOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		// The process dies after WhatsApp took the message, before the
		// record: nothing of the send survives but the note made before it.
		hook := &recordHook{fail: func(n int) error {
			if n == 1 {
				panic("killed")
			}
			return nil
		}}
		hook.install(w.env)
		w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.IN1", From: "+15550001234", Text: "Hi"}))
		conv := w.onlyConversation(w.inbox)
		_, body := w.reply(conv.ID, map[string]any{"text": "Your refund is on its way"})
		id := decodeID(t, body)
		w.runJobs()
		w.retryDue()
		w.retryDue()
		if n := len(sends(w.fake)); n != 1 {
			t.Fatalf("WhatsApp got %d sends, want 1", n)
		}
		m := w.message(id)
		if m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "cannot tell whether WhatsApp received this message") {
			t.Fatalf("after the crash: %s %q, want failed with the unknown outcome", m.DeliveryState, m.DeliveryError)
		}
		// The agent's Retry is what sends it again, once.
		w.JSON("POST", fmt.Sprintf("/api/v1/messages/%d/retry", id), nil, 200, nil)
		w.runJobs()
		if n := len(sends(w.fake)); n != 2 {
			t.Errorf("after Retry WhatsApp got %d sends, want 2", n)
		}
		if m := w.message(id); m.DeliveryState != parley.DeliverySent || m.DeliveryError != "" {
			t.Errorf("after Retry: %s %q, want sent", m.DeliveryState, m.DeliveryError)
		}
	})
}

// TestSendCrashAfterHandOverRCS: RBM drops a repeat of the same messageId,
// so after a crash the message goes again by itself, under the same id.
func TestSendCrashAfterHandOverRCS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		r := startRCS(t, dialect, false)
		hook := &recordHook{fail: func(n int) error {
			if n == 1 {
				panic("killed")
			}
			return nil
		}}
		hook.install(r.env)
		r.post(r.hook, r.sim.Messages(simulate.Message{From: rbmCustomer, Text: "hi"}))
		conv := r.onlyConversation(r.inbox)
		_, body := r.reply(conv.ID, map[string]any{"text": "Hello"})
		id := decodeID(t, body)
		r.runJobs()
		r.retryDue()
		reqs := r.fake.Requests()
		if len(reqs) != 2 || reqs[0].MessageID != reqs[1].MessageID {
			t.Fatalf("RBM got %d sends, want the same messageId twice", len(reqs))
		}
		if m := r.message(id); m.DeliveryState != parley.DeliverySent || m.ExternalID != reqs[0].MessageID {
			t.Errorf("after the resend: %s %q", m.DeliveryState, m.ExternalID)
		}
	})
}

func TestSendOutcomeUnknownOrRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.IN1", From: "+15550001234", Text: "Hi"}))
		conv := w.onlyConversation(w.inbox)

		// A timeout after the request was written: WhatsApp may have it.
		orig := w.App.Gateway.HTTP
		w.App.Gateway.HTTP = &http.Client{Timeout: 300 * time.Millisecond}
		w.fake.DelayNext(3 * time.Second)
		_, body := w.reply(conv.ID, map[string]any{"text": "One"})
		one := decodeID(t, body)
		w.runJobs()
		w.retryDue()
		if n := len(sends(w.fake)); n != 1 {
			t.Errorf("after a timeout WhatsApp got %d sends, want 1", n)
		}
		if m := w.message(one); m.DeliveryState != parley.DeliveryFailed || !strings.Contains(m.DeliveryError, "cannot tell") {
			t.Errorf("after a timeout: %s %q, want failed as unknown", m.DeliveryState, m.DeliveryError)
		}

		// Nothing listening: the connection is refused before a byte is
		// written, so the job retries by itself and sends once it can.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + l.Addr().String()
		l.Close()
		w.App.Gateway.HTTP = &http.Client{Timeout: 5 * time.Second, Transport: redirect{to: closed}}
		_, body = w.reply(conv.ID, map[string]any{"text": "Two"})
		two := decodeID(t, body)
		w.runJobs()
		if m := w.message(two); m.DeliveryState != parley.DeliveryQueued || m.DeliveryError != "" {
			t.Errorf("after a refused connection: %s %q, want queued for a retry", m.DeliveryState, m.DeliveryError)
		}
		w.App.Gateway.HTTP = orig
		w.retryDue()
		if m := w.message(two); m.DeliveryState != parley.DeliverySent {
			t.Errorf("after the retry: %s %q, want sent", m.DeliveryState, m.DeliveryError)
		}

		// A 5xx from WhatsApp itself is a refusal: retried, sent once.
		before := len(sends(w.fake))
		w.fake.FailNext(500, 131000, "Something went wrong")
		_, body = w.reply(conv.ID, map[string]any{"text": "Three"})
		three := decodeID(t, body)
		w.runJobs()
		w.retryDue()
		if m := w.message(three); m.DeliveryState != parley.DeliverySent || len(sends(w.fake)) != before+2 {
			t.Errorf("after a 500: %s %q, %d requests, want sent on the second", m.DeliveryState, m.DeliveryError, len(sends(w.fake))-before)
		}
	})
}

// redirect sends every request to another host: a provider that is down.
type redirect struct{ to string }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	u := *req.URL
	u.Scheme, u.Host = "http", strings.TrimPrefix(r.to, "http://")
	out := req.Clone(req.Context())
	out.URL = &u
	return http.DefaultTransport.RoundTrip(out)
}

// acceptAs makes the fake's next send answer with this message id.
func (w *waEnv) acceptAs(id string) {
	w.fake.RespondNext(200, nil, fmt.Sprintf(`{"messaging_product":"whatsapp","contacts":[{"input":"15550001234","wa_id":"15550001234"}],"messages":[{"id":%q}]}`, id))
}

func TestProviderIDsApartFromIncoming(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := startWhatsApp(t, dialect)
		w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.X", From: "+15550001234", Text: "Hi"}))
		conv := w.onlyConversation(w.inbox)

		// The provider gives our reply the id of the customer's message.
		w.acceptAs("wamid.X")
		_, body := w.reply(conv.ID, map[string]any{"text": "Hello"})
		out := decodeID(t, body)
		w.runJobs()
		w.retryDue()
		if n := len(sends(w.fake)); n != 1 {
			t.Fatalf("WhatsApp got %d sends, want 1", n)
		}
		if m := w.message(out); m.DeliveryState != parley.DeliverySent || m.ExternalID != "wamid.X" {
			t.Fatalf("reply: %s %q, want sent as wamid.X", m.DeliveryState, m.ExternalID)
		}
		w.post(w.hook, w.sim.Receipts(simulate.Receipt{ID: "wamid.X", To: "15550001234", Status: "delivered"}))
		msgs := w.messages(conv.ID)
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want 2", len(msgs))
		}
		for _, m := range msgs {
			want := parley.DeliveryState("")
			if m.ID == out {
				want = parley.DeliveryDelivered
			}
			if m.ExternalID != "wamid.X" || m.DeliveryState != want {
				t.Errorf("%s message: %q %q, want wamid.X %q", m.Direction, m.ExternalID, m.DeliveryState, want)
			}
		}

		// A customer's message with the id of one of our sends is a new
		// message, not a repeat of ours.
		w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.X", From: "+15550001234", Text: "repeat of mine: dropped"}))
		w.acceptAs("wamid.Y")
		w.reply(conv.ID, map[string]any{"text": "Second"})
		w.runJobs()
		w.post(w.hook, w.sim.Messages(simulate.Message{ID: "wamid.Y", From: "+15550001234", Text: "Thanks"}))
		if msgs := w.messages(conv.ID); len(msgs) != 4 || msgs[3].Text != "Thanks" {
			t.Errorf("after a customer message with our send's id: %d messages, want 4 ending with it", len(msgs))
		}

		// Two sends given one id (a provider reusing ids) are both
		// recorded; a receipt goes to the newer.
		w.acceptAs("wamid.Z")
		_, body = w.reply(conv.ID, map[string]any{"text": "Third"})
		older := decodeID(t, body)
		w.runJobs()
		w.acceptAs("wamid.Z")
		_, body = w.reply(conv.ID, map[string]any{"text": "Fourth"})
		newer := decodeID(t, body)
		w.runJobs()
		w.retryDue()
		w.post(w.hook, w.sim.Receipts(simulate.Receipt{ID: "wamid.Z", To: "15550001234", Status: "read"}))
		if a, b := w.message(older), w.message(newer); a.DeliveryState != parley.DeliverySent || b.DeliveryState != parley.DeliveryRead {
			t.Errorf("two sends as wamid.Z: older %s, newer %s; want sent and read", a.DeliveryState, b.DeliveryState)
		}
		if n := len(sends(w.fake)); n != 4 {
			t.Errorf("WhatsApp got %d sends for four replies", n)
		}
	})
}
