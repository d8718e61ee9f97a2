package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/channel/meta"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var ctx = context.Background()

// clock is a settable time for window tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running Parley with helpers for webhook tests.
type env struct {
	*apptest.Env
	t     *testing.T
	clock *clock
}

func start(t *testing.T, dialect string) *env {
	c := newClock()
	return &env{Env: apptest.Start(t, dialect, c.Now), t: t, clock: c}
}

// createInbox makes a provider inbox through the API.
func (e *env) createInbox(channel string, settings, secrets map[string]string) int64 {
	e.t.Helper()
	var in struct{ ID int64 }
	e.JSON("POST", "/api/v1/inboxes", map[string]any{"name": channel + " test", "channel_type": channel, "settings": settings, "secrets": secrets}, 201, &in)
	return in.ID
}

// post sends a webhook and returns the status and body.
func (e *env) post(path string, w simulate.Webhook) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.URL+path, bytes.NewReader(w.Body))
	for k, v := range w.Header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) seq() int64 {
	e.t.Helper()
	n, err := e.App.DB.LastEventSeq(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// unchanged fails the test if anything was written since before.
func (e *env) unchanged(before int64, what string) {
	e.t.Helper()
	if after := e.seq(); after != before {
		e.t.Errorf("%s wrote %d events; want none", what, after-before)
	}
}

// messages returns a conversation's messages.
func (e *env) messages(conversationID int64) []parley.Message {
	e.t.Helper()
	list, err := e.App.Inbox.History(ctx, conversationID)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// onlyConversation returns the one conversation of an inbox.
func (e *env) onlyConversation(inboxID int64) parley.Conversation {
	e.t.Helper()
	page, err := e.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: inboxID, Limit: 10})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(page.Conversations) != 1 {
		e.t.Fatalf("inbox %d has %d conversations, want 1", inboxID, len(page.Conversations))
	}
	return page.Conversations[0]
}

// runJobs runs every due job now and waits for any the app's own runner
// had claimed. On PostgreSQL, RunDue skips (SKIP LOCKED) a job the app's
// runner is claiming, which still reads "pending" until that claim
// commits; so it returns only when one read shows no job due or running.
func (e *env) runJobs() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := e.App.Jobs.RunDue(ctx); err != nil {
			e.t.Fatal(err)
		}
		all, err := e.App.DB.Jobs(ctx, "", 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		busy := false
		for _, j := range all {
			busy = busy || j.Status == "running" || (j.Status == "pending" && !j.RunAt.After(e.clock.Now()))
		}
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatal("jobs still due or running after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reply sends an agent reply through the API and returns the status and body.
func (e *env) reply(conversationID int64, body map[string]any) (int, string) {
	e.t.Helper()
	status, out := e.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conversationID), body, true)
	return status, string(out)
}

// message reads one message back.
func (e *env) message(id int64) parley.Message {
	e.t.Helper()
	m, err := e.App.DB.Message(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func decodeID(t *testing.T, body string) int64 {
	t.Helper()
	var m struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.ID == 0 {
		t.Fatalf("no id in %s", body)
	}
	return m.ID
}

func TestSecretsSealedAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		id := e.createInbox("whatsapp", map[string]string{"phone_number_id": "1"},
			map[string]string{"access_token": "EAAG-very-secret", "app_secret": "app-secret-value", "verify_token": "vt"})
		sealed, err := e.App.DB.ChannelSecrets(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if sealed == "" || strings.Contains(sealed, "EAAG") || strings.Contains(sealed, "app-secret-value") {
			t.Fatalf("secrets stored in the clear: %q", sealed)
		}
		_, body := e.Do("GET", fmt.Sprintf("/api/v1/inboxes/%d", id), nil, true)
		if strings.Contains(string(body), "EAAG") || strings.Contains(string(body), "app-secret-value") {
			t.Errorf("the API shows a secret: %s", body)
		}
		// An update without secrets keeps them.
		e.JSON("PATCH", fmt.Sprintf("/api/v1/inboxes/%d", id), map[string]any{"settings": map[string]string{"display_number": "+1 555"}}, 200, nil)
		if again, _ := e.App.DB.ChannelSecrets(ctx, id); again == "" {
			t.Error("updating settings dropped the secrets")
		}
		// Unknown settings and missing required secrets are refused.
		status, _ := e.Do("POST", "/api/v1/inboxes", map[string]any{"name": "x", "channel_type": "whatsapp",
			"settings": map[string]string{"phone_number_id": "1", "colour": "red"}, "secrets": map[string]string{"access_token": "t", "app_secret": "s", "verify_token": "v"}}, true)
		if status != 400 {
			t.Errorf("unknown setting: %d, want 400", status)
		}
		status, _ = e.Do("POST", "/api/v1/inboxes", map[string]any{"name": "x", "channel_type": "whatsapp",
			"settings": map[string]string{"phone_number_id": "1"}, "secrets": map[string]string{"access_token": "t"}}, true)
		if status != 400 {
			t.Errorf("missing app secret: %d, want 400", status)
		}
	})
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func signMeta(secret string, body []byte) string { return meta.Sign(secret, body) }

// pendingSends lists the pending channel.send jobs, leaving out the
// housekeeping jobs Parley schedules for itself (uploads.cleanup).
func (e *env) pendingSends() []store.Job {
	e.t.Helper()
	all, err := e.App.DB.Jobs(ctx, "pending", 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var sends []store.Job
	for _, j := range all {
		if j.Kind == "channel.send" {
			sends = append(sends, j)
		}
	}
	return sends
}
