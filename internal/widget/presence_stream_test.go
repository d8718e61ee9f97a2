package widget_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestStreamPresenceIsWritten: a visitor's open stream is recorded in
// contacts.last_seen_at, which every node reads, without the stream
// writing it itself: the node's presence batch records the arrival
// within about a second, and the departure too (so "away" counts from
// when they left). The stream itself is detached from net/http and still
// counted among the hub's streams until it closes.
func TestStreamPresenceIsWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		f := start(t, dialect, nil, nil)
		v := f.newVisitor()
		conv := f.conversationOf(v.say("Hello"))
		c, err := f.env.App.DB.Conversation(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		lastSeen := func() time.Time {
			t.Helper()
			at, err := f.env.App.DB.ContactLastSeen(ctx, c.ContactID)
			if err != nil {
				t.Fatal(err)
			}
			if at == nil {
				return time.Time{}
			}
			return *at
		}
		await := func(what string, ok func() bool) {
			t.Helper()
			for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal(what)
				}
			}
		}
		opened := time.Now()
		sctx, cancel := context.WithCancel(ctx)
		v.stream(sctx)
		await("the open stream was not counted", func() bool { return f.env.App.Hub.Streams() == 1 })
		await("the arrival was never written", func() bool { return !lastSeen().Before(opened.Add(-time.Millisecond)) })
		time.Sleep(1200 * time.Millisecond) // past the batch's quick window
		closed := time.Now()
		cancel()
		await("the closed stream is still counted", func() bool { return f.env.App.Hub.Streams() == 0 })
		await("the departure was never written", func() bool { return lastSeen().After(closed) })
	})
}
