package live_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestDetachedStream: a detached stream (the widget's) behaves as an
// ordinary one seen from the client: chunked SSE with the same headers,
// replay from Last-Event-ID, live events through its Render, heartbeats;
// the handler returns at once; the client leaving ends it (OnClose runs
// once, Streams drops); and the hub stopping ends the body cleanly.
func TestDetachedStream(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		hub := live.NewHub(db)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		hubDone := make(chan struct{})
		go func() { hub.Run(ctx); close(hubDone) }()
		var closes, handlers atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Frame-Options", "DENY") // set before Stream: kept
			err := hub.Stream(w, r, live.StreamOptions{
				Filter: func(e *parley.Event) bool { return e.Type == "keep" },
				Render: func(ctx context.Context, ev *parley.Event) (live.Message, bool) {
					if ctx.Err() != nil {
						return live.Message{}, false // a render must get a live context
					}
					return live.Message{Seq: ev.Seq, Name: "shown", Data: map[string]int64{"n": ev.Seq}}, true
				},
				Heartbeat: 100 * time.Millisecond,
				Detach:    true,
				OnClose:   func() { closes.Add(1) },
			})
			if err != nil {
				http.Error(w, err.Error(), 400)
			}
			handlers.Add(1)
		}))
		defer srv.Close()
		time.Sleep(50 * time.Millisecond)

		appendEvents(t, db, "keep", 1) // seq 1, replayed below
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Last-Event-ID", "0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-Frame-Options") != "DENY" ||
			len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
			t.Fatalf("header %v, transfer encoding %v", resp.Header, resp.TransferEncoding)
		}
		for deadline := time.Now().Add(5 * time.Second); handlers.Load() == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the handler did not return while the stream is open")
			}
		}
		lines := make(chan string, 100)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		appendEvents(t, db, "drop", 1)
		appendEvents(t, db, "keep", 1) // seq 3
		want := []string{"retry: 2000", "id: 1", "event: shown", `data: {"n":1}`, "id: 3", "event: shown", `data: {"n":3}`}
		var got []string
		pings := 0
		for timeout := time.After(5 * time.Second); len(got) < len(want) || pings == 0; {
			select {
			case l := <-lines:
				switch {
				case l == ": ping":
					pings++
				case l != "":
					got = append(got, l)
				}
			case <-timeout:
				t.Fatalf("got %q and %d pings, want %q and a ping", got, pings, want)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		if hub.Streams() != 1 || closes.Load() != 0 {
			t.Fatalf("open: Streams() = %d, closes = %d", hub.Streams(), closes.Load())
		}

		// The client leaves: noticed at once, not at the next write.
		resp.Body.Close()
		for deadline := time.Now().Add(5 * time.Second); closes.Load() == 0 || hub.Streams() != 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after the client left: Streams() = %d, closes = %d", hub.Streams(), closes.Load())
			}
		}
		time.Sleep(300 * time.Millisecond) // heartbeats would have come by now
		if n := closes.Load(); n != 1 || hub.Count() != 0 {
			t.Fatalf("OnClose ran %d times, %d subscribers left", n, hub.Count())
		}

		// A bad Last-Event-ID: an error, and OnClose still runs once.
		req.Header.Set("Last-Event-ID", "x")
		bad, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		bad.Body.Close()
		if bad.StatusCode != 400 || closes.Load() != 2 {
			t.Fatalf("bad Last-Event-ID: %d, closes = %d", bad.StatusCode, closes.Load())
		}

		// The hub stops: an open stream ends with the body's proper end.
		resp, err = http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		ended := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, resp.Body)
			ended <- err
		}()
		cancel()
		<-hubDone
		select {
		case err := <-ended:
			if err != nil && !errors.Is(err, io.EOF) {
				t.Fatalf("the body ended with %v, want a clean end", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the stream stayed open after the hub stopped")
		}
		for deadline := time.Now().Add(5 * time.Second); closes.Load() != 3; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("closes = %d after the hub stopped, want 3", closes.Load())
			}
		}
	})
}

// TestDetachedStreamsMany: many detached streams each get exactly their
// own events, in order, none twice, while events commit concurrently.
func TestDetachedStreamsMany(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	hub := live.NewHub(db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := r.URL.Query().Get("type")
		hub.Stream(w, r, live.StreamOptions{Filter: func(e *parley.Event) bool { return e.Type == want }, Detach: true})
	}))
	defer srv.Close()
	time.Sleep(50 * time.Millisecond)
	const streams, events = 20, 30
	results := make(chan string, streams)
	var bodies []io.Closer
	for i := range streams {
		resp, err := http.Get(fmt.Sprintf("%s/?type=t%d", srv.URL, i%2))
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, resp.Body)
		go func() {
			var types []string
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() && len(types) < events {
				if v, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					types = append(types, v)
				}
			}
			results <- fmt.Sprintf("%d:%d:%s", i%2, len(types), strings.Join(types, ","))
		}()
	}
	for range events {
		appendEvents(t, db, "t0", 1)
		appendEvents(t, db, "t1", 1)
	}
	for range streams {
		select {
		case r := <-results:
			kind, rest, _ := strings.Cut(r, ":")
			if rest != fmt.Sprintf("%d:%s", events, strings.TrimSuffix(strings.Repeat("t"+kind+",", events), ",")) {
				t.Fatalf("a stream of t%s got %s", kind, rest)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a stream did not receive all its events")
		}
	}
	for _, b := range bodies {
		b.Close()
	}
}
