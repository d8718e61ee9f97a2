package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// health reads /healthz without a token.
func (e *env) health() (int, http.Header, api.Health) {
	e.t.Helper()
	resp, err := http.Get(e.URL + "/healthz")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		e.t.Fatalf("healthz: %v", err)
	}
	return resp.StatusCode, resp.Header, h
}

// wantStorageFull checks a refused write: 503, Retry-After, storage_full,
// and a message that names the problem without internals.
func wantStorageFull(t *testing.T, what string, r response) {
	t.Helper()
	var eb struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(r.body, &eb)
	if r.status != http.StatusServiceUnavailable || eb.Error.Code != parley.ESTORAGEFULL || r.header.Get("Retry-After") == "" {
		t.Fatalf("%s = %s (Retry-After %q), want 503 storage_full with Retry-After", what, r, r.header.Get("Retry-After"))
	}
	if !strings.Contains(eb.Error.Message, "Storage is full") {
		t.Errorf("%s: message %q", what, eb.Error.Message)
	}
}

// TestStorageFullDatabase fills a real SQLite database (its page limit):
// the message that does not fit answers 503 with Retry-After and leaves
// nothing behind, /healthz reports storage_full, and once there is room
// again the same request is stored and health recovers.
func TestStorageFullDatabase(t *testing.T) {
	e := start(t, "sqlite")
	ctx := context.Background()
	in := e.createInbox(map[string]any{"name": "Support"})
	e.say(in.ID, "ana", "Hello")
	if st, _, h := e.health(); st != 200 || h.Status != "ok" || h.Storage != "ok" {
		t.Fatalf("healthz before = %d %+v", st, h)
	}
	pages, err := e.App.DB.PageCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.DB.LimitPages(ctx, pages); err != nil {
		t.Fatal(err)
	}
	// Random letters, so neither the database nor its index packs them.
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		b := make([]byte, 60<<10)
		for i := range b {
			b[i] = 'a' + byte(rng.IntN(26))
			if i%7 == 6 {
				b[i] = ' '
			}
		}
		return string(b)
	}
	var refused message
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatal("the database never filled up")
		}
		m := message{Contact: map[string]string{"external_id": fmt.Sprintf("big-%d", i)}, ExternalMessageID: fmt.Sprintf("m-%d", i), Text: text()}
		r := e.send("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID), nil, m, "")
		if r.status == http.StatusCreated {
			continue
		}
		t.Logf("message %d did not fit", i)
		wantStorageFull(t, "incoming into a full database", r)
		refused = m
		break
	}
	before := e.snapshot()
	wantStorageFull(t, "the same again", e.send("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID), nil, refused, ""))
	if after := e.snapshot(); after != before {
		t.Errorf("a refused write changed the store:\n before %+v\n after  %+v", before, after)
	}
	st, hdr, h := e.health()
	if st != http.StatusServiceUnavailable || h.Status != "storage_full" || h.Storage != "full" || h.FullAt == nil || hdr.Get("Retry-After") == "" {
		t.Fatalf("healthz while full = %d %+v (Retry-After %q)", st, h, hdr.Get("Retry-After"))
	}

	// Room again: the provider's retry is stored, and health recovers
	// once a minute has passed without a refusal.
	if _, err := e.App.DB.LimitPages(ctx, 1<<30); err != nil {
		t.Fatal(err)
	}
	got := e.receive(in.ID, refused, http.StatusCreated)
	if ms := e.messages(got.ConversationID); len(ms) != 1 || ms[0].Text != refused.Text {
		t.Fatalf("after space returned: %d messages", len(ms))
	}
	e.advance(api.FullFor + time.Second)
	if st, _, h := e.health(); st != 200 || h.Status != "ok" {
		t.Fatalf("healthz after space returned = %d %+v", st, h)
	}
}

// fullDisk is a temporary file whose writes fail with ENOSPC once room
// bytes have been written, as a file on a full disk does.
type fullDisk struct {
	*os.File
	room *int64
}

func (f fullDisk) Write(b []byte) (int, error) {
	if int64(len(b)) > *f.room {
		n, _ := f.File.Write(b[:*f.room])
		*f.room -= int64(n)
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	*f.room -= int64(len(b))
	return f.File.Write(b)
}

// TestStorageFullUploads: an upload to a full disk answers 503 with
// Retry-After, leaves no file behind, and /healthz says so; so does a
// disk with less free space than the threshold.
func TestStorageFullUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		room := int64(1000)
		// Files on SQLite; on PostgreSQL the database store's spool file
		// fills the disk, before anything reaches the database.
		var dir string
		switch bs := e.App.Blobs.(type) {
		case *blob.FS:
			dir = bs.Dir
			bs.CreateTemp = func(dir, pattern string) (blob.File, error) {
				f, err := os.CreateTemp(dir, pattern)
				if err != nil {
					return nil, err
				}
				return fullDisk{f, &room}, nil
			}
		case *blob.DB:
			dir = bs.TempDir
			bs.CreateTemp = func(dir, pattern string) (blob.Spool, error) {
				f, err := os.CreateTemp(dir, pattern)
				if err != nil {
					return nil, err
				}
				return fullDisk{f, &room}, nil
			}
		default:
			t.Fatalf("blob store %T", e.App.Blobs)
		}
		file := bytes.Repeat([]byte("parley "), 2000)
		r := e.send("POST", "/api/v1/uploads", map[string]string{"Content-Type": "application/octet-stream"}, file, "")
		wantStorageFull(t, "upload to a full disk", r)
		left, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range left {
			if strings.HasPrefix(d.Name(), "upload-") {
				t.Errorf("a partial file was left: %s", d.Name())
			}
		}
		st, hdr, h := e.health()
		if st != http.StatusServiceUnavailable || h.Status != "storage_full" || h.Storage != "full" || hdr.Get("Retry-After") == "" {
			t.Fatalf("healthz after a refused upload = %d %+v", st, h)
		}
		// Room again.
		room = 1 << 30
		e.call("POST", "/api/v1/uploads", file, http.StatusCreated, nil)
		e.advance(api.FullFor + time.Second)
		if st, _, h := e.health(); st != 200 || h.Status != "ok" || h.FreeBytes == 0 {
			t.Fatalf("healthz with room = %d %+v", st, h)
		}
		// A disk with less free space than the threshold.
		e.App.API.MinFreeBytes = h.FreeBytes * 1000
		if st, _, h := e.health(); st != http.StatusServiceUnavailable || h.Status != "storage_full" || h.Storage != "low" {
			t.Fatalf("healthz with little free space = %d %+v", st, h)
		}
	})
}
