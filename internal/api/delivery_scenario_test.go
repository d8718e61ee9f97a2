package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/uploads"
)

// testRepliesNotes: replies and notes, first response time, retry rules.
func testRepliesNotes(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	r := e.say(in.ID, "c-1", "hello")
	base := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)

	var note parley.Message
	e.call("POST", base+"/notes", map[string]any{"text": "VIP customer, be nice"}, 201, &note)
	if note.Direction != parley.Note || note.DeliveryState != "" || note.ConversationID != r.ConversationID || note.ID == 0 {
		t.Fatalf("note = %+v", note)
	}
	if c := e.conversation(r.ConversationID); c.FirstResponseAt != nil {
		t.Fatalf("a note set first_response_at %v", c.FirstResponseAt)
	}
	e.advance(time.Minute)
	var reply parley.Message
	e.call("POST", base+"/messages", map[string]any{"text": "Hi! How can we help?"}, 201, &reply)
	if reply.Direction != parley.Outgoing || reply.DeliveryState != parley.DeliverySent || reply.AuthorContactID != nil {
		t.Fatalf("reply = %+v", reply)
	}
	c := e.conversation(r.ConversationID)
	if c.FirstResponseAt == nil || !c.FirstResponseAt.Equal(reply.CreatedAt) || !c.LastActivityAt.Equal(reply.CreatedAt) {
		t.Fatalf("after the first reply: first_response_at %v last_activity_at %v, reply at %v", c.FirstResponseAt, c.LastActivityAt, reply.CreatedAt)
	}
	e.advance(time.Minute)
	e.call("POST", base+"/messages", map[string]any{"text": "Anything else?"}, 201, nil)
	if c2 := e.conversation(r.ConversationID); !c2.FirstResponseAt.Equal(*c.FirstResponseAt) {
		t.Fatalf("a second reply moved first_response_at to %v", c2.FirstResponseAt)
	}
	// A reply on a resolved conversation is allowed and leaves it resolved.
	e.call("PATCH", base, map[string]any{"status": "resolved"}, 200, nil)
	e.call("POST", base+"/messages", map[string]any{"text": "Closing this, write back any time"}, 201, nil)
	if got := e.conversation(r.ConversationID); got.Status != parley.StatusResolved {
		t.Fatalf("a reply changed status to %s", got.Status)
	}
	msgs := e.messages(r.ConversationID)
	var dirs []string
	for _, m := range msgs {
		dirs = append(dirs, string(m.Direction))
	}
	if strings.Join(dirs, ",") != "incoming,note,outgoing,outgoing,outgoing" {
		t.Fatalf("messages = %v", dirs)
	}

	e.run([]scenario{
		{name: "reply without text", method: "POST", path: base + "/messages", body: map[string]any{}, status: 400, want: []string{"needs text"}},
		{name: "reply with blank text", method: "POST", path: base + "/messages", body: map[string]any{"text": "  \n"}, status: 400},
		{name: "reply with no attachments", method: "POST", path: base + "/messages", body: map[string]any{"text": "", "attachments": []any{}}, status: 400},
		{name: "note without text", method: "POST", path: base + "/notes", body: map[string]any{"text": ""}, status: 400},
		{name: "reply too long", method: "POST", path: base + "/messages", body: map[string]any{"text": strings.Repeat("y", parley.MaxTextLength+1)},
			status: 413},
		{name: "note too long", method: "POST", path: base + "/notes", body: map[string]any{"text": strings.Repeat("y", parley.MaxTextLength+1)}, status: 413},
		{name: "reply of exactly the maximum", method: "POST", path: base + "/messages", body: map[string]any{"text": strings.Repeat("y", parley.MaxTextLength)},
			status: 201},
		{name: "retry a sent reply", method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/retry", reply.ID), status: 409, want: []string{"has not failed"}},
		{name: "retry a note", method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/retry", note.ID), status: 409},
		{name: "retry an incoming message", method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/retry", r.MessageID), status: 409},
		{name: "retry an unknown message", method: "POST", path: "/api/v1/messages/424242/retry", status: 404},
		{name: "retry with a body", method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/retry", reply.ID), body: `{"x":1}`, status: 409},
	})
}

// hookServer is a webhook receiver whose answer the test sets.
type hookServer struct {
	*httptest.Server
	status atomic.Int64
	mu     sync.Mutex
	got    []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
	path   string
	method string
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.status.Store(200)
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, hookRequest{header: r.Header.Clone(), body: b, path: r.URL.Path, method: r.Method})
		h.mu.Unlock()
		w.WriteHeader(int(h.status.Load()))
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// forMessage returns the deliveries of one message.
func (h *hookServer) forMessage(t *testing.T, id int64) []inbox.WebhookBody {
	var out []inbox.WebhookBody
	for _, r := range h.requests() {
		var b inbox.WebhookBody
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatalf("webhook body %q: %v", r.body, err)
		}
		if b.Message.ID == id {
			out = append(out, b)
		}
	}
	return out
}

// waitDelivery polls until the message's delivery_state is want.
func (e *env) waitDelivery(conversationID, messageID int64, want parley.DeliveryState) parley.Message {
	e.t.Helper()
	var m parley.Message
	eventually(e.t, fmt.Sprintf("message %d to be %s", messageID, want), func() bool {
		m = e.message(conversationID, messageID)
		return m.DeliveryState == want
	})
	return m
}

// waitJobs polls until GET /jobs?status=status lists n jobs, and returns them.
func (e *env) waitJobs(status string, n int) []store.Job {
	e.t.Helper()
	var out struct{ Jobs []store.Job }
	eventually(e.t, fmt.Sprintf("%d %s jobs", n, status), func() bool {
		e.call("GET", "/api/v1/jobs?status="+status, nil, 200, &out)
		return len(out.Jobs) == n
	})
	return out.Jobs
}

// waitIdle polls until no job is running (a message's delivery state is
// recorded before its job is finished).
func (e *env) waitIdle() {
	e.t.Helper()
	e.waitJobs("running", 0)
}

// testWebhook: replies in an API inbox with a webhook are posted to it,
// signed; failures are recorded and can be retried.
func testWebhook(t *testing.T, dialect string) {
	e := start(t, dialect)
	hook := newHookServer(t)
	in := e.createInbox(map[string]any{"name": "Hooked", "webhook_url": hook.URL + "/parley"})
	var got inboxJSON
	e.call("GET", fmt.Sprintf("/api/v1/inboxes/%d", in.ID), nil, 200, &got)
	secret := got.WebhookSecret
	if secret == "" || secret != in.WebhookSecret {
		t.Fatalf("webhook secret = %q (at creation %q)", secret, in.WebhookSecret)
	}
	r := e.receive(in.ID, message{Contact: map[string]string{"external_id": "c-1", "name": "Ann"}, Text: "hello"}, 201)
	base := fmt.Sprintf("/api/v1/conversations/%d", r.ConversationID)

	// A reply is queued, then delivered and marked sent.
	seq := e.lastSeq()
	var reply parley.Message
	e.call("POST", base+"/messages", map[string]any{"text": "Hi Ann"}, 201, &reply)
	if reply.DeliveryState != parley.DeliveryQueued {
		t.Fatalf("reply delivery_state = %q, want queued", reply.DeliveryState)
	}
	e.waitDelivery(r.ConversationID, reply.ID, parley.DeliverySent)
	e.waitIdle()
	reqs := hook.requests()
	if len(reqs) != 1 {
		t.Fatalf("webhook got %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	ts := req.header.Get("X-Parley-Timestamp")
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Fatalf("X-Parley-Timestamp = %q", ts)
	}
	if sig, want := req.header.Get("X-Parley-Signature"), "sha256="+inbox.SignWebhook(secret, ts, req.body); sig != want {
		t.Fatalf("X-Parley-Signature = %q, want %q", sig, want)
	}
	if sig := req.header.Get("X-Parley-Signature"); sig == "sha256="+inbox.SignWebhook("wrong secret", ts, req.body) {
		t.Fatal("signature does not depend on the secret")
	}
	if req.method != "POST" || req.path != "/parley" || !strings.HasPrefix(req.header.Get("Content-Type"), "application/json") {
		t.Fatalf("webhook request %s %s %q", req.method, req.path, req.header.Get("Content-Type"))
	}
	var body inbox.WebhookBody
	if err := json.Unmarshal(req.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Event != "message.outgoing" || body.InboxID != in.ID || body.ConversationID != r.ConversationID || body.Message.ID != reply.ID ||
		body.Message.Text != "Hi Ann" || body.Contact.ID != r.ContactID || body.Contact.Name != "Ann" {
		t.Fatalf("webhook body = %+v", body)
	}
	var states []string
	for _, ev := range e.events(seq) {
		if ev.Type == parley.EventMessageDelivery {
			states = append(states, string(ev.Data))
		}
	}
	if len(states) != 1 || !strings.Contains(states[0], `"state":"sent"`) {
		t.Fatalf("delivery events = %v", states)
	}
	// Notes never go to the webhook.
	var note parley.Message
	e.call("POST", base+"/notes", map[string]any{"text": "internal"}, 201, &note)

	// A webhook answering 400 fails the message at once, with the reason.
	hook.status.Store(400)
	var bad parley.Message
	e.call("POST", base+"/messages", map[string]any{"text": "this one bounces"}, 201, &bad)
	failed := e.waitDelivery(r.ConversationID, bad.ID, parley.DeliveryFailed)
	if !strings.Contains(failed.DeliveryError, "400") {
		t.Fatalf("delivery_error = %q, want the webhook's 400", failed.DeliveryError)
	}
	jobs := e.waitJobs("failed", 1)
	if jobs[0].Kind != inbox.JobWebhookDeliver || !strings.Contains(jobs[0].Payload, fmt.Sprint(bad.ID)) ||
		!strings.Contains(jobs[0].LastError, "400") || jobs[0].Status != "failed" {
		t.Fatalf("failed jobs = %+v", jobs)
	}

	// Retrying re-queues it; with the webhook fixed it is delivered.
	hook.status.Store(200)
	var retried parley.Message
	e.call("POST", fmt.Sprintf("/api/v1/messages/%d/retry", bad.ID), nil, 200, &retried)
	if retried.DeliveryState != parley.DeliveryQueued || retried.DeliveryError != "" {
		t.Fatalf("retried = %+v", retried)
	}
	e.waitDelivery(r.ConversationID, bad.ID, parley.DeliverySent)
	if d := hook.forMessage(t, bad.ID); len(d) != 2 {
		t.Fatalf("the bounced message was posted %d times, want 2 (failed, then retried)", len(d))
	}

	// A webhook answering 500 is retried with backoff; the message stays
	// queued meanwhile and is sent once the webhook recovers.
	hook.status.Store(500)
	var flaky parley.Message
	e.call("POST", base+"/messages", map[string]any{"text": "try again later"}, 201, &flaky)
	eventually(t, "the first attempt", func() bool { return len(hook.forMessage(t, flaky.ID)) == 1 })
	eventually(t, "the job to wait for its retry", func() bool {
		var out struct{ Jobs []store.Job }
		e.call("GET", "/api/v1/jobs?status=pending", nil, 200, &out)
		out.Jobs = withoutHousekeeping(out.Jobs)
		return len(out.Jobs) == 1 && out.Jobs[0].Attempts == 1 && strings.Contains(out.Jobs[0].LastError, "500")
	})
	if m := e.message(r.ConversationID, flaky.ID); m.DeliveryState != parley.DeliveryQueued {
		t.Fatalf("after a 500 the message is %q, want still queued", m.DeliveryState)
	}
	hook.status.Store(200)
	e.advance(10 * time.Minute) // past the backoff
	e.waitDelivery(r.ConversationID, flaky.ID, parley.DeliverySent)
	e.waitIdle()

	if n := len(hook.forMessage(t, note.ID)); n != 0 {
		t.Fatalf("the note was posted to the webhook %d times", n)
	}
	e.run([]scenario{
		{name: "retry a delivered message", method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/retry", bad.ID), status: 409},
		{name: "retry a queued-then-sent message", method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/retry", flaky.ID), status: 409},
	})
}

// testJobs: listing jobs and retrying failed ones.
func testJobs(t *testing.T, dialect string) {
	e := start(t, dialect)
	e.run([]scenario{
		// Only Parley's own housekeeping is queued on a fresh start.
		{name: "no jobs but housekeeping", method: "GET", path: "/api/v1/jobs", status: 200, want: []string{`"kind":"uploads.cleanup"`},
			notWant: []string{inbox.JobWebhookDeliver, inbox.JobSnoozeWake}},
		{name: "no failed jobs", method: "GET", path: "/api/v1/jobs?status=failed", status: 200, want: []string{`"jobs":[]`}},
	})
	hook := newHookServer(t)
	hook.status.Store(422)
	in := e.createInbox(map[string]any{"name": "Hooked", "webhook_url": hook.URL})
	r := e.say(in.ID, "c-1", "hello")
	// A pending job: a snooze wake-up an hour ahead.
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/snooze", r.ConversationID), map[string]any{"until": e.clock.now().Add(time.Hour)}, 200, nil)
	// A failed job: a reply the webhook refuses.
	var reply parley.Message
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID), map[string]any{"text": "hi"}, 201, &reply)
	e.waitDelivery(r.ConversationID, reply.ID, parley.DeliveryFailed)
	e.waitJobs("failed", 1)

	list := func(q string) []store.Job {
		var out struct{ Jobs []store.Job }
		e.call("GET", "/api/v1/jobs"+q, nil, 200, &out)
		return withoutHousekeeping(out.Jobs)
	}
	all := list("")
	if len(all) != 2 || all[0].ID < all[1].ID {
		t.Fatalf("jobs = %+v, want 2, newest first", all)
	}
	failed, pending := list("?status=failed"), list("?status=pending")
	if len(failed) != 1 || failed[0].Kind != inbox.JobWebhookDeliver || failed[0].Attempts != 1 || !strings.Contains(failed[0].LastError, "422") {
		t.Fatalf("failed jobs = %+v", failed)
	}
	if len(pending) != 1 || pending[0].Kind != inbox.JobSnoozeWake {
		t.Fatalf("pending jobs = %+v", pending)
	}
	if n := len(list("?status=done")) + len(list("?status=running")); n != 0 {
		t.Fatalf("%d done or running jobs, want 0", n)
	}
	if got := list("?limit=1"); len(got) != 1 || got[0].ID != all[0].ID { // the housekeeping job is the oldest
		t.Fatalf("limit=1 = %+v", got)
	}

	hook.status.Store(200) // the receiver is fixed: retrying the failed job delivers the reply
	e.run([]scenario{
		{name: "retry a pending job", method: "POST", path: fmt.Sprintf("/api/v1/jobs/%d/retry", pending[0].ID), status: 409,
			want: []string{"pending, not failed"}},
		{name: "retry an unknown job", method: "POST", path: "/api/v1/jobs/424242/retry", status: 404, want: []string{"job 424242"}},
		{name: "retry the failed job", method: "POST", path: fmt.Sprintf("/api/v1/jobs/%d/retry", failed[0].ID), status: 200,
			want: []string{`"status":"pending"`, `"attempts":0`}},
	})
	var job store.Job
	eventually(t, "the retried job to run", func() bool {
		for _, j := range list("") {
			if j.ID == failed[0].ID {
				job = j
				return j.Status == "done" || j.Status == "failed"
			}
		}
		return false
	})
	e.run([]scenario{
		{name: "retry a finished job", method: "POST", path: fmt.Sprintf("/api/v1/jobs/%d/retry", job.ID), status: 409,
			want: []string{fmt.Sprintf("is %s, not failed", job.Status)}},
	})
	if job.Status != "done" {
		t.Fatalf("the retried webhook.deliver job ended %s (%s), want done", job.Status, job.LastError)
	}
	if m := e.message(r.ConversationID, reply.ID); m.DeliveryState != parley.DeliverySent {
		t.Fatalf("after retrying its job, message %d is %q, want sent", reply.ID, m.DeliveryState)
	}
}

// withoutHousekeeping drops the periodic jobs Parley keeps for itself
// (uploads.cleanup), so a test can count the jobs its own actions made.
func withoutHousekeeping(jobs []store.Job) []store.Job {
	var out []store.Job
	for _, j := range jobs {
		if j.Kind != uploads.JobCleanup {
			out = append(out, j)
		}
	}
	return out
}
