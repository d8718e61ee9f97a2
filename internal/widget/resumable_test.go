package widget_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// tus sends one request of the resumable upload protocol as the visitor.
func (v *visitor) tus(method, path string, body []byte, h ...string) *http.Response {
	v.f.t.Helper()
	var b any // a nil []byte would still be a body
	if body != nil {
		b = body
	}
	req := v.request(method, path, b)
	req.Header.Set("Tus-Resumable", "1.0.0")
	if method == "PATCH" {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestResumableUpload: a visitor's file in pieces becomes an upload a
// message can carry; the quotas are charged for the declared length when
// the upload starts; another visitor cannot see or continue it.
func TestResumableUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := startWith(t, dialect, nil, func(c *config.Config) {
			c.MaxUploadBytes, c.WidgetUploadQuota, c.TrustedProxies = 4096, 10000, "127.0.0.1"
		})
		ctx := context.Background()
		v := f.newVisitor().from("198.51.100.7")
		data := file("pieces", 4000)
		resp := v.tus("POST", "/uploads/resumable", nil, "Upload-Length", "4000", "Upload-Metadata", "filename c2hvdC5wbmc=")
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create = %d", resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		path := strings.TrimPrefix(loc, "/widget/"+strconv.FormatInt(f.inbox.ID, 10))
		if path == loc || !strings.HasPrefix(path, "/uploads/resumable/") {
			t.Fatalf("Location %q", loc)
		}
		// Another visitor (even from the same address) knows nothing of it.
		other := f.newVisitor().from("198.51.100.7")
		if r := other.tus("PATCH", path, data[:100], "Upload-Offset", "0"); r.StatusCode != http.StatusNotFound {
			t.Errorf("another visitor's PATCH = %d, want 404", r.StatusCode)
		}
		// Two pieces; the second completes the file.
		if r := v.tus("PATCH", path, data[:2500], "Upload-Offset", "0"); r.StatusCode != http.StatusNoContent || r.Header.Get("Upload-Offset") != "2500" {
			t.Fatalf("first piece = %d %v", r.StatusCode, r.Header)
		}
		r := v.tus("PATCH", path, data[2500:], "Upload-Offset", "2500")
		if r.StatusCode != http.StatusNoContent || r.Header.Get("Parley-Upload-Id") != shaOf(data) {
			t.Fatalf("last piece = %d %v", r.StatusCode, r.Header)
		}
		if have, _ := f.env.App.DB.HasBlob(ctx, shaOf(data)); !have {
			t.Fatal("the completed upload is not stored")
		}
		v.json("POST", "/messages", map[string]any{"id": "with-pieces-1", "text": "here it is",
			"attachments": []map[string]any{{"upload_id": shaOf(data), "filename": "shot.png"}}}, http.StatusCreated, nil)

		// The 4,000 bytes count against the visitor's 10,000 from the
		// start: an upload declaring 4,096 more is still room (8,096), a
		// third is not, before a byte of it is sent.
		if r := v.tus("POST", "/uploads/resumable", nil, "Upload-Length", "4096"); r.StatusCode != http.StatusCreated {
			t.Fatalf("second create = %d", r.StatusCode)
		}
		if r := v.tus("POST", "/uploads/resumable", nil, "Upload-Length", "4096"); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("over the quota = %d, want 429", r.StatusCode)
		}
		if r := v.tus("POST", "/uploads/resumable", nil, "Upload-Length", "5000"); r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("over the file limit = %d, want 413", r.StatusCode)
		}
		// A request from another site is refused like any widget write.
		if r := v.tus("PATCH", path, data[:1], "Upload-Offset", "4000", "Sec-Fetch-Site", "cross-site"); r.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site PATCH = %d, want 403", r.StatusCode)
		}
	})
}
