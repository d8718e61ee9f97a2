package widget_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// startWith is start with a configuration edit.
func startWith(t *testing.T, dialect string, clock func() time.Time, edit func(*config.Config)) *fixture {
	t.Helper()
	env := apptest.StartWith(t, dialect, clock, edit)
	in, err := env.App.Inbox.CreateInbox(context.Background(), inbox.System,
		parley.Inbox{Name: "Acme Support", ChannelType: parley.ChannelWidget, EmailAsk: parley.EmailAskAlways}, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := env.App.DB.IdentitySecret(context.Background(), in.ID)
	return &fixture{t: t, env: env, inbox: in, secret: secret}
}

// file is n bytes of a PNG-looking file whose content depends on seed.
func file(seed string, n int) []byte {
	b := append([]byte("\x89PNG\r\n\x1a\n"+seed), make([]byte, n)...)
	return b[:n]
}

func shaOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (v *visitor) from(addr string) *visitor {
	v.extraHeader = http.Header{"X-Forwarded-For": {addr}}
	return v
}

// Visitor tokens must have been issued by this Parley: a token the server
// never signed is refused (403) for uploads and every other visitor
// write, and nothing is stored.
func TestForgedVisitorTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := start(t, dialect, nil, nil)
		ctx := context.Background()
		real := f.newVisitor()
		// A token of another inbox is no token of this one.
		in2, err := f.env.App.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Other", ChannelType: parley.ChannelWidget}, nil)
		if err != nil {
			t.Fatal(err)
		}
		v2 := f.visitor()
		v2.inboxID = in2.ID
		var s2 struct {
			Token string `json:"visitor_token"`
		}
		v2.json("POST", "/session", nil, http.StatusCreated, &s2)
		foreign := s2.Token
		// A token from before tokens were signed: random, never used.
		legacy := "pv_" + strings.Repeat("A", 43)
		// A signed-looking token with a made-up MAC.
		tampered := real.token[:len(real.token)-4] + "AAAA"
		if tampered == real.token {
			tampered = real.token[:len(real.token)-4] + "BBBB"
		}
		png := file("forged", 200)
		for _, tok := range []string{legacy, tampered, foreign} {
			v := f.visitor()
			v.token = tok
			for _, rq := range []struct {
				method, path string
				body         any
			}{
				{"POST", "/uploads", png},
				{"POST", "/messages", map[string]any{"id": "forged-01", "text": "hi"}},
				{"POST", "/email", map[string]any{"email": "x@example.com"}},
				{"POST", "/read", map[string]any{"message_id": 1}},
				{"GET", "/messages", nil},
			} {
				if status, body := v.do(rq.method, rq.path, rq.body); status != http.StatusForbidden {
					t.Errorf("%s… %s %s = %d %s, want 403", tok[:8], rq.method, rq.path, status, body)
				}
			}
			// The stream answers its status before any body: read only that.
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			resp, err := http.DefaultClient.Do(v.request("GET", "/stream", nil).WithContext(sctx))
			if err != nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s… stream = %v %v, want 403", tok[:8], resp, err)
			}
			if err == nil {
				resp.Body.Close()
			}
			cancel()
		}
		if have, _ := f.env.App.DB.HasBlob(ctx, shaOf(png)); have {
			t.Error("a forged token's upload was stored")
		}
		if n := f.countMessages(); n != 0 {
			t.Errorf("%d messages stored from forged tokens", n)
		}
		// The issued token works, and so does an old-format token that a
		// visitor already wrote with (its hash is a stored identity).
		var up struct {
			UploadID string `json:"upload_id"`
		}
		real.json("POST", "/uploads", png, http.StatusCreated, &up)
		id := real.say("hello")
		contact, err := f.env.App.DB.ContactIDByIdentity(ctx, parley.IdentityVisitor, f.inbox.ID, hashOf(real.token))
		if err != nil {
			t.Fatal(err)
		}
		used := "pv_" + strings.Repeat("B", 43)
		if err := f.env.App.Inbox.AddVisitorToken(ctx, f.inbox.ID, contact, hashOf(used)); err != nil {
			t.Fatal(err)
		}
		old := f.visitor()
		old.token = used
		if h := old.history(); len(h.Messages) != 1 || h.Messages[0].ID != id {
			t.Fatalf("old-format token of a known visitor: %+v", h)
		}
		old.json("POST", "/uploads", file("old", 100), http.StatusCreated, nil)
	})
}

func hashOf(token string) string { return shaOf([]byte(token)) }

// Each visitor, and each client address, has a byte quota; behind a
// trusted proxy, addresses are the forwarded clients'.
func TestUploadQuota(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := startWith(t, dialect, nil, func(c *config.Config) {
			c.MaxUploadBytes, c.WidgetUploadQuota, c.TrustedProxies = 4096, 10000, "127.0.0.1"
		})
		ctx := context.Background()
		v := f.newVisitor().from("198.51.100.1")
		v.json("POST", "/uploads", file("a", 4096), http.StatusCreated, nil)
		v.json("POST", "/uploads", file("b", 4096), http.StatusCreated, nil)
		// 8192 used, 1808 left: a full-size file is refused, a small one fits.
		status, body := v.do("POST", "/uploads", file("c", 4096))
		if status != http.StatusTooManyRequests || !strings.Contains(string(body), "as many files") {
			t.Fatalf("over the visitor quota = %d %s", status, body)
		}
		if have, _ := f.env.App.DB.HasBlob(ctx, shaOf(file("c", 4096))); have {
			t.Fatal("a refused upload was stored")
		}
		v.json("POST", "/uploads", file("d", 1500), http.StatusCreated, nil)
		if status, _ := v.do("POST", "/uploads", file("e", 1000)); status != http.StatusTooManyRequests {
			t.Fatalf("over the visitor quota (small file) = %d", status)
		}
		// The address (5 × 10000) runs out across fresh visitors: tokens
		// cost nothing, so the address bounds them.
		used := int64(8192 + 1500)
		for i := 0; 50000-used >= 4096; i++ {
			f.newVisitor().from("198.51.100.1").json("POST", "/uploads", file(fmt.Sprint("x", i), 4096), http.StatusCreated, nil)
			used += 4096
		}
		fresh := f.newVisitor().from("198.51.100.1")
		if status, _ := fresh.do("POST", "/uploads", file("late", 4096)); status != http.StatusTooManyRequests {
			t.Fatalf("over the address quota = %d", status)
		}
		// Another client behind the same proxy has its own.
		f.newVisitor().from("198.51.100.2").json("POST", "/uploads", file("other", 4096), http.StatusCreated, nil)
	})
}

// Uploads that no message uses are deleted after the grace period, rows
// and files, by the periodic job; used ones stay, and a blob shared by a
// used attachment and an unused upload of the same bytes stays too.
func TestOrphanUploadsDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := &fakeClock{}
		f := startWith(t, dialect, clock.Now, nil)
		ctx := context.Background()
		db, blobs := f.env.App.DB, f.env.App.Blobs
		v := f.newVisitor()
		orphan, used, again := file("orphan", 300), file("used", 300), file("again", 300)
		for _, b := range [][]byte{orphan, used, again} {
			v.json("POST", "/uploads", b, http.StatusCreated, nil)
		}
		v.json("POST", "/messages", map[string]any{"id": "with-file-1", "text": "",
			"attachments": []map[string]string{{"upload_id": shaOf(used), "filename": "a.png"}}}, http.StatusCreated, nil)
		// Someone else uploads the used file's bytes and never sends them.
		f.newVisitor().json("POST", "/uploads", used, http.StatusCreated, nil)
		// A resumable upload is begun, a piece sent, and left.
		left := v.tus("POST", "/uploads/resumable", nil, "Upload-Length", "600").Header.Get("Location")
		left = left[strings.LastIndex(left, "/")+1:]
		v.tus("PATCH", "/uploads/resumable/"+left, file("left", 200), "Upload-Offset", "0")
		// again is uploaded a second time 20 hours later: its grace period
		// starts over.
		clock.Advance(20 * time.Hour)
		v.json("POST", "/uploads", again, http.StatusCreated, nil)

		exists := func(b []byte) (row, file bool) {
			row, err := db.HasBlob(ctx, shaOf(b))
			if err != nil {
				t.Fatal(err)
			}
			r, err := blobs.Open(shaOf(b))
			if err == nil {
				r.Close()
			}
			return row, err == nil
		}
		waitGone := func(b []byte) {
			t.Helper()
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if row, file := exists(b); !row && !file {
					return
				}
			}
			row, file := exists(b)
			t.Fatalf("orphan upload not deleted: row %v, file %v", row, file)
		}
		if row, file := exists(orphan); !row || !file {
			t.Fatal("the upload is not there to begin with")
		}
		// 25 hours after the first uploads, the hourly job is due.
		clock.Advance(5 * time.Hour)
		f.env.App.Jobs.Wake()
		waitGone(orphan)
		// The same run deletes it, after the orphans.
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, err = db.UploadSession(ctx, left); parley.ErrorCode(err) == parley.ENOTFOUND {
				break
			}
		}
		if parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("a resumable upload left for a day is still there: %v", err)
		}
		for name, b := range map[string][]byte{"used": used, "re-uploaded": again} {
			if row, file := exists(b); !row || !file {
				t.Errorf("%s upload deleted: row %v, file %v", name, row, file)
			}
		}
		h := v.history()
		if len(h.Messages) != 1 || len(h.Messages[0].Attachments) != 1 {
			t.Fatalf("history = %+v", h)
		}
		resp, err := http.Get(f.env.URL + h.Messages[0].Attachments[0].URL)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("used attachment: %v %v", resp, err)
		}
		resp.Body.Close()
		// Past its own grace period, the re-uploaded one goes too.
		clock.Advance(20 * time.Hour)
		f.env.App.Jobs.Wake()
		waitGone(again)
		if row, file := exists(used); !row || !file {
			t.Error("used upload deleted")
		}
		// The deleted upload can no longer be attached; a new upload of the
		// same bytes can.
		if status, _ := v.do("POST", "/messages", map[string]any{"id": "with-file-2", "text": "",
			"attachments": []map[string]string{{"upload_id": shaOf(orphan), "filename": "b.png"}}}); status != http.StatusNotFound {
			t.Errorf("attaching a deleted upload = %d", status)
		}
		v.json("POST", "/uploads", bytes.Clone(orphan), http.StatusCreated, nil)
		v.json("POST", "/messages", map[string]any{"id": "with-file-3", "text": "",
			"attachments": []map[string]string{{"upload_id": shaOf(orphan), "filename": "b.png"}}}, http.StatusCreated, nil)
	})
}
