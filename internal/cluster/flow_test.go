package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const crashFlow = `name: Damaged item
trigger: {event: manual}
steps:
  - id: label
    kind: http
    method: POST
    url: "{{ input.shop }}/returns"
    body: {order_id: "{{ input.order_id }}", reason: damaged}
    keep: {url: label_url, id: return_id}
  - id: warehouse
    kind: http
    method: POST
    url: "{{ input.shop }}/warehouse/notices"
    body: {order_id: "{{ input.order_id }}", kind: return, return_id: "{{ steps.label.id }}"}
  - id: tell
    kind: note
    text: "Return label: {{ steps.label.url }}"
`

// TestWorkflowSurvivesKill: a real `parley serve` is killed with SIGKILL
// after the shop made a return label and before Parley heard of it. On
// SQLite the process is started again on the same data dir; on
// PostgreSQL the other of two nodes carries on. Either way the run
// finishes, and the shop made one label and sent one warehouse notice:
// the step was retried with the same idempotency key.
func TestWorkflowSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Parley processes")
	}
	t.Run("sqlite", func(t *testing.T) { testWorkflowKill(t, "sqlite") })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(storetest.PostgresEnv) == "" {
			t.Skipf("%s is not set", storetest.PostgresEnv)
		}
		testWorkflowKill(t, "postgres")
	})
}

func testWorkflowKill(t *testing.T, dialect string) {
	var c *cluster
	if dialect == "sqlite" {
		c = newClusterIn(t, "", t.TempDir(), 2)
	} else {
		c = newCluster(t, storetest.DSN(t, "postgres"), 2)
	}
	c.env = append(c.env, "PARLEY_OUTBOUND_ALLOW=127.0.0.1")
	c.command("agent", "create", "--email", ownerEmail, "--name", "Owner", "--role", "owner")
	lines := strings.Fields(c.command("token", "create", "--name", "crash test", "--agent-email", ownerEmail))
	cli := &api{client: &http.Client{Timeout: 10 * time.Second}, token: lines[len(lines)-1]}

	// The shop makes the first label, then holds the answer until the
	// node that asked is dead.
	s := shop.New()
	acted, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hold := false
		if r.URL.Path == "/returns" {
			first.Do(func() { hold = true })
		}
		if !hold {
			s.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		close(acted)
		<-release
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	nodes := []*node{c.start("A")}
	if dialect == "postgres" {
		nodes = append(nodes, c.start("B"))
	}
	a := nodes[0]
	var in struct{ ID int64 }
	cli.must(t, "POST", a.URL, "/api/v1/inboxes", map[string]any{"name": "Shop"}, 201, &in)
	var got struct {
		ConversationID int64 `json:"conversation_id"`
	}
	cli.must(t, "POST", a.URL, fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID),
		map[string]any{"contact": map[string]any{"external_id": "cust-1"}, "text": "My blender arrived broken"}, 201, &got)
	var wf struct{ ID int64 }
	cli.must(t, "POST", a.URL, "/api/v1/workflows", map[string]any{"source": crashFlow}, 201, &wf)
	var run struct{ ID int64 }
	cli.must(t, "POST", a.URL, fmt.Sprintf("/api/v1/workflows/%d/runs", wf.ID), map[string]any{"key": "crash-1",
		"input": map[string]any{"shop": srv.URL, "order_id": "A1001"}, "conversation_id": got.ConversationID}, 201, &run)

	select {
	case <-acted:
	case <-time.After(30 * time.Second):
		t.Fatal("the label step never reached the shop")
	}
	// The node running the step: the one whose worker claims its job.
	victim := a
	if len(nodes) > 1 {
		var jobs struct {
			Jobs []struct {
				Kind     string `json:"kind"`
				LockedBy string `json:"locked_by"`
			} `json:"jobs"`
		}
		cli.must(t, "GET", nodes[1].URL, "/api/v1/jobs?status=running", nil, 200, &jobs)
		pid := 0
		for _, j := range jobs.Jobs {
			if j.Kind == "flow.step" {
				parts := strings.Split(j.LockedBy, "/")
				if len(parts) >= 3 {
					pid, _ = strconv.Atoi(parts[len(parts)-2])
				}
			}
		}
		for _, n := range nodes {
			if n.Pid() == pid {
				victim = n
			}
		}
		if victim.Pid() != pid {
			t.Fatalf("no node runs the step (jobs %+v)", jobs.Jobs)
		}
	}
	victim.kill()
	close(release)
	survivor := nodes[len(nodes)-1]
	if victim == survivor {
		survivor = nodes[0]
	}
	if dialect == "sqlite" {
		survivor = c.start("A again")
	}

	var state struct {
		Run struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"run"`
		Steps []struct {
			Step     string `json:"step"`
			State    string `json:"state"`
			Attempts int    `json:"attempts"`
		} `json:"steps"`
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		status, body, err := cli.do(context.Background(), "GET", survivor.URL, fmt.Sprintf("/api/v1/runs/%d", run.ID), nil)
		if err == nil && status == 200 && strings.Contains(string(body), `"status":"succeeded"`) {
			cli.must(t, "GET", survivor.URL, fmt.Sprintf("/api/v1/runs/%d", run.ID), nil, 200, &state)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish after the kill: %d %s %v", status, body, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	counts := s.Counts()
	if counts.Labels != 1 || counts.Notices != 1 || counts.Replays != 1 {
		t.Fatalf("shop counts %+v: want one label, one notice, and the retried label answered from memory", counts)
	}
	if len(state.Steps) != 3 || state.Steps[0].Attempts != 2 || state.Steps[2].State != "done" {
		t.Fatalf("steps %+v", state.Steps)
	}
}
