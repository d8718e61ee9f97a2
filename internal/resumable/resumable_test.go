package resumable_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/resumable"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const limit = 1 << 20

// mount serves the protocol the way the product's routes do, with the
// owner taken from a header so a test can play two callers.
func mount(t *testing.T, dialect string) (*httptest.Server, *store.DB, blob.Store) {
	db := storetest.Open(t, dialect)
	blobs := &blob.DB{Store: db, ChunkSize: 64 << 10, TempDir: t.TempDir()}
	svc := &inbox.Service{DB: db, Blobs: blobs}
	s := &resumable.Server{DB: db, Upload: svc.Upload, PieceBytes: 16 << 10}
	mux := http.NewServeMux()
	wrap := func(f func(w http.ResponseWriter, r *http.Request, owner string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r, r.Header.Get("X-Owner")); err != nil {
				jsonhttp.Error(w, r, err)
			}
		}
	}
	mux.HandleFunc("POST /up", wrap(func(w http.ResponseWriter, r *http.Request, owner string) error {
		_, err := s.Create(w, r, owner, limit)
		return err
	}))
	mux.HandleFunc("OPTIONS /up", func(w http.ResponseWriter, r *http.Request) { s.Options(w, limit) })
	mux.HandleFunc("HEAD /up/{upload_id}", wrap(s.Head))
	mux.HandleFunc("PATCH /up/{upload_id}", wrap(s.Patch))
	mux.HandleFunc("DELETE /up/{upload_id}", wrap(s.Delete))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, db, blobs
}

func do(t *testing.T, method, url, owner string, body []byte, h ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-Owner", owner)
	if method == "PATCH" {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	for i := 0; i+1 < len(h); i += 2 {
		if h[i+1] == "" {
			req.Header.Del(h[i])
		} else {
			req.Header.Set(h[i], h[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Tus-Resumable") != "1.0.0" && method != "OPTIONS" {
		t.Errorf("%s %s: answer %d has no Tus-Resumable", method, url, resp.StatusCode)
	}
	return resp
}

func create(t *testing.T, base, owner string, n int) string {
	t.Helper()
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte("clip\x00 one.webm"))
	resp := do(t, "POST", base+"/up", owner, nil, "Upload-Length", strconv.Itoa(n), "Upload-Metadata", meta)
	if resp.StatusCode != 201 || resp.Header.Get("Upload-Expires") == "" {
		t.Fatalf("create: %d %v", resp.StatusCode, resp.Header)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/up/") {
		t.Fatalf("Location %q", loc)
	}
	return base + loc
}

func offset(t *testing.T, url, owner string) int64 {
	t.Helper()
	resp := do(t, "HEAD", url, owner, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	n, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return n
}

// TestResumeAfterDrop: a PATCH whose connection breaks mid-body keeps what
// arrived; HEAD says where to go on; the rest completes the file, whose
// blob has exactly the bytes sent.
func TestResumeAfterDrop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		srv, db, blobs := mount(t, dialect)
		data := make([]byte, 200_000)
		rand.Read(data)
		url := create(t, srv.URL, "agent:1", len(data))
		id := url[strings.LastIndex(url, "/")+1:]
		if s, err := db.UploadSession(t.Context(), id); err != nil || s.Filename != "clip one.webm" || s.Length != 200_000 {
			t.Fatalf("session %+v, %v (the name loses its control character)", s, err)
		}

		// A raw connection that promises the whole file and stops at
		// 150,000 bytes, the way a phone leaving Wi-Fi does.
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PATCH /up/%s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nX-Owner: agent:1\r\n"+
			"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: %d\r\n\r\n", id, len(data))
		conn.Write(data[:150_000])
		time.Sleep(100 * time.Millisecond)
		conn.Close()
		var at int64
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if at = offset(t, url, "agent:1"); at == 150_000 {
				break
			}
		}
		if at != 150_000 {
			t.Fatalf("after the drop the offset is %d, not the 150,000 bytes that arrived", at)
		}

		// A stale retry of the first piece is refused and stores nothing.
		if resp := do(t, "PATCH", url, "agent:1", data[:1000], "Upload-Offset", "0"); resp.StatusCode != 409 {
			t.Errorf("PATCH at a stale offset: %d, want 409", resp.StatusCode)
		}
		resp := do(t, "PATCH", url, "agent:1", data[at:], "Upload-Offset", strconv.FormatInt(at, 10))
		sum := sha256.Sum256(data)
		want := hex.EncodeToString(sum[:])
		if resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "200000" || resp.Header.Get(resumable.IDHeader) != want {
			t.Fatalf("last PATCH: %d %v, want the blob %s", resp.StatusCode, resp.Header, want)
		}
		f, err := blobs.Open(want)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, data) {
			t.Fatalf("the blob holds %d bytes that differ from those sent", len(got))
		}
		// The answer lost, the client asks again: HEAD names the blob, and
		// a repeated last PATCH at the full length gets the same answer.
		if resp := do(t, "HEAD", url, "agent:1", nil); resp.Header.Get(resumable.IDHeader) != want {
			t.Errorf("HEAD of a complete upload: %v", resp.Header)
		}
		if resp := do(t, "PATCH", url, "agent:1", nil, "Upload-Offset", "200000"); resp.StatusCode != 204 || resp.Header.Get(resumable.IDHeader) != want {
			t.Errorf("empty PATCH at the end: %d %v", resp.StatusCode, resp.Header)
		}
		if _, err := db.UploadPiece(t.Context(), id, 0); err == nil {
			t.Error("the pieces outlived the blob they made")
		}
	})
}

// TestRefusals: each bad request gets its protocol status and changes
// nothing.
func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		srv, db, _ := mount(t, dialect)
		url := create(t, srv.URL, "visitor:1:v:a", 1000)
		id := url[strings.LastIndex(url, "/")+1:]
		piece := make([]byte, 100)
		for _, c := range []struct {
			name   string
			method string
			owner  string
			body   []byte
			h      []string
			status int
		}{
			{"no version", "PATCH", "visitor:1:v:a", piece, []string{"Upload-Offset", "0", "Tus-Resumable", ""}, 412},
			{"old version", "HEAD", "visitor:1:v:a", nil, []string{"Tus-Resumable", "0.2.2"}, 412},
			{"wrong type", "PATCH", "visitor:1:v:a", piece, []string{"Upload-Offset", "0", "Content-Type", "application/json"}, 415},
			{"wrong offset", "PATCH", "visitor:1:v:a", piece, []string{"Upload-Offset", "50"}, 409},
			{"bad offset", "PATCH", "visitor:1:v:a", piece, []string{"Upload-Offset", "-1"}, 400},
			{"past the length", "PATCH", "visitor:1:v:a", make([]byte, 1001), []string{"Upload-Offset", "0"}, 400},
			{"another owner's", "PATCH", "visitor:1:v:b", piece, []string{"Upload-Offset", "0"}, 404},
			{"another owner's HEAD", "HEAD", "agent:1", nil, nil, 404},
			{"another owner's DELETE", "DELETE", "agent:1", nil, nil, 404},
		} {
			resp := do(t, c.method, url, c.owner, c.body, c.h...)
			if resp.StatusCode != c.status {
				t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
			}
			if c.status == 412 && resp.Header.Get("Tus-Version") != "1.0.0" {
				t.Errorf("%s: no Tus-Version", c.name)
			}
		}
		if s, _ := db.UploadSession(t.Context(), id); s.Received != 0 {
			t.Errorf("refused requests stored %d bytes", s.Received)
		}
		for _, c := range []struct {
			length string
			status int
		}{{"", 400}, {"ten", 400}, {"0", 400}, {strconv.Itoa(limit + 1), 413}} {
			if resp := do(t, "POST", srv.URL+"/up", "agent:1", nil, "Upload-Length", c.length); resp.StatusCode != c.status {
				t.Errorf("create with Upload-Length %q: %d, want %d", c.length, resp.StatusCode, c.status)
			}
		}
		if resp := do(t, "OPTIONS", srv.URL+"/up", "", nil); resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Tus-Extension"), "creation") {
			t.Errorf("OPTIONS: %d %v", resp.StatusCode, resp.Header)
		}

		// Termination, then the cleanup of what was left.
		do(t, "PATCH", url, "visitor:1:v:a", piece, "Upload-Offset", "0")
		if resp := do(t, "DELETE", url, "visitor:1:v:a", nil); resp.StatusCode != 204 {
			t.Fatalf("DELETE: %d", resp.StatusCode)
		}
		if resp := do(t, "HEAD", url, "visitor:1:v:a", nil); resp.StatusCode != 404 {
			t.Errorf("HEAD after DELETE: %d", resp.StatusCode)
		}
		left := create(t, srv.URL, "agent:1", 500)
		do(t, "PATCH", left, "agent:1", piece, "Upload-Offset", "0")
		var n int
		if err := db.Write(t.Context(), func(tx *store.Tx) (err error) {
			n, err = tx.DeleteStaleUploadSessions(db.Now().Add(time.Minute), 100)
			return err
		}); err != nil || n != 1 {
			t.Fatalf("stale cleanup deleted %d, %v", n, err)
		}
		if _, err := db.UploadPiece(t.Context(), left[strings.LastIndex(left, "/")+1:], 0); err == nil {
			t.Error("a stale session's piece outlived it")
		}
	})
}
