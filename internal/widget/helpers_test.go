package widget_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// fakeClock is a settable clock for the database.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Now().UTC().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

type fixture struct {
	t      *testing.T
	env    *apptest.Env
	inbox  parley.Inbox
	secret string // the inbox's identity secret
}

// start runs Parley with a widget inbox and the notification job wired.
func start(t *testing.T, dialect string, clock func() time.Time, edit func(*parley.Inbox)) *fixture {
	t.Helper()
	env := apptest.Start(t, dialect, clock)
	env.App.Widget.RegisterJobs(env.App.Jobs)
	in := parley.Inbox{Name: "Acme Support", ChannelType: parley.ChannelWidget, Greeting: "Hi there! Ask us anything.",
		ReplyTimeText: "We usually reply within a few minutes", EmailAsk: parley.EmailAskAlways}
	if edit != nil {
		edit(&in)
	}
	in, err := env.App.Inbox.CreateInbox(context.Background(), inbox.System, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := env.App.DB.IdentitySecret(context.Background(), in.ID)
	if err != nil || secret == "" {
		t.Fatalf("identity secret %q, %v", secret, err)
	}
	return &fixture{t: t, env: env, inbox: in, secret: secret}
}

// use makes the fixture's helpers fail t (a subtest) until the returned
// func restores the parent: defer f.use(t)().
func (f *fixture) use(t *testing.T) func() {
	parent := f.t
	f.t = t
	return func() { f.t = parent }
}

// visitor is one widget visitor talking to the endpoints.
type visitor struct {
	f           *fixture
	token       string
	user, hash  string
	inboxID     int64
	extraHeader http.Header
}

func (f *fixture) visitor() *visitor { return &visitor{f: f, inboxID: f.inbox.ID} }

// newVisitor is a visitor with a session token.
func (f *fixture) newVisitor() *visitor {
	v := f.visitor()
	var out struct {
		Token string `json:"visitor_token"`
	}
	v.json("POST", "/session", nil, http.StatusCreated, &out)
	v.token = out.Token
	return v
}

// hostForged returns tokens for payload that whoever holds the inbox's
// identity secret could make: signed with the secret itself, and with
// the user hash of every id that names the purpose (the keys earlier
// versions derived), in the token shapes Parley uses.
func (f *fixture) hostForged(purpose, payload string) []string {
	body := payload + "." + strconv.FormatInt(f.env.App.DB.Now().Add(time.Hour).Unix(), 10)
	keys := [][]byte{[]byte(f.secret)}
	for _, id := range []string{purpose, "parley-widget-" + purpose, fmt.Sprintf("widget %s inbox %d", purpose, f.inbox.ID)} {
		mac := hmac.New(sha256.New, []byte(f.secret))
		mac.Write([]byte(id))
		keys = append(keys, mac.Sum(nil), []byte(hex.EncodeToString(mac.Sum(nil))))
	}
	var out []string
	for _, k := range keys {
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(body))
		out = append(out, body+"."+base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
	}
	return out
}

func (f *fixture) userVisitor(id string) *visitor {
	v := f.visitor()
	mac := hmac.New(sha256.New, []byte(f.secret))
	mac.Write([]byte(id))
	v.user, v.hash = id, hex.EncodeToString(mac.Sum(nil))
	return v
}

func (v *visitor) request(method, path string, body any) *http.Request {
	v.f.t.Helper()
	var r io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, fmt.Sprintf("%s/widget/%d%s", v.f.env.URL, v.inboxID, path), r)
	if err != nil {
		v.f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if v.user != "" {
		req.Header.Set("X-Parley-User", v.user)
		req.Header.Set("X-Parley-User-Hash", v.hash)
	} else if v.token != "" {
		req.Header.Set("Authorization", "Visitor "+v.token)
	}
	for k, vals := range v.extraHeader {
		req.Header[k] = vals
	}
	return req
}

func (v *visitor) do(method, path string, body any) (int, []byte) {
	v.f.t.Helper()
	resp, err := http.DefaultClient.Do(v.request(method, path, body))
	if err != nil {
		v.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (v *visitor) json(method, path string, body any, want int, out any) {
	v.f.t.Helper()
	status, b := v.do(method, path, body)
	if status != want {
		v.f.t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			v.f.t.Fatalf("decode %s: %v", b, err)
		}
	}
}

var msgSeq atomic.Int64

// say sends a message and returns its id.
func (v *visitor) say(text string) int64 {
	v.f.t.Helper()
	var out struct {
		Message struct {
			ID int64 `json:"id"`
		} `json:"message"`
	}
	v.json("POST", "/messages", map[string]any{"id": fmt.Sprintf("msg-%08d", msgSeq.Add(1)), "text": text}, http.StatusCreated, &out)
	return out.Message.ID
}

type wmessage struct {
	ID          int64  `json:"id"`
	Direction   string `json:"direction"`
	Text        string `json:"text"`
	Author      string `json:"author"`
	Attachments []struct {
		Filename string `json:"filename"`
		URL      string `json:"url"`
	} `json:"attachments"`
}

type history struct {
	Messages []wmessage `json:"messages"`
	SeenID   int64      `json:"seen_id"`
	Seq      int64      `json:"seq"`
	HasEmail bool       `json:"has_email"`
}

func (v *visitor) history() history {
	v.f.t.Helper()
	var h history
	v.json("GET", "/messages", nil, http.StatusOK, &h)
	return h
}

// stream opens the SSE stream and returns a channel of its message events.
func (v *visitor) stream(ctx context.Context) <-chan wmessage {
	v.f.t.Helper()
	req := v.request("GET", "/stream", nil).WithContext(ctx)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.f.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		v.f.t.Fatalf("stream = %d %s", resp.StatusCode, b)
	}
	ch := make(chan wmessage, 100)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m wmessage
				if json.Unmarshal([]byte(data), &m) == nil {
					ch <- m
				}
			}
		}
	}()
	return ch
}

// conversationOf returns the conversation holding message id (via the REST API).
func (f *fixture) conversationOf(messageID int64) int64 {
	f.t.Helper()
	m, err := f.env.App.DB.Message(context.Background(), messageID)
	if err != nil {
		f.t.Fatal(err)
	}
	return m.ConversationID
}

// agentSays posts a reply (or a note) through the REST API.
func (f *fixture) agentSays(conversationID int64, kind, text string) int64 {
	f.t.Helper()
	var m parley.Message
	f.env.JSON("POST", fmt.Sprintf("/api/v1/conversations/%d/%s", conversationID, kind), map[string]any{"text": text}, http.StatusCreated, &m)
	return m.ID
}

// countMessages counts every stored message.
func (f *fixture) countMessages() int {
	f.t.Helper()
	var out struct {
		Conversations []parley.Conversation `json:"conversations"`
	}
	f.env.JSON("GET", "/api/v1/conversations?limit=100", nil, http.StatusOK, &out)
	n := 0
	for _, c := range out.Conversations {
		ms, err := f.env.App.DB.Messages(context.Background(), []int64{c.ID})
		if err != nil {
			f.t.Fatal(err)
		}
		n += len(ms)
	}
	return n
}
