package cluster_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/flow"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// startAgent runs `parley agent serve kind` on a free loopback port
// against the shop, and waits until it says where it is.
func (c *cluster) startAgent(kind, shopURL string) *node {
	c.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	n := &node{name: kind + " agent", out: &logBuffer{}, exited: make(chan struct{}), URL: "http://" + addr + "/"}
	n.cmd = exec.Command(c.bin, "agent", "serve", kind, "--addr", addr, "--shop", shopURL)
	n.cmd.Env = c.env
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("start the %s agent: %v", kind, err)
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	c.nodes = append(c.nodes, n)
	c.t.Cleanup(n.kill)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(n.out.String(), "agent is at"); time.Sleep(20 * time.Millisecond) {
		select {
		case <-n.exited:
			c.t.Fatalf("the %s agent exited: %s", kind, n.out.String())
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the %s agent did not start: %s", kind, n.out.String())
		}
	}
	return n
}

// TestTeamStory is the missing-refund story with a team of agents, each a
// separate process on loopback: a customer asks where their refund is;
// Parley acknowledges at once, asks the payment agent and the logistics
// agent in parallel, and is killed with SIGKILL while they work. Started
// again, it asks again under the same message ids, and each agent
// answers with the task it already had: the shop was checked once for
// each. The refund (above the policy) waits until a supervisor approves
// it, is made once, and the drafted answer reaches the customer when a
// person approves it.
func TestTeamStory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Parley processes")
	}
	t.Run("sqlite", func(t *testing.T) { testTeamStory(t, "sqlite") })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(storetest.PostgresEnv) == "" {
			t.Skipf("%s is not set", storetest.PostgresEnv)
		}
		testTeamStory(t, "postgres")
	})
}

func testTeamStory(t *testing.T, dialect string) {
	dsn := ""
	if dialect == "postgres" {
		dsn = storetest.DSN(t, "postgres")
	}
	c := newClusterIn(t, dsn, t.TempDir(), 2)
	c.env = append(c.env, "PARLEY_OUTBOUND_ALLOW=127.0.0.1")
	c.command("agent", "create", "--email", ownerEmail, "--name", "Owner", "--role", "owner")
	c.command("agent", "create", "--email", "lead@cluster.test", "--name", "Lead", "--role", "admin")
	tok := func(email string) *api {
		lines := strings.Fields(c.command("token", "create", "--name", "team "+email, "--agent-email", email))
		return &api{client: &http.Client{Timeout: 10 * time.Second}, token: lines[len(lines)-1]}
	}
	owner, lead := tok(ownerEmail), tok("lead@cluster.test")

	// The shop holds the first tracking check until Parley is dead; it
	// counts the checks each agent made.
	s := shop.New()
	var payments, trackings atomic.Int64
	asked, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/payments/"):
			payments.Add(1)
		case strings.HasPrefix(r.URL.Path, "/tracking/"):
			trackings.Add(1)
			hold := false
			first.Do(func() { hold = true })
			if hold {
				close(asked)
				<-release
			}
		}
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()

	payment, logistics := c.startAgent("payment", srv.URL), c.startAgent("logistics", srv.URL)
	a := c.start("A")
	owner.must(t, "POST", a.URL, "/api/v1/remote-agents", map[string]any{"name": "payment", "card_url": payment.URL}, 201, nil)
	owner.must(t, "POST", a.URL, "/api/v1/remote-agents", map[string]any{"name": "logistics", "card_url": logistics.URL}, 201, nil)
	owner.must(t, "POST", a.URL, "/api/v1/approval-policies", map[string]any{"name": "Refunds over 50",
		"condition": `action == "flow.step" && amount > 50`, "enabled": true}, 201, nil)
	var src string
	for _, tm := range flow.Templates() {
		if tm.Name == "Missing refund (team)" {
			src = strings.Replace(tm.Source, "http://127.0.0.1:8090", srv.URL, 1)
		}
	}
	owner.must(t, "POST", a.URL, "/api/v1/workflows", map[string]any{"source": src}, 201, nil)
	var in struct{ ID int64 }
	owner.must(t, "POST", a.URL, "/api/v1/inboxes", map[string]any{"name": "Shop"}, 201, &in)
	var got struct {
		ConversationID int64 `json:"conversation_id"`
	}
	owner.must(t, "POST", a.URL, fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID), map[string]any{"contact": map[string]any{"external_id": "cust-refund"},
		"text": "Where is my refund for order A1001? I sent the blender back two weeks ago."}, 201, &got)

	select {
	case <-asked:
	case <-time.After(30 * time.Second):
		t.Fatal("the logistics agent never checked the parcel")
	}
	a.kill()
	free()
	a = c.start("A again")

	// The refund waits for the lead.
	approval := waitApproval(t, lead, a, "flow.step")
	if !strings.Contains(approval.Reason, "Refunds over 50") {
		t.Fatalf("the refund's approval: %+v", approval)
	}
	if n := s.Counts().Refunds; n != 0 {
		t.Fatalf("%d refunds before the approval", n)
	}
	lead.must(t, "POST", a.URL, fmt.Sprintf("/api/v1/approvals/%d/approve", approval.ID), map[string]any{"note": "checked the findings"}, 200, nil)
	// The drafted answer waits for a person too.
	draft := waitApproval(t, lead, a, "reply")
	if !strings.Contains(draft.Payload, "I've issued your refund F") {
		t.Fatalf("the draft: %s", draft.Payload)
	}
	lead.must(t, "POST", a.URL, fmt.Sprintf("/api/v1/approvals/%d/approve", draft.ID), map[string]any{}, 200, nil)

	var msgs struct {
		Messages []struct {
			Direction string `json:"direction"`
			Text      string `json:"text"`
		} `json:"messages"`
	}
	owner.must(t, "GET", a.URL, fmt.Sprintf("/api/v1/conversations/%d/messages", got.ConversationID), nil, 200, &msgs)
	var replies, notes []string
	for _, m := range msgs.Messages {
		switch m.Direction {
		case "outgoing":
			replies = append(replies, m.Text)
		case "note":
			notes = append(notes, m.Text)
		}
	}
	if len(replies) != 2 || !strings.Contains(replies[0], "I'm checking order A1001 with our payments and shipping teams") ||
		!strings.Contains(replies[1], "I've issued your refund F") {
		t.Fatalf("replies: %q", replies)
	}
	found := false
	for _, n := range notes {
		found = found || strings.Contains(n, "Payment agent: The payment of") && strings.Contains(n, "Logistics agent: The parcel for order A1001")
	}
	if !found {
		t.Fatalf("no findings note: %q", notes)
	}
	counts := s.Counts()
	if counts.Refunds != 1 || payments.Load() != 1 || trackings.Load() != 1 {
		t.Fatalf("shop: %+v, payment checks %d, tracking checks %d: want one of each", counts, payments.Load(), trackings.Load())
	}
}

type pendingApproval struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Reason  string `json:"reason"`
	Payload string `json:"-"`
	Raw     any    `json:"payload"`
}

// waitApproval waits for a pending approval of kind and returns it.
func waitApproval(t *testing.T, cli *api, n *node, kind string) pendingApproval {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var list struct {
			Approvals []pendingApproval `json:"approvals"`
		}
		cli.must(t, "GET", n.URL, "/api/v1/approvals?state=pending", nil, 200, &list)
		for _, a := range list.Approvals {
			if a.Kind == kind {
				a.Payload = fmt.Sprint(a.Raw)
				return a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending %s approval", kind)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
