package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// postMultipart sends a form with files (name → filename, bytes).
func (c *client) postMultipart(path string, fields url.Values, files map[string][2]string) (int, string) {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", c.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for field, f := range files {
		fw, _ := mw.CreateFormFile(field, f[0])
		fw.Write([]byte(f[1]))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// A WebM file's EBML header, enough for the sniffer to call it video/webm.
const webmBytes = "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"

// TestClips: an admin keeps a recording with a canned response and an
// article (a file chosen in the form, or one already stored by a capture);
// the composer offers it with the response and the article link; the
// public help page plays the published article's clip; saving without a
// new file keeps the clip, and Remove drops it.
func TestClips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		owner, agent, anon := e.login("owner@example.com"), e.login("agent@example.com"), e.anon()

		status, _ := owner.postMultipart("/app/admin/canned", url.Values{"shortcut": {"reset"}, "title": {"Reset your password"}, "body": {"Here is how, {{contact.first_name}}."}},
			map[string][2]string{"clip": {"how-to-reset.webm", webmBytes}})
		if status != http.StatusSeeOther {
			t.Fatalf("create canned with a clip = %d", status)
		}
		canned, err := e.App.DB.CannedResponses(bg)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		var sha string
		for _, c := range canned {
			if c.Shortcut == "reset" && c.Clip != nil {
				id, sha = c.ID, c.Clip.UploadID
				if c.Clip.Filename != "how-to-reset.webm" {
					t.Errorf("clip name %q", c.Clip.Filename)
				}
			}
		}
		if id == 0 {
			t.Fatalf("no canned response with a clip: %+v", canned)
		}
		_, page := owner.get("/app/admin/canned")
		if !strings.Contains(page, `data-testid="clip-current"`) || !strings.Contains(page, "how-to-reset.webm") || !strings.Contains(page, `enctype="multipart/form-data"`) {
			t.Errorf("the settings page does not show the clip: %s", page[strings.Index(page, "<h1>"):])
		}
		_, conv := agent.get(fmt.Sprintf("/app/conversations/%d", e.convID))
		if !strings.Contains(conv, `data-clip="`+sha+`" data-clip-name="how-to-reset.webm"`) {
			t.Errorf("the composer's canned option carries no clip")
		}
		// Saved again without a file: the clip stays. With Remove: gone.
		path := fmt.Sprintf("/app/admin/canned/%d", id)
		if status, _ := owner.postMultipart(path, url.Values{"shortcut": {"reset"}, "title": {"Reset"}, "body": {"Here is how."}}, nil); status != http.StatusSeeOther {
			t.Fatalf("update = %d", status)
		}
		if c, _ := e.App.DB.Canned(bg, id); c.Clip == nil || c.Clip.UploadID != sha || c.Title != "Reset" {
			t.Fatalf("after an update without a file: %+v", c)
		}
		if status, _ := owner.postMultipart(path, url.Values{"shortcut": {"reset"}, "title": {"Reset"}, "body": {"Here is how."}, "remove_clip": {"1"}}, nil); status != http.StatusSeeOther {
			t.Fatalf("remove = %d", status)
		}
		if c, _ := e.App.DB.Canned(bg, id); c.Clip != nil {
			t.Fatalf("after Remove: %+v", c.Clip)
		}
		// An agent may not set clips; a clip naming no upload is refused.
		if status, _ := agent.postMultipart(path, url.Values{"shortcut": {"reset"}, "title": {"X"}, "body": {"Y"}}, nil); status != http.StatusForbidden {
			t.Errorf("agent edits canned = %d", status)
		}
		if status, _ := owner.postMultipart(path, url.Values{"shortcut": {"reset"}, "title": {"Reset"}, "body": {"B"}, "upload_id": {strings.Repeat("f", 64)}}, nil); status != http.StatusNotFound {
			t.Errorf("a clip of nothing = %d", status)
		}

		// An article takes the clip already stored (as a capture leaves it).
		status, _ = owner.postMultipart("/app/admin/knowledge", url.Values{"title": {"Resetting a password"}, "body": {"Open **Settings**."}, "status": {"published"},
			"upload_id": {sha}, "upload_name": {"reset.webm"}}, nil)
		if status != http.StatusSeeOther {
			t.Fatalf("create article with a clip = %d", status)
		}
		a, err := e.App.DB.ArticleBySlug(bg, "resetting-a-password")
		if err != nil || a.Clip == nil || a.Clip.UploadID != sha {
			t.Fatalf("article: %+v %v", a.Clip, err)
		}
		_, help := anon.get("/help/articles/resetting-a-password")
		if !strings.Contains(help, `<video controls preload="metadata" src="/help/articles/resetting-a-password/clip">`) {
			t.Errorf("the help page does not play the clip")
		}
		status, body, h := anon.do("GET", "/help/articles/resetting-a-password/clip", nil, false)
		if status != 200 || body != webmBytes || h.Get("Content-Type") != "video/webm" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") {
			t.Errorf("the clip = %d %s %v", status, h.Get("Content-Type"), h.Get("Content-Disposition"))
		}
		_, picker, _ := agent.do("GET", "/app/knowledge/picker?q=password", nil, true)
		if !strings.Contains(picker, `data-kb-clip="`+sha+`" data-kb-clip-name="reset.webm"`) {
			t.Errorf("the picker's result carries no clip")
		}
		// A draft's clip is as private as the draft.
		if status, _ := owner.postMultipart(fmt.Sprintf("/app/admin/knowledge/%d", a.ID), url.Values{"title": {"Resetting a password"}, "slug": {"resetting-a-password"},
			"body": {"b"}, "lang": {"en"}, "status": {"draft"}}, nil); status != http.StatusSeeOther {
			t.Fatalf("to draft = %d", status)
		}
		if a, _ = e.App.DB.Article(bg, a.ID); a.Clip == nil {
			t.Fatalf("the update without a file dropped the clip")
		}
		if status, _, _ := anon.do("GET", "/help/articles/resetting-a-password/clip", nil, false); status != http.StatusNotFound {
			t.Errorf("a draft's clip = %d", status)
		}
	})
}
