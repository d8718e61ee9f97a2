package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var leased = []string{app.LeaseRoutingSweep, app.LeaseZaloTokens, app.LeaseWidgetReplies, app.LeaseReports}

// TestClusterProcesses runs three `parley serve` processes on one
// PostgreSQL schema and checks what several nodes promise: a message
// ingested on node A reaches an agent's live stream on node C in
// milliseconds; due jobs run once across the three; the loops that must
// run on one node at a time do; and when node A is killed with SIGKILL in
// the middle of a load, no acknowledged message is lost or stored twice
// (also when the unanswered requests are retried on a survivor) and A's
// leased loops move to a survivor within a few lease TTLs.
func TestClusterProcesses(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is not set: several Parley processes need PostgreSQL", storetest.PostgresEnv)
	}
	if testing.Short() {
		t.Skip("builds and runs three Parley processes")
	}
	ctx := context.Background()
	dsn := storetest.DSN(t, "postgres")
	// Short, so that failover is quick, yet long enough that a node on
	// this busy machine always renews in time.
	const ttl = 2 * time.Second
	c := newCluster(t, dsn, int(ttl/time.Second))

	// Bootstrapping with the operator's commands: an owner (with a one-
	// time password) and an API token acting as them.
	out := c.command("agent", "create", "--email", ownerEmail, "--name", "Owner", "--role", "owner")
	m := regexp.MustCompile(`password \(shown once[^)]*\): (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no password in %q", out)
	}
	password := m[1]
	lines := strings.Fields(c.command("token", "create", "--name", "cluster test", "--agent-email", ownerEmail))
	cli := &api{client: &http.Client{Timeout: 10 * time.Second}, token: lines[len(lines)-1]}
	// The test's own handle on the database, to read what the nodes wrote.
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	// A starts alone and takes every leased loop; B and C join after.
	a := c.start("A")
	before := waitLeases(t, db, 10*time.Second, func(l store.Lease) bool { return holderPid(l) == a.Pid() })
	b, cn := c.start("B"), c.start("C")
	nodes := []*node{a, b, cn}

	// 1. Live across processes: the owner signs in on C and opens the
	// agents' stream; messages are ingested on A.
	var in struct{ ID int64 }
	cli.must(t, "POST", a.URL, "/api/v1/inboxes", map[string]any{"name": "Support"}, 201, &in)
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	seen := collect(openStream(t, streamCtx, signIn(t, cn, ownerEmail, password), cn))
	incoming := fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)
	var lat, round []time.Duration
	var convs []int64
	for i := range 10 {
		var r inbox.Received
		sent := time.Now()
		cli.must(t, "POST", a.URL, incoming, map[string]any{"contact": map[string]string{"external_id": fmt.Sprintf("live-%d", i)},
			"external_message_id": fmt.Sprintf("live-%d", i), "text": "hello from A"}, 201, &r)
		acked := time.Now()
		at, ok := seen.wait(r.MessageID, 5*time.Second)
		if !ok {
			t.Fatalf("message %d ingested on A never reached the agent's stream on C", r.MessageID)
		}
		// The event may be read before the client has the answer: the
		// commit, not the answer, is what wakes C.
		lat, round = append(lat, max(at.Sub(acked), 0)), append(round, at.Sub(sent))
		convs = append(convs, r.ConversationID)
	}
	slices.Sort(lat)
	slices.Sort(round)
	t.Logf("ingest acknowledged on A → event read from C's agent stream: median %v, max %v", lat[len(lat)/2], lat[len(lat)-1])
	t.Logf("request sent to A → event read on C (ingest included): median %v, max %v", round[len(round)/2], round[len(round)-1])
	// Polling the log once a second would give a median near 500 ms.
	if med := lat[len(lat)/2]; med > 300*time.Millisecond {
		t.Errorf("A → C's stream: median %v, want milliseconds (C must be woken by A's commit)", med)
	}

	// 2. Jobs run once: ten snoozes, due at the same moment, set through
	// the three nodes; the three job runners race for their wake-ups.
	until := time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
	for i, id := range convs {
		cli.must(t, "POST", nodes[i%3].URL, fmt.Sprintf("/api/v1/conversations/%d/snooze", id), map[string]any{"until": until}, 200, nil)
	}
	waitJobs(t, cli, cn, inbox.JobSnoozeWake, len(convs))
	for _, id := range convs {
		var conv parley.Conversation
		cli.must(t, "GET", b.URL, fmt.Sprintf("/api/v1/conversations/%d", id), nil, 200, &conv)
		if conv.Status != parley.StatusOpen {
			t.Errorf("conversation %d is %s after its wake-up ran", id, conv.Status)
		}
	}

	// 3. Leased loops ran on A alone while it lived: the leases never
	// changed hands (a taking moves the token on), and B and C never took one.
	waitLeases(t, db, 0, func(l store.Lease) bool { return holderPid(l) == a.Pid() && l.Token == before[l.Name].Token })
	for _, n := range nodes[1:] {
		if taken := leasesTaken(n); len(taken) > 0 {
			t.Errorf("node %s took %v while A held them", n.name, taken)
		}
	}

	// 4. Load on A and B; A is killed in the middle of it.
	ld := &load{cli: cli, path: incoming}
	var killedA atomic.Bool
	var wg sync.WaitGroup
	stopLoad := make(chan struct{})
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				target := nodes[(w+i)%2] // A and B in turn
				if killedA.Load() {
					target = b
				}
				// A few contacts shared by all workers, so writes meet on
				// the same conversations.
				ld.post(target, fmt.Sprintf("load-%d-%d", w, i), fmt.Sprintf("load-contact-%d", i%4))
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	killedA.Store(true)
	a.kill()
	killed := time.Now()
	projected, _, err := db.EventCursor(ctx, store.ReportConsumer)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed A (pid %d) with SIGKILL after %d acknowledged messages", a.Pid(), ld.count())

	// 5. A's leases move to a survivor within a few TTLs.
	after := waitLeases(t, db, 10*time.Second, func(l store.Lease) bool {
		p := holderPid(l)
		return (p == b.Pid() || p == cn.Pid()) && l.ExpiresAt.After(time.Now())
	})
	took := time.Since(killed)
	for _, name := range leased {
		t.Logf("lease %s: pid %d (token %d) → pid %d (token %d)", name, holderPid(before[name]), before[name].Token, holderPid(after[name]), after[name].Token)
	}
	t.Logf("A's leased loops moved to the survivors %v after the kill (TTL %v)", took.Round(time.Millisecond), ttl)
	if took > 4*ttl {
		t.Errorf("takeover took %v, want within a few TTLs (%v)", took, ttl)
	}
	// And the work goes on there: the report projector, which A ran,
	// moves its cursor on from where A left it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		seq, _, err := db.EventCursor(ctx, store.ReportConsumer)
		if err != nil {
			t.Fatal(err)
		}
		if seq > projected {
			t.Logf("the report projector went on from event %d to %d on its new node", projected, seq)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the report projector stayed at event %d after the kill", seq)
		}
	}
	time.Sleep(time.Second) // B keeps taking load without A
	close(stopLoad)
	wg.Wait()

	// 6. Retry what A never answered on B, with the same provider ids: each
	// lands once, as new when A died before its commit, as a duplicate
	// when A committed and died before answering.
	lost := ld.unanswered()
	dups := 0
	for _, p := range lost {
		if ld.send(b, p.id, p.body) == 200 {
			dups++
		}
	}
	// And a few that A did answer: the same message, not a second one.
	byA := ld.ackedOn(a)
	if len(byA) < 5 {
		t.Fatalf("A acknowledged only %d messages before the kill", len(byA))
	}
	for _, id := range byA[:5] {
		status, body, err := cli.do(ctx, "POST", b.URL, incoming, ld.bodies[id])
		if err != nil || status != 200 || !strings.Contains(string(body), `"duplicate":true`) {
			t.Fatalf("retry of %s (acknowledged by A) on B = %d %s %v, want 200 duplicate", id, status, body, err)
		}
	}
	t.Logf("load: %d acknowledged (%d by A before the kill), %d unanswered by A retried on B (%d had committed), %d failed on B",
		ld.count(), len(byA), len(lost), dups, len(ld.failedOnB()))
	if f := ld.failedOnB(); len(f) > 0 {
		t.Errorf("B, which was never killed, failed %d requests: %v", len(f), f[:min(len(f), 5)])
	}

	// 7. Every acknowledged message is stored exactly once, and nothing
	// else was stored.
	counts, err := db.ExternalIDCounts(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	for id := range ld.acked {
		if counts[id] != 1 {
			t.Errorf("acknowledged message %s is stored %d times", id, counts[id])
		}
	}
	for id, n := range counts {
		if _, ok := ld.acked[id]; strings.HasPrefix(id, "load-") && !ok {
			t.Errorf("message %s is stored (%d times) though never acknowledged", id, n)
		}
	}
	// And each reached the agent's stream on C.
	for id, msg := range ld.acked {
		if _, ok := seen.wait(msg, 10*time.Second); !ok {
			t.Errorf("acknowledged message %s (%d) never reached the stream on C", id, msg)
		}
	}
}

// holderPid reads the process id out of a lease holder's name
// (host/pid/random, see work.New); 0 when released.
func holderPid(l store.Lease) int {
	parts := strings.Split(l.Holder, "/")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// waitLeases waits until every leased loop's lease satisfies ok, and
// returns them.
func waitLeases(t *testing.T, db *store.DB, within time.Duration, ok func(store.Lease) bool) map[string]store.Lease {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, all := map[string]store.Lease{}, true
		for _, name := range leased {
			l, err := db.Lease(context.Background(), name)
			if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
				t.Fatal(err)
			}
			got[name] = l
			all = all && err == nil && ok(l)
		}
		if all {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("leases not as expected after %v: %+v", within, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var leaseTaken = regexp.MustCompile(`work: lease taken lease=(\S+)`)

// leasesTaken lists the leases a node's log says it took.
func leasesTaken(n *node) []string {
	var out []string
	for _, m := range leaseTaken.FindAllStringSubmatch(n.out.String(), -1) {
		out = append(out, m[1])
	}
	return out
}

// waitJobs waits until want jobs of kind are done, then checks each ran
// exactly once.
func waitJobs(t *testing.T, cli *api, n *node, kind string, want int) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var list struct{ Jobs []store.Job }
		cli.must(t, "GET", n.URL, "/api/v1/jobs?limit=500", nil, 200, &list)
		var mine []store.Job
		done := 0
		for _, j := range list.Jobs {
			if j.Kind == kind {
				mine = append(mine, j)
				if j.Status == "done" {
					done++
				}
			}
		}
		if len(mine) == want && done == want {
			for _, j := range mine {
				if j.Attempts != 1 {
					t.Errorf("job %d (%s) ran %d times", j.ID, kind, j.Attempts)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d %s jobs done after 15 s: %+v", done, want, kind, mine)
		}
	}
}
