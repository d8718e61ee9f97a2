package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// testResumableUploads: an ingest token uploads a file in pieces
// (tus 1.0.0) and an incoming message carries it; the upload answers to
// its own token only, and protocol errors change nothing.
func testResumableUploads(t *testing.T, dialect string) {
	e := start(t, dialect)
	in := e.createInbox(map[string]any{"name": "Forms"})
	_, tok := e.newToken(map[string]any{"name": "Contact form", "scope": "ingest"})
	data := append([]byte("%PDF-1.7\n"), make([]byte, 3000)...)
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	tus := func(h map[string]string) map[string]string {
		out := map[string]string{"Tus-Resumable": "1.0.0", "Content-Type": "-"}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	piece := func(at int) map[string]string {
		return tus(map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": fmt.Sprint(at)})
	}

	if r := e.send("OPTIONS", "/api/v1/uploads/resumable", nil, nil, noToken); r.status != 204 || r.header.Get("Tus-Version") != "1.0.0" {
		t.Fatalf("OPTIONS = %s %v", r, r.header)
	}
	r := e.send("POST", "/api/v1/uploads/resumable", tus(map[string]string{"Upload-Length": fmt.Sprint(len(data)), "Upload-Metadata": "filename b3JkZXIucGRm"}), nil, tok)
	loc := r.header.Get("Location")
	if r.status != 201 || !strings.HasPrefix(loc, "/api/v1/uploads/resumable/") {
		t.Fatalf("create = %s, Location %q", r, loc)
	}
	if r := e.send("POST", "/api/v1/uploads/resumable", map[string]string{"Upload-Length": "10"}, nil, tok); r.status != 412 || r.header.Get("Tus-Version") != "1.0.0" {
		t.Errorf("create without Tus-Resumable = %s", r)
	}
	if r := e.send("POST", "/api/v1/uploads/resumable", tus(map[string]string{"Upload-Length": fmt.Sprint(e.App.Config.MaxUploadBytes + 1)}), nil, tok); r.status != 413 {
		t.Errorf("create over the limit = %s", r)
	}
	// Another token (even the admin's) does not find it.
	if r := e.send("PATCH", loc, piece(0), data[:1000], ""); r.status != 404 {
		t.Errorf("PATCH with another token = %s, want 404", r)
	}
	if r := e.send("PATCH", loc, tus(map[string]string{"Upload-Offset": "0", "Content-Type": "application/json"}), data[:1000], tok); r.status != 415 {
		t.Errorf("PATCH as JSON = %s, want 415", r)
	}
	if r := e.send("PATCH", loc, piece(0), data[:1000], tok); r.status != 204 || r.header.Get("Upload-Offset") != "1000" {
		t.Fatalf("first piece = %s %v", r, r.header)
	}
	if r := e.send("PATCH", loc, piece(0), data[:1000], tok); r.status != 409 {
		t.Errorf("the first piece again = %s, want 409", r)
	}
	if r := e.send("HEAD", loc, tus(nil), nil, tok); r.status != 200 || r.header.Get("Upload-Offset") != "1000" {
		t.Errorf("HEAD = %d %v", r.status, r.header)
	}
	r = e.send("PATCH", loc, piece(1000), data[1000:], tok)
	if r.status != 204 || r.header.Get("Parley-Upload-Id") != sha {
		t.Fatalf("last piece = %s %v", r, r.header)
	}
	got := e.receive(in.ID, message{Contact: map[string]string{"external_id": "form-9"}, Text: "my invoice",
		Attachments: []map[string]any{{"upload_id": sha, "filename": "order.pdf"}}}, 201)
	msgs := e.messages(got.ConversationID)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].ContentType != "application/pdf" || msgs[0].Attachments[0].Size != int64(len(data)) {
		t.Fatalf("the message's attachments = %+v", msgs)
	}
	// Termination: a second upload abandoned.
	r = e.send("POST", "/api/v1/uploads/resumable", tus(map[string]string{"Upload-Length": "50"}), nil, tok)
	gone := r.header.Get("Location")
	if r := e.send("DELETE", gone, tus(nil), nil, tok); r.status != 204 {
		t.Fatalf("DELETE = %s", r)
	}
	if r := e.send("HEAD", gone, tus(nil), nil, tok); r.status != 404 {
		t.Errorf("HEAD after DELETE = %d", r.status)
	}
}
