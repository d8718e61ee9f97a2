package inbox_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/mail"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestVerifyUserHash(t *testing.T) {
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("user-1"))
	good := hex.EncodeToString(mac.Sum(nil))
	for _, tc := range []struct {
		secret, user, hash string
		ok                 bool
	}{
		{"s3cret", "user-1", good, true},
		{"s3cret", "user-1", strings.ToUpper(good), true},
		{"s3cret", "user-2", good, false},
		{"other", "user-1", good, false},
		{"", "user-1", good, false},
		{"s3cret", "", good, false},
		{"s3cret", "user-1", "zz", false},
		{"s3cret", "user-1", good[:10], false},
	} {
		if got := inbox.VerifyUserHash(tc.secret, tc.user, tc.hash); got != tc.ok {
			t.Errorf("VerifyUserHash(%q, %q, %.8s…) = %v", tc.secret, tc.user, tc.hash, got)
		}
	}
}

func TestSignedWidgetTokens(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	box := storetest.Box(t)
	other, err := secret.New("another key, long enough to be accepted by secret.New")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := inbox.ResumeToken(box, 3, 42, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if id, err := inbox.VerifyResumeToken(box, 3, tok, now); err != nil || id != 42 {
		t.Fatalf("resume token: %d, %v", id, err)
	}
	if _, err := inbox.ResumeToken(&secret.Box{}, 3, 42, now.Add(time.Hour)); err == nil {
		t.Error("a Box without a key signed a resume token")
	}
	attachment, _ := inbox.SignWidget(box, 3, inbox.PurposeAttachment, "3-42", now.Add(time.Hour))
	bad := map[string]struct {
		box   *secret.Box
		inbox int64
		token string
		at    time.Time
	}{
		"expired":       {box, 3, tok, now.Add(2 * time.Hour)},
		"other inbox":   {box, 4, tok, now},
		"other key":     {other, 3, tok, now},
		"no key":        {&secret.Box{}, 3, tok, now},
		"tampered":      {box, 3, strings.Replace(tok, "3-42", "3-43", 1), now},
		"other purpose": {box, 3, attachment, now},
		"garbage":       {box, 3, "nonsense", now},
	}
	for name, tc := range bad {
		if _, err := inbox.VerifyResumeToken(tc.box, tc.inbox, tc.token, tc.at); parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Errorf("%s: err = %v, want forbidden", name, err)
		}
	}
}

// TestHostCannotSignWidgetLinks: a host site holds the inbox's identity
// secret and computes HMAC-SHA256(identity secret, user id) for its users.
// Nothing it can compute from that secret, for any user id, may sign a
// resume link or an attachment URL: not the HMAC of a fixed string used
// as a key (what a host user whose id is that string receives as their
// hash), not the secret itself as a key.
func TestHostCannotSignWidgetLinks(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	box := storetest.Box(t)
	const identity = "the inbox identity secret, which the host site holds"
	hmacHex := func(key []byte, data string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return hex.EncodeToString(m.Sum(nil))
	}
	hostHash := func(userID string) string { return hmacHex([]byte(identity), userID) }
	// Every key a host could derive: the secret, and the hash (hex or raw)
	// of any id that names a purpose, as earlier schemes derived keys.
	keys := [][]byte{[]byte(identity)}
	for _, id := range []string{"resume", "attachment", "parley-widget-resume", "parley-widget-attachment", "widget resume", "widget attachment",
		"widget resume inbox 3", "widget attachment inbox 3", "parley mac v1 widget resume inbox 3"} {
		h := hostHash(id)
		raw, _ := hex.DecodeString(h)
		keys = append(keys, []byte(h), raw)
	}
	exp := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	for _, k := range keys {
		for _, purpose := range []string{inbox.PurposeResume, inbox.PurposeAttachment} {
			body := "3-42." + exp
			m := hmac.New(sha256.New, k)
			m.Write([]byte(body))
			sum := m.Sum(nil)
			for _, sig := range []string{base64.RawURLEncoding.EncodeToString(sum), hex.EncodeToString(sum), base64.StdEncoding.EncodeToString(sum)} {
				if p, err := inbox.VerifyWidget(box, 3, purpose, body+"."+sig, now); err == nil {
					t.Fatalf("a token signed with a host-computable key verifies for %s: payload %q", purpose, p)
				}
			}
		}
	}
	// And the user hash itself still verifies as before: hosts change nothing.
	if !inbox.VerifyUserHash(identity, "user-1", hostHash("user-1")) {
		t.Error("the host-facing user hash no longer verifies")
	}
}

// widgetSetup is a widget inbox with one visitor who wrote once.
func widgetSetup(t *testing.T, dialect string) (*fixture, store.ContactKey, inbox.Received) {
	f := setup(t, dialect)
	in, err := f.svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget, AwayMinutes: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.inbox = in
	key := store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "tokenhash"}
	r, err := f.svc.Receive(bg, in.ID, inbox.Incoming{Contact: key, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	return f, key, r
}

func TestWidgetUseCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, key, r := widgetSetup(t, dialect)
		if _, err := f.svc.WidgetInbox(bg, f.inbox.ID); err != nil {
			t.Fatal(err)
		}
		api, _ := f.svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}, nil)
		if _, err := f.svc.WidgetInbox(bg, api.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("API inbox as a widget: %v", err)
		}
		note, err := f.svc.AddNote(bg, inbox.System, r.ConversationID, inbox.Outgoing{Text: "secret note"})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := f.svc.Reply(bg, inbox.System, r.ConversationID, inbox.Outgoing{Text: "hi back"})
		if err != nil {
			t.Fatal(err)
		}
		h, err := f.svc.WidgetHistory(bg, f.inbox.ID, r.ContactID)
		if err != nil || len(h.Messages) != 2 || h.Messages[1].ID != reply.ID {
			t.Fatalf("history = %+v, %v", h.Messages, err)
		}
		if err := f.svc.MarkWidgetRead(bg, f.inbox.ID, r.ContactID, note.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("marking a note read: %v", err)
		}
		if err := f.svc.MarkWidgetRead(bg, f.inbox.ID, r.ContactID, reply.ID); err != nil {
			t.Fatal(err)
		}
		if h, _ := f.svc.WidgetHistory(bg, f.inbox.ID, r.ContactID); h.SeenID != reply.ID {
			t.Fatalf("seen = %d", h.SeenID)
		}
		if _, err := f.svc.SetVisitorEmail(bg, f.inbox.ID, key, "nope"); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("bad email: %v", err)
		}
		id, err := f.svc.SetVisitorEmail(bg, f.inbox.ID, store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "new"}, "New@Example.com")
		if err != nil || id == r.ContactID {
			t.Fatalf("email for a visitor who has not written: %d, %v", id, err)
		}
		if c, _ := f.svc.DB.Contact(bg, id); c.Email != "new@example.com" {
			t.Fatalf("contact = %+v", c)
		}
		if err := f.svc.AddVisitorToken(bg, f.inbox.ID, r.ContactID, "second"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.DB.ContactIDByIdentity(bg, parley.IdentityVisitor, f.inbox.ID, "second"); got != r.ContactID {
			t.Fatalf("second token → %d", got)
		}
	})
}

// sender records emails and fails as told.
type sender struct {
	sent []mail.Message
	err  error
}

func (s *sender) send(_ context.Context, _ mail.Config, m mail.Message) error {
	if s.err != nil {
		return s.err
	}
	s.sent = append(s.sent, m)
	return nil
}

func TestReplyNotifier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f, key, r := widgetSetup(t, dialect)
		if _, err := f.svc.SetVisitorEmail(bg, f.inbox.ID, key, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSMTPSettings(bg, inbox.System, inbox.SMTPSettings{Host: "smtp.test", From: "Help <help@acme.test>"}); err != nil {
			t.Fatal(err)
		}
		s := &sender{}
		present := false
		n := &inbox.ReplyNotifier{Service: f.svc, BaseURL: func() string { return "https://parley.test/" }, Send: s.send,
			Present: func(int64) bool { return present }}
		run := func(m parley.Message, last bool) error {
			return n.Run(bg, `{"message_id":`+itoa(m.ID)+`}`, last)
		}
		reply := func(text string) parley.Message {
			m, err := f.svc.Reply(bg, inbox.System, r.ConversationID, inbox.Outgoing{Text: text})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		notes := func() []store.Notification {
			list, err := f.svc.DB.Notifications(bg, r.ConversationID)
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		first, second := reply("one"), reply("two")
		f.clock.Add(3 * time.Minute)
		// A later reply's job carries both.
		if err := run(first, false); err != nil || len(s.sent) != 0 {
			t.Fatalf("superseded reply: %v, %d sent", err, len(s.sent))
		}
		present = true
		if err := run(second, false); err != nil || len(s.sent) != 0 {
			t.Fatalf("present visitor: %v, %d sent", err, len(s.sent))
		}
		present = false
		s.err = errors.New("connection refused")
		if err := run(second, false); err == nil || len(notes()) != 0 {
			t.Fatalf("temporary failure: %v, %+v", err, notes())
		}
		s.err = nil
		if err := run(second, false); err != nil || len(s.sent) != 1 {
			t.Fatalf("send: %v, %d sent", err, len(s.sent))
		}
		m := s.sent[0]
		if m.To != "ann@example.com" || !strings.Contains(m.Text, "one") || !strings.Contains(m.Text, "two") ||
			!strings.HasPrefix(m.Link, "https://parley.test/widget/"+itoa(f.inbox.ID)+"/resume?token=") {
			t.Fatalf("email = %+v", m)
		}
		if err := run(second, false); err != nil || len(s.sent) != 1 || len(notes()) != 1 {
			t.Fatalf("rerun sent again: %v, %d", err, len(s.sent))
		}

		third := reply("three")
		f.clock.Add(3 * time.Minute)
		s.err = &mail.PermanentError{Err: errors.New("550 no such user")}
		var perm *inbox.PermanentError
		if err := run(third, false); !errors.As(err, &perm) {
			t.Fatalf("permanent failure: %v", err)
		}
		if list := notes(); len(list) != 2 || list[1].Status != store.NotificationFailed || !strings.Contains(list[1].Reason, "550") {
			t.Fatalf("notifications = %+v", list)
		}

		fourth := reply("four")
		f.clock.Add(3 * time.Minute)
		if err := f.svc.MarkWidgetRead(bg, f.inbox.ID, r.ContactID, fourth.ID); err != nil {
			t.Fatal(err)
		}
		if err := run(fourth, true); err != nil || len(notes()) != 2 {
			t.Fatalf("read reply: %v, %+v", err, notes())
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
