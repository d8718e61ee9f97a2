package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

var bg = context.Background()

const testPassword = "correct horse battery"

// env is a running Parley with an owner and an agent, an API inbox and
// one conversation from a customer.
type env struct {
	*apptest.Env
	t       testing.TB
	ownerID int64
	agentID int64
	inboxID int64
	convID  int64
}

func start(t testing.TB, dialect string) *env {
	t.Helper()
	return startAt(t, dialect, nil)
}

// startAt is start with clock, when not nil, as the database clock (tests
// move time through it: assigning DB.Now while the app runs would race).
func startAt(t testing.TB, dialect string, clock func() time.Time) *env {
	t.Helper()
	e := &env{Env: apptest.Start(t, dialect, clock), t: t}
	e.ownerID = e.mustAgent("owner@example.com", "Olivia Owner", parley.RoleOwner)
	e.agentID = e.mustAgent("agent@example.com", "Andy Agent", parley.RoleAgent)
	in, err := e.App.Inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Support API", ChannelType: parley.ChannelAPI}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.inboxID = in.ID
	e.convID = e.incoming("cust-1", "Ana Pham", "Hello, my order #1234 has not arrived.")
	return e
}

func (e *env) mustAgent(email, name string, role parley.Role) int64 {
	e.t.Helper()
	a, _, err := e.App.Inbox.CreateAgent(bg, inbox.System, parley.Agent{Email: email, Name: name, Role: role}, testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.ID
}

// incoming posts a customer message through the REST API and returns its conversation.
func (e *env) incoming(externalID, name, text string) int64 {
	e.t.Helper()
	var out struct {
		ConversationID int64 `json:"conversation_id"`
	}
	body := map[string]any{"contact": map[string]string{"external_id": externalID, "name": name}, "text": text}
	e.JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", e.inboxID), body, http.StatusCreated, &out)
	return out.ConversationID
}

// client is a browser-like HTTP client with its own cookies that does
// not follow redirects.
type client struct {
	e    *env
	hc   *http.Client
	csrf string
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// login signs in through the form and reads the CSRF token from a page.
func (e *env) login(email string) *client {
	e.t.Helper()
	c := e.anon()
	status, body, h := c.do("POST", "/login", url.Values{"email": {email}, "password": {testPassword}}, false)
	if status != http.StatusSeeOther {
		e.t.Fatalf("login %s = %d %s", email, status, body)
	}
	if loc := h.Get("Location"); loc != "/app/" {
		e.t.Fatalf("login redirects to %q", loc)
	}
	_, body, _ = c.do("GET", "/app/", nil, false)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no CSRF token on /app/: %.300s", body)
	}
	c.csrf = m[1]
	return c
}

// do sends a request; a form gets the CSRF token unless it sets csrf_token
// itself (even to "").
func (c *client) do(method, path string, form url.Values, hx bool) (int, string, http.Header) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		if _, ok := form["csrf_token"]; !ok && c.csrf != "" {
			form.Set("csrf_token", c.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (c *client) get(path string) (int, string) {
	s, b, _ := c.do("GET", path, nil, false)
	return s, b
}

func (c *client) post(path string, form url.Values) (int, string) {
	s, b, _ := c.do("POST", path, form, false)
	return s, b
}

// conversation reads a conversation through the API.
func (e *env) conversation(id int64) parley.Conversation {
	e.t.Helper()
	var c parley.Conversation
	e.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d", id), nil, http.StatusOK, &c)
	return c
}

// messages reads a conversation's messages through the API.
func (e *env) messages(id int64) []parley.Message {
	e.t.Helper()
	var out struct {
		Messages []parley.Message `json:"messages"`
	}
	e.JSON("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", id), nil, http.StatusOK, &out)
	return out.Messages
}

// clock is a database clock that tests can move: real time, shifted by
// an offset or pinned to a moment.
type clock struct {
	offset atomic.Int64 // nanoseconds added to the real time
	pinned atomic.Int64 // Unix nanoseconds; 0: not pinned
}

func (c *clock) Now() time.Time {
	if p := c.pinned.Load(); p != 0 {
		return time.Unix(0, p).UTC()
	}
	return time.Now().UTC().Add(time.Duration(c.offset.Load()))
}

func (c *clock) shift(d time.Duration) { c.offset.Store(int64(d)) }
func (c *clock) pin(t time.Time)       { c.pinned.Store(t.UnixNano()) }
func (c *clock) unpin()                { c.pinned.Store(0) }
