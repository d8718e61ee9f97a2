package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var leased = []string{app.LeaseRoutingSweep, app.LeaseZaloTokens, app.LeaseWidgetReplies, app.LeaseReports}

// holders returns, per leased worker, which of the envs runs it now.
func holders(envs ...*apptest.Env) map[string][]int {
	out := map[string][]int{}
	for i, e := range envs {
		for _, name := range e.App.Work.Holding() {
			out[name] = append(out[name], i)
		}
	}
	return out
}

// TestTwoNodesWork: two Parleys on one PostgreSQL database. Each leased
// loop runs on exactly one of them; a job enqueued once runs once; when
// the node holding the leases dies without releasing them (kill -9), the
// other takes the loops over within the lease TTL and their work goes on
// there.
func TestTwoNodesWork(t *testing.T) {
	if !slices.Contains(storetest.Dialects(), "postgres") {
		t.Skipf("%s is not set: several nodes need PostgreSQL", storetest.PostgresEnv)
	}
	const ttl = time.Second
	a := apptest.StartWith(t, "postgres", nil, func(c *config.Config) { c.LeaseTTL = 1 })
	b := apptest.StartWith(t, "postgres", nil, func(c *config.Config) { c.LeaseTTL = 1; c.DatabaseURL = a.App.Config.DatabaseURL })
	envs := []*apptest.Env{a, b}
	deadline := time.Now().Add(3 * time.Second)
	for {
		h := holders(envs...)
		all := true
		for _, name := range leased {
			all = all && len(h[name]) == 1
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leased loops not each on one node: %v", h)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Over several renewals, each stays on exactly one node.
	for end := time.Now().Add(3 * ttl / 2); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		h := holders(envs...)
		for _, name := range leased {
			if len(h[name]) != 1 {
				t.Fatalf("%s runs on nodes %v", name, h[name])
			}
		}
	}

	// A job enqueued once runs once: a snooze's wake-up, due in 300 ms,
	// with two runners looking for it.
	var in struct{ ID int64 }
	a.JSON("POST", "/api/v1/inboxes", map[string]any{"name": "Support"}, 201, &in)
	var msg struct {
		ConversationID int64 `json:"conversation_id"`
	}
	a.JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID),
		map[string]any{"contact": map[string]string{"external_id": "c-1"}, "text": "hello"}, 201, &msg)
	until := time.Now().Add(300 * time.Millisecond)
	if _, err := a.App.Inbox.Snooze(context.Background(), inbox.System, msg.ConversationID, &until); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := b.App.DB.Conversation(context.Background(), msg.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == parley.StatusOpen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the snoozed conversation never woke: %s", c.Status)
		}
	}
	// The job is marked done in its own write, just after the one that
	// woke the conversation.
	var jobs []store.Job
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if jobs, err = a.App.DB.Jobs(context.Background(), "", 100); err != nil {
			t.Fatal(err)
		}
		running := false
		for _, j := range jobs {
			running = running || (j.Kind == inbox.JobSnoozeWake && j.Status == "running")
		}
		if !running || time.Now().After(deadline) {
			break
		}
	}
	wakes := 0
	for _, j := range jobs {
		if j.Kind == inbox.JobSnoozeWake {
			wakes++
			if j.Status != "done" || j.Attempts != 1 {
				t.Errorf("the wake-up job: %s after %d attempts, want done after 1", j.Status, j.Attempts)
			}
		}
	}
	if wakes != 1 {
		t.Errorf("%d wake-up jobs", wakes)
	}

	// The node holding the report projector dies without releasing, with
	// events it has not projected (it looks every 15 s).
	h := holders(envs...)
	envs[1-h[app.LeaseReports][0]].JSON("POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID),
		map[string]any{"contact": map[string]string{"external_id": "c-2"}, "text": "before the crash"}, 201, nil)
	dead := h[app.LeaseReports][0]
	survivor := envs[1-dead]
	var moving []string
	for _, name := range leased {
		if h[name][0] == dead {
			moving = append(moving, name)
		}
	}
	envs[dead].App.Work.KeepOnStop = true
	killed := time.Now()
	envs[dead].Stop()
	for {
		have := survivor.App.Work.Holding()
		missing := slices.DeleteFunc(slices.Clone(moving), func(n string) bool { return slices.Contains(have, n) })
		if len(missing) == 0 {
			break
		}
		if time.Since(killed) > ttl+time.Second {
			t.Fatalf("after %v the survivor still lacks %v (has %v)", time.Since(killed), missing, have)
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(killed)
	t.Logf("%v moved to the survivor %v after the holder died (TTL %v)", moving, took, ttl)
	if took > ttl+250*time.Millisecond {
		t.Errorf("takeover took %v, want within the TTL (%v) and a look", took, ttl)
	}
	// And the work goes on there: the projector drains the log as soon as
	// it starts on the survivor.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		lag, err := survivor.App.DB.ReportLag(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the survivor's projector leaves %d events", lag)
		}
	}

	// Every kind in the log is in the catalogue.
	kinds, err := survivor.App.DB.EventTypes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if !parley.KnownEvent(k) {
			t.Errorf("the log holds %q, which the catalogue lacks", k)
		}
	}
}
