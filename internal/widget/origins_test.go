package widget_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// allowed returns the sites the fixture's inbox allows now.
func (f *fixture) allowed() []string {
	f.t.Helper()
	in, _, err := f.env.App.DB.Inbox(context.Background(), f.inbox.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return in.AllowedOrigins
}

// allowOrigins replaces the sites allowed to embed the fixture's inbox.
func (f *fixture) allowOrigins(origins ...string) {
	f.t.Helper()
	in, _, err := f.env.App.DB.Inbox(context.Background(), f.inbox.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	in.AllowedOrigins = origins
	if f.inbox, err = f.env.App.Inbox.UpdateInbox(context.Background(), inbox.System, in, nil); err != nil {
		f.t.Fatal(err)
	}
}

// chatPage fetches the chat page with the query and returns its CSP
// frame-ancestors directive and the parent origin it was given.
func (f *fixture) chatPage(query url.Values) (ancestors, parent string) {
	f.t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/widget/%d?%s", f.env.URL, f.inbox.ID, query.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("page = %d %s", resp.StatusCode, body)
	}
	for _, d := range strings.Split(resp.Header.Get("Content-Security-Policy"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "frame-ancestors "); ok {
			ancestors = v
		}
	}
	if m := regexp.MustCompile(`data-parent="([^"]*)"`).FindSubmatch(body); m != nil {
		parent = string(m[1])
	}
	return ancestors, parent
}

func TestAllowedOrigins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := start(t, dialect, nil, nil)
		parleyOrigin := f.env.URL // http://127.0.0.1:PORT, the base URL here

		t.Run("a new inbox allows only Parley's own origin", func(t *testing.T) {
			defer f.use(t)()
			if got := f.allowed(); len(got) != 1 || got[0] != parleyOrigin {
				t.Fatalf("allowed = %q, want [%s]", got, parleyOrigin)
			}
			if anc, _ := f.chatPage(nil); anc != parleyOrigin {
				t.Fatalf("frame-ancestors %q", anc)
			}
		})

		t.Run("frame-ancestors lists exactly the allowed sites", func(t *testing.T) {
			defer f.use(t)()
			f.allowOrigins("https://Shop.Example.com/", "https://*.example.org", "http://localhost:8080")
			anc, parent := f.chatPage(url.Values{"origin": {"https://shop.example.com"}})
			if anc != "https://shop.example.com https://*.example.org http://localhost:8080" {
				t.Fatalf("frame-ancestors %q", anc)
			}
			if parent != "https://shop.example.com" {
				t.Fatalf("parent %q", parent)
			}
			// A subdomain under a wildcard is believed; a site the inbox
			// does not allow is not, and the page talks to no parent.
			if _, parent := f.chatPage(url.Values{"origin": {"https://help.example.org"}}); parent != "https://help.example.org" {
				t.Fatalf("wildcard parent %q", parent)
			}
			for _, o := range []string{"https://evil.example", "https://example.org", "*", "null", `https://a.example.org" onload="x`, ""} {
				if _, parent := f.chatPage(url.Values{"origin": {o}}); parent != "" {
					t.Fatalf("origin %q: parent %q", o, parent)
				}
			}
		})

		t.Run("one exact site is the parent even for an older loader", func(t *testing.T) {
			defer f.use(t)()
			f.allowOrigins("https://shop.example.com")
			if anc, parent := f.chatPage(nil); anc != "https://shop.example.com" || parent != "https://shop.example.com" {
				t.Fatalf("frame-ancestors %q, parent %q", anc, parent)
			}
			if _, parent := f.chatPage(url.Values{"origin": {"https://evil.example"}}); parent != "https://shop.example.com" {
				t.Fatalf("a named stranger changed the parent: %q", parent)
			}
		})

		t.Run("any site is an explicit choice", func(t *testing.T) {
			defer f.use(t)()
			f.allowOrigins("*")
			if anc, parent := f.chatPage(url.Values{"origin": {"https://anyone.example"}}); anc != "*" || parent != "https://anyone.example" {
				t.Fatalf("frame-ancestors %q, parent %q", anc, parent)
			}
			if _, parent := f.chatPage(nil); parent != "*" {
				t.Fatalf("no origin named: parent %q", parent)
			}
		})

		t.Run("no site", func(t *testing.T) {
			defer f.use(t)()
			f.allowOrigins()
			if anc, parent := f.chatPage(url.Values{"origin": {"https://shop.example.com"}}); anc != "'none'" || parent != "" {
				t.Fatalf("frame-ancestors %q, parent %q", anc, parent)
			}
		})

		t.Run("bad sites are refused and change nothing", func(t *testing.T) {
			defer f.use(t)()
			f.allowOrigins("https://shop.example.com")
			in := f.inbox
			for _, bad := range [][]string{
				{"https://shop.example.com/page"}, {"shop.example.com"}, {"https://a.com; script-src *"}, {"javascript:alert(1)"},
				{"*", "https://shop.example.com"}, {"https://*.com"}, {"https://user@shop.example.com"},
			} {
				in.AllowedOrigins = bad
				if _, err := f.env.App.Inbox.UpdateInbox(context.Background(), inbox.System, in, nil); parley.ErrorCode(err) != parley.EINVALID {
					t.Errorf("%q: %v, want EINVALID", bad, err)
				}
			}
			if got := f.allowed(); len(got) != 1 || got[0] != "https://shop.example.com" {
				t.Fatalf("allowed = %q after refused changes", got)
			}
		})

		t.Run("visitor writes from another site are refused", func(t *testing.T) {
			defer f.use(t)()
			for _, tc := range []struct {
				header http.Header
				want   int
			}{
				{http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
				{http.Header{"Sec-Fetch-Site": {"same-site"}}, http.StatusForbidden},
				{http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
				{http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {parleyOrigin}}, http.StatusForbidden},
				{http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {parleyOrigin}}, http.StatusCreated},
				{http.Header{"Origin": {parleyOrigin}}, http.StatusCreated},
				{nil, http.StatusCreated}, // not a browser
			} {
				v := f.visitor()
				v.extraHeader = tc.header
				if status, body := v.do("POST", "/session", nil); status != tc.want {
					t.Errorf("%v: session = %d %s, want %d", tc.header, status, body, tc.want)
				}
			}
			// A refused message stores nothing.
			v := f.newVisitor()
			before := f.countMessages()
			v.extraHeader = http.Header{"Sec-Fetch-Site": {"cross-site"}}
			if status, _ := v.do("POST", "/messages", map[string]any{"id": "cross-site-1", "text": "hi"}); status != http.StatusForbidden {
				t.Fatalf("cross-site message = %d", status)
			}
			if f.countMessages() != before {
				t.Fatal("a cross-site message was stored")
			}
		})
	})
}
