package live_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func appendEvents(t *testing.T, db *store.DB, typ string, n int) {
	t.Helper()
	for range n {
		if err := db.Write(context.Background(), func(tx *store.Tx) error {
			return tx.AppendEvent(&parley.Event{Type: typ}, nil)
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// read returns the ids of the next n SSE messages from r.
func read(t *testing.T, sc *bufio.Scanner, n int) []string {
	t.Helper()
	var ids []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(ids) < n && sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				ids = append(ids, id)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("got %v, want %d events", ids, n)
	}
	return ids
}

func TestStreamAndReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		hub := live.NewHub(db)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go hub.Run(ctx)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := hub.Stream(w, r, live.StreamOptions{Filter: func(e *parley.Event) bool { return e.Type == "keep" }}); err != nil {
				http.Error(w, err.Error(), 400)
			}
		}))
		defer srv.Close()
		time.Sleep(50 * time.Millisecond) // hub started

		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		appendEvents(t, db, "keep", 2)
		appendEvents(t, db, "drop", 1)
		appendEvents(t, db, "keep", 1)
		got := read(t, sc, 3)
		if fmt.Sprint(got) != "[1 2 4]" {
			t.Fatalf("live ids = %v, want [1 2 4]", got)
		}
		if n := hub.Streams(); n != 1 {
			t.Errorf("Streams() = %d with one stream open, want 1", n)
		}
		resp.Body.Close() // the connection drops…

		appendEvents(t, db, "keep", 2) // …events 5 and 6 commit meanwhile
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Last-Event-ID", "4")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc = bufio.NewScanner(resp.Body)
		appendEvents(t, db, "keep", 1)
		if got := read(t, sc, 3); fmt.Sprint(got) != "[5 6 7]" {
			t.Fatalf("after reconnect ids = %v, want [5 6 7]", got)
		}

		req.Header.Set("Last-Event-ID", "x")
		bad, _ := http.DefaultClient.Do(req)
		if bad.StatusCode != 400 {
			t.Fatalf("bad Last-Event-ID: %d", bad.StatusCode)
		}
		bad.Body.Close()
		resp.Body.Close()
		for deadline := time.Now().Add(5 * time.Second); hub.Streams() != 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if n := hub.Streams(); n != 0 {
			t.Errorf("Streams() = %d after the clients left, want 0", n)
		}
	})
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	hub := live.NewHub(db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	time.Sleep(50 * time.Millisecond)
	sub, _ := hub.Subscribe(nil)
	if hub.Streams() != 0 || hub.Count() != 1 {
		t.Fatalf("a subscriber that is not a stream: Streams() = %d, Count() = %d", hub.Streams(), hub.Count())
	}
	for range 3 {
		if err := db.Write(ctx, func(tx *store.Tx) error {
			for range 500 {
				if err := tx.AppendEvent(&parley.Event{Type: "x"}, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); hub.LastSeq() < 1500 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if events, closed := sub.Take(); !closed || events != nil {
		t.Fatalf("a subscriber 1,500 events behind: closed=%v with %d queued; want dropped and empty", closed, len(events))
	}
}

// TestEventsBeforeRun: an event committed after the hub is made but before
// its Run starts (Parley starting while a request comes in) still reaches a
// subscriber. Run used to start from the log's end as it found it then, and
// such an event reached no one: the widget's email watcher never saw a
// reply made in that moment.
func TestEventsBeforeRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		appendEvents(t, db, "before.hub", 2)
		hub := live.NewHub(db)
		sub, _ := hub.Subscribe(nil)
		appendEvents(t, db, "between", 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go hub.Run(ctx)
		select {
		case <-sub.Wait():
		case <-time.After(10 * time.Second):
			t.Fatal("the event committed before Run never reached the subscriber")
		}
		frames, _ := sub.Take()
		if len(frames) != 1 || frames[0].Event.Type != "between" {
			t.Fatalf("frames = %d (%v)", len(frames), frames)
		}
	})
}
