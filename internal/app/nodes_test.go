package app_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestTwoNodesLive: two Parleys on one PostgreSQL database. A message
// ingested through node A's API reaches node B's live hub (what its agents'
// streams read) in milliseconds: B is woken by A's commit, not by its
// once-a-second poll.
func TestTwoNodesLive(t *testing.T) {
	if !slices.Contains(storetest.Dialects(), "postgres") {
		t.Skipf("%s is not set: several nodes need PostgreSQL", storetest.PostgresEnv)
	}
	a := apptest.Start(t, "postgres", nil)
	b := apptest.StartWith(t, "postgres", nil, func(c *config.Config) { c.DatabaseURL = a.App.Config.DatabaseURL })
	var in struct{ ID int64 }
	a.JSON("POST", "/api/v1/inboxes", map[string]any{"name": "Support"}, 201, &in)
	sub, _ := b.App.Hub.Subscribe(func(e *parley.Event) bool { return e.Type == "message.created" })
	defer b.App.Hub.Unsubscribe(sub)
	time.Sleep(300 * time.Millisecond) // B's hub is listening
	var lat []time.Duration
	for i := range 7 {
		start := time.Now()
		a.JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID),
			map[string]any{"contact": map[string]string{"external_id": "c-1"}, "text": fmt.Sprintf("message %d", i)}, 201, nil)
		select {
		case <-sub.Wait():
		case <-time.After(3 * time.Second):
			t.Fatalf("message %d ingested on node A never reached node B", i)
		}
		lat = append(lat, time.Since(start))
		if frames, _ := sub.Take(); len(frames) != 1 {
			t.Fatalf("node B got %d events for one message", len(frames))
		}
	}
	slices.Sort(lat)
	// Polled once a second, the median would be about half a second.
	if med := lat[len(lat)/2]; med > 150*time.Millisecond {
		t.Errorf("ingest on A → B's hub: median %v over %v, want milliseconds", med, lat)
	}
}
