package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// pngBytes is a PNG signature and IHDR chunk: enough for sniffing.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

type uploaded struct {
	UploadID    string `json:"upload_id"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

func (e *env) upload(b []byte, header map[string]string) uploaded {
	e.t.Helper()
	if header == nil {
		header = map[string]string{"Content-Type": "application/octet-stream"}
	}
	r := e.send("POST", "/api/v1/uploads", header, b, "")
	if r.status != 201 {
		e.t.Fatalf("upload = %s", r)
	}
	var u uploaded
	decodeInto(e.t, r, &u)
	return u
}

// testUploads: files go up raw, are attached to messages by upload_id, and
// come back as downloads that cannot run as pages.
func testUploads(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Support"})
	sum := sha256.Sum256(pngBytes)
	png := e.upload(pngBytes, nil)
	if png.UploadID != hex.EncodeToString(sum[:]) || png.Size != int64(len(pngBytes)) || png.ContentType != "image/png" {
		t.Fatalf("upload = %+v", png)
	}
	// The same bytes again are the same upload; the declared type is ignored.
	if again := e.upload(pngBytes, map[string]string{"Content-Type": "text/html"}); again != png {
		t.Fatalf("second upload = %+v, want %+v", again, png)
	}
	html := e.upload([]byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), map[string]string{"Content-Type": "image/png"})
	if !strings.HasPrefix(html.ContentType, "text/html") {
		t.Fatalf("html upload content_type = %q", html.ContentType)
	}
	text := e.upload([]byte("plain notes\n"), map[string]string{"Content-Type": "-"})

	limit := e.App.Config.MaxUploadBytes
	big := bytes.Repeat([]byte{'z'}, int(limit)+1)
	unknownSHA := strings.Repeat("ab", 32)
	incoming := fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)
	msg := func(text string, atts ...map[string]any) map[string]any {
		return map[string]any{"contact": map[string]any{"external_id": "c-1"}, "text": text, "attachments": atts}
	}
	att := func(id, name string) map[string]any { return map[string]any{"upload_id": id, "filename": name} }
	e.run([]scenario{
		{name: "empty upload", method: "POST", path: "/api/v1/uploads", body: []byte{}, status: 400, want: []string{"empty"}},
		{name: "upload over the limit", method: "POST", path: "/api/v1/uploads", body: big,
			header: map[string]string{"Expect": "100-continue", "Content-Type": "application/octet-stream"}, status: 413,
			want: []string{fmt.Sprintf("%d-byte limit", limit)}},
		{name: "chunked upload over the limit", method: "POST", path: "/api/v1/uploads", body: io.Reader(bytes.NewReader(big)),
			header: map[string]string{"Content-Type": "application/octet-stream"}, status: 413, want: []string{"limit"}},
		{name: "unknown upload id", method: "POST", path: incoming, body: msg("see file", att(unknownSHA, "x.png")), status: 404,
			want: []string{"upload", unknownSHA, "not found"}},
		{name: "unknown upload id among known", method: "POST", path: incoming, body: msg("see files", att(png.UploadID, "a.png"), att(unknownSHA, "b.png")),
			status: 404},
		{name: "malformed upload id", method: "POST", path: incoming, body: msg("x", att("xyz", "x.png")), status: 400, want: []string{"xyz"}},
		{name: "upper-case upload id", method: "POST", path: incoming, body: msg("x", att(strings.ToUpper(png.UploadID), "x.png")), status: 400},
		{name: "path as upload id", method: "POST", path: incoming, body: msg("x", att("../../../../etc/passwd", "x")), status: 400},
		{name: "filename with a slash", method: "POST", path: incoming, body: msg("x", att(png.UploadID, "../etc/passwd")), status: 400,
			want: []string{"filename"}},
		{name: "filename with a backslash", method: "POST", path: incoming, body: msg("x", att(png.UploadID, `a\b.png`)), status: 400},
		{name: "filename with NUL", method: "POST", path: incoming, body: msg("x", att(png.UploadID, "a\x00.png")), status: 400},
		{name: "filename too long", method: "POST", path: incoming, body: msg("x", att(png.UploadID, strings.Repeat("f", 256))), status: 400},
		{name: "reply with unknown upload", method: "POST", path: "/api/v1/conversations/1/messages",
			body: map[string]any{"text": "x", "attachments": []any{att(unknownSHA, "x")}}, status: 404},
	})

	// A message with attachments, and one with an attachment and no text.
	r := e.receive(in.ID, message{Contact: map[string]string{"external_id": "c-1"}, Text: "my logo and a page",
		Attachments: []map[string]any{att(png.UploadID, "logo.png"), att(html.UploadID, "page.html")}}, 201)
	r2 := e.receive(in.ID, message{Contact: map[string]string{"external_id": "c-1"},
		Attachments: []map[string]any{att(text.UploadID, `résumé "final".txt`), {"upload_id": png.UploadID}}}, 201)
	var reply parley.Message
	e.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID),
		map[string]any{"attachments": []any{att(png.UploadID, "reply.png")}}, 201, &reply)
	if len(reply.Attachments) != 1 || reply.Attachments[0].ContentType != "image/png" || reply.Attachments[0].ID == 0 {
		t.Fatalf("reply attachments = %+v", reply.Attachments)
	}

	m1 := e.message(r.ConversationID, r.MessageID)
	m2 := e.message(r.ConversationID, r2.MessageID)
	if len(m1.Attachments) != 2 || len(m2.Attachments) != 2 {
		t.Fatalf("attachments = %+v / %+v", m1.Attachments, m2.Attachments)
	}
	logo, page := m1.Attachments[0], m1.Attachments[1]
	if logo.Filename != "logo.png" || logo.ContentType != "image/png" || logo.Size != int64(len(pngBytes)) || logo.SHA256 != png.UploadID || logo.MessageID != r.MessageID {
		t.Fatalf("logo attachment = %+v", logo)
	}
	if m2.Text != "" || m2.Attachments[1].Filename != "attachment" {
		t.Fatalf("attachment-only message = %+v", m2)
	}

	for _, c := range []struct {
		a        parley.Attachment
		body     []byte
		ctype    string
		filename string
	}{
		{logo, pngBytes, "image/png", "logo.png"},
		{page, nil, "text/html", "page.html"},
		{m2.Attachments[0], []byte("plain notes\n"), "text/plain", `résumé "final".txt`},
	} {
		r := e.send("GET", fmt.Sprintf("/api/v1/attachments/%d", c.a.ID), nil, nil, "")
		if r.status != 200 {
			t.Fatalf("download %d = %s", c.a.ID, r)
		}
		if c.body != nil && !bytes.Equal(r.body, c.body) {
			t.Errorf("download %d = %q, want %q", c.a.ID, r.body, c.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
			t.Errorf("download %d Content-Type = %q, want %s", c.a.ID, ct, c.ctype)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("download %d without nosniff", c.a.ID)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("download %d CSP = %q", c.a.ID, csp)
		}
		disp, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != c.filename {
			t.Errorf("download %d Content-Disposition = %q (%v), want attachment with filename %q", c.a.ID, r.header.Get("Content-Disposition"), err, c.filename)
		}
	}
	// Ranges work on downloads.
	rr := e.send("GET", fmt.Sprintf("/api/v1/attachments/%d", logo.ID), map[string]string{"Range": "bytes=0-3"}, nil, "")
	if rr.status != 206 || !bytes.Equal(rr.body, pngBytes[:4]) {
		t.Fatalf("range download = %s", rr)
	}
	e.run([]scenario{
		{name: "unknown attachment", method: "GET", path: "/api/v1/attachments/424242", status: 404, want: []string{"attachment 424242"}},
	})
}
