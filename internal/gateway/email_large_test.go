package gateway_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// largeMail is a customer's email with text, HTML and base64 files of the
// given decoded sizes ({name, bytes}), each filled with its own byte.
func largeMail(id string, files ...[2]any) string {
	var b strings.Builder
	b.WriteString("From: Linh Tran <linh@example.com>\r\nTo: help@acme.test\r\nSubject: Scans of the damaged parcel\r\n" +
		"Message-ID: <" + id + "@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n" +
		"--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n" +
		"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scans are attached. Which address do I send the parcel back to?\r\n" +
		"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The scans are attached. Which address do I send the parcel back to?</p>\r\n--a--\r\n")
	for i, f := range files {
		name, size := f[0].(string), f[1].(int)
		fmt.Fprintf(&b, "--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=%q\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", name)
		enc := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte('a' + i%26), byte(i / 26)}, size/2))
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--m--\r\n")
	return b.String()
}

// TestLargeEmailArrives: an email with a 20 MB file (27 MB once encoded,
// over the old 25 MB raw limit) arrives whole; one over the raw limit
// arrives with its text and the files that fit, and the conversation
// says, in the API and on the agent's timeline, which file was left out
// and why. Before, both were skipped with a log line and never retried.
func TestLargeEmailArrives(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		mb := startMailbox(t)
		id := e.createInbox("email", map[string]string{"address": "help@acme.test", "imap_host": "127.0.0.1", "imap_port": fmt.Sprint(mb.port),
			"imap_security": "none", "smtp_host": "127.0.0.1"}, map[string]string{"imap_password": "imap-pass"})
		poll := func() {
			t.Helper()
			if _, err := e.App.Gateway.PollEmail(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		poll()

		mb.deliver(t, largeMail("one-big", [2]any{"invoice.pdf", 20 << 20}))
		poll()
		conv := e.onlyConversation(id)
		msgs := e.messages(conv.ID)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Which address do I send the parcel back to?") {
			t.Fatalf("messages %+v", msgs)
		}
		// The original (27 MB) is over the 25 MB file limit, so it is not
		// kept beside the message; its text and file are.
		if names := fileNames(msgs[0]); names != "invoice.pdf:20971520" || len(msgs[0].Omitted) != 0 {
			t.Errorf("files %s, omitted %+v", names, msgs[0].Omitted)
		}

		// 20 + 12 MB of files: 44 MB encoded, over the 40 MB limit.
		mb.deliver(t, largeMail("two-big", [2]any{"invoice.pdf", 20 << 20}, [2]any{"photos.zip", 12 << 20}))
		poll()
		msgs = e.messages(conv.ID)
		last := msgs[len(msgs)-1]
		if len(msgs) != 2 || !strings.Contains(last.Text, "Which address do I send the parcel back to?") {
			t.Fatalf("%d messages, last %q", len(msgs), last.Text)
		}
		if names := fileNames(last); names != "invoice.pdf:20971520" {
			t.Errorf("files %s", names)
		}
		if len(last.Omitted) != 1 {
			t.Fatalf("omitted %+v", last.Omitted)
		}
		o := last.Omitted[0]
		if o.Filename != "photos.zip" || o.Reason != parley.OmitMessageTooLarge || o.Limit != 40<<20 || o.Size < 12<<20-100 || o.Size > 12<<20+100 {
			t.Errorf("omitted %+v", o)
		}

		// The API shows it.
		status, body := e.Do("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), nil, true)
		if status != 200 || !strings.Contains(string(body), `"omitted":[{"filename":"photos.zip","content_type":"application/octet-stream"`) ||
			!strings.Contains(string(body), `"reason":"message_too_large","limit":41943040}`) {
			t.Errorf("API = %d %s", status, clip(body))
		}
		// And so does the agent's timeline.
		page := agentPage(t, e, fmt.Sprintf("/app/conversations/%d", conv.ID))
		if !strings.Contains(page, `data-testid="omitted"`) || !strings.Contains(page, "photos.zip <span class=\"muted\">12.0 MB</span> — the email was larger than 40 MB") {
			t.Errorf("the timeline does not say what was left out:\n%s", clip([]byte(page)))
		}
	})
}

// TestEmailFilesOverLimits: files over the upload limit, and beyond the
// 19 a message carries, are recorded as left out instead of vanishing.
func TestEmailFilesOverLimits(t *testing.T) {
	c := newClock()
	e := &env{Env: apptest.StartWith(t, "sqlite", c.Now, func(cfg *config.Config) { cfg.MaxUploadBytes = 64 << 10 }), t: t, clock: c}
	mb := startMailbox(t)
	id := e.createInbox("email", map[string]string{"address": "help@acme.test", "imap_host": "127.0.0.1", "imap_port": fmt.Sprint(mb.port),
		"imap_security": "none", "smtp_host": "127.0.0.1"}, map[string]string{"imap_password": "imap-pass"})
	if _, err := e.App.Gateway.PollEmail(ctx, id); err != nil {
		t.Fatal(err)
	}
	files := [][2]any{{"scan.tiff", 100 << 10}}
	for i := range 20 {
		files = append(files, [2]any{fmt.Sprintf("page%02d.png", i+1), 1000})
	}
	mb.deliver(t, largeMail("many", files...))
	if _, err := e.App.Gateway.PollEmail(ctx, id); err != nil {
		t.Fatal(err)
	}
	m := e.messages(e.onlyConversation(id).ID)[0]
	if len(m.Attachments) != 19 || m.Attachments[18].Filename != "page19.png" {
		t.Errorf("%d files: %s", len(m.Attachments), fileNames(m))
	}
	var got []string
	for _, o := range m.Omitted {
		got = append(got, fmt.Sprintf("%s %d %s %d", o.Filename, o.Size, o.Reason, o.Limit))
	}
	if want := "scan.tiff 102400 file_too_large 65536|page20.png 1000 too_many_files 19"; strings.Join(got, "|") != want {
		t.Errorf("omitted %q, want %q", strings.Join(got, "|"), want)
	}
}

func fileNames(m parley.Message) string {
	var names []string
	for _, a := range m.Attachments {
		if a.Filename == "original.eml" || strings.HasPrefix(a.Filename, "original-") {
			names = append(names, a.Filename)
			continue
		}
		names = append(names, fmt.Sprintf("%s:%d", a.Filename, a.Size))
	}
	return strings.Join(names, " ")
}

func clip(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// agentPage signs in a new admin and returns a page of the agent UI.
func agentPage(t *testing.T, e *env, path string) string {
	t.Helper()
	if _, _, err := e.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: "lan@example.com", Name: "Lan", Role: parley.RoleAdmin},
		"a long enough password"); err != nil {
		t.Fatal(err)
	}
	signed, err := e.App.Inbox.SignIn(ctx, "lan@example.com", "a long enough password", "test")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: signed.Secret})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	return string(b)
}
