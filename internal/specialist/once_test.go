package specialist_test

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2aclient"
	"github.com/a2aproject/a2a-go/v2/a2asrv"

	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/specialist"
)

// TestRetrySameMessage: a SendMessage repeated with the same messageId,
// as Parley's workflow step retries after a crash, answers with the first
// task and does not ask the shop again; the same id with another message
// is refused.
func TestRetrySameMessage(t *testing.T) {
	r := start(t, specialist.Payment, "")
	first := r.send(t, message("retry-1", a2a.NewDataPart(map[string]any{"order_id": "A1001"})))
	calls := r.shop.Counts().Calls
	again := r.send(t, message("retry-1", a2a.NewDataPart(map[string]any{"order_id": "A1001"})))
	if again.ID != first.ID || again.Status.State != a2a.TaskStateCompleted || r.shop.Counts().Calls != calls {
		t.Fatalf("the retry: task %s (first %s) %s, shop calls %d → %d", again.ID, first.ID, again.Status.State, calls, r.shop.Counts().Calls)
	}
	d1, _ := findings(t, first, "payment")
	d2, _ := findings(t, again, "payment")
	if d1["checked_at"] != d2["checked_at"] {
		t.Errorf("the retry's findings are not the first's: %v / %v", d1, d2)
	}
	// Streaming, the retry answers with the same task too.
	var streamed []a2a.TaskID
	for ev, err := range r.c.SendStreamingMessage(r.ctx, &a2a.SendMessageRequest{
		Message: message("retry-1", a2a.NewDataPart(map[string]any{"order_id": "A1001"}))}) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		streamed = append(streamed, ev.TaskInfo().TaskID)
	}
	if len(streamed) == 0 || streamed[0] != first.ID || r.shop.Counts().Calls != calls {
		t.Errorf("the streamed retry: %v (first %s), shop calls %d → %d", streamed, first.ID, calls, r.shop.Counts().Calls)
	}
	// The same id with another order is a mistake, not a retry.
	_, err := r.c.SendMessage(r.ctx, &a2a.SendMessageRequest{Message: message("retry-1", a2a.NewDataPart(map[string]any{"order_id": "A1003"}))})
	if !errors.Is(err, a2a.ErrInvalidParams) || !strings.Contains(err.Error(), "already used for a different message") {
		t.Errorf("a reused id: %v", err)
	}
	list, err := r.c.ListTasks(r.ctx, &a2a.ListTasksRequest{})
	if err != nil || len(list.Tasks) != 1 {
		t.Errorf("ListTasks: %v, %+v: want the one task", err, list)
	}
}

// TestRetryWhileRunning: a retry that arrives while the first check
// still waits for the shop waits for that task, and the shop is asked
// once.
func TestRetryWhileRunning(t *testing.T) {
	r := start(t, specialist.Logistics, "")
	arrived, release := r.shop.hold()
	type answer struct {
		task *a2a.Task
		err  error
	}
	answers := make(chan answer, 2)
	send := func() {
		res, err := r.c.SendMessage(r.ctx, &a2a.SendMessageRequest{Message: message("slow-1", a2a.NewTextPart("Where is A1003?"))})
		task, _ := res.(*a2a.Task)
		answers <- answer{task, err}
	}
	go send()
	select {
	case <-arrived: // the first check is at the shop
	case <-time.After(5 * time.Second):
		t.Fatal("the first check never reached the shop")
	}
	go send()
	time.Sleep(100 * time.Millisecond) // the retry is in, waiting
	release()
	a, b := <-answers, <-answers
	if a.err != nil || b.err != nil {
		t.Fatalf("answers: %v, %v", a.err, b.err)
	}
	if a.task.ID != b.task.ID || a.task.Status.State != a2a.TaskStateCompleted || b.task.Status.State != a2a.TaskStateCompleted {
		t.Fatalf("tasks %s %s / %s %s, want one completed task", a.task.ID, a.task.Status.State, b.task.ID, b.task.Status.State)
	}
	if n := r.shop.count("/tracking/A1003"); n != 1 {
		t.Errorf("the shop tracked A1003 %d times, want once", n)
	}
}

// TestSDKDoesNotDedupe pins down why once.go exists: a2a-go v2.3.1's
// default handler starts a second task, running the agent again, for a
// message repeated with the same messageId. If an upgrade makes this
// fail, the SDK dedupes now and once.go may be simpler.
func TestSDKDoesNotDedupe(t *testing.T) {
	runs := 0
	h := a2asrv.NewHandler(executorFunc(func(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error] {
		runs++
		return func(yield func(a2a.Event, error) bool) {
			if yield(a2a.NewSubmittedTask(ec, ec.Message), nil) {
				yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateCompleted, nil), nil)
			}
		}
	}))
	srv := httptest.NewServer(a2asrv.NewJSONRPCHandler(h))
	defer srv.Close()
	c := a2aclient.NewJSONRPCTransport(srv.URL, nil)
	var ids []a2a.TaskID
	for range 2 {
		res, err := c.SendMessage(context.Background(), nil, &a2a.SendMessageRequest{Message: message("same-id", a2a.NewTextPart("hi"))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.(*a2a.Task).ID)
	}
	if ids[0] == ids[1] || runs != 2 {
		t.Fatalf("the SDK answered a repeated messageId with tasks %v after %d runs: it dedupes now", ids, runs)
	}
}

type executorFunc func(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error]

func (f executorFunc) Execute(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error] {
	return f(ctx, ec)
}

func (executorFunc) Cancel(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateCanceled, nil), nil)
	}
}

// TestToken: with a token, the card declares the bearer scheme, the card
// itself stays public, a call without the token gets 401, and the SDK's
// client that holds it (AuthInterceptor, from the card's scheme) works.
func TestToken(t *testing.T) {
	r := start(t, specialist.Payment, "s3cret-token")
	if _, ok := r.card.SecuritySchemes["bearer"].(a2a.HTTPAuthSecurityScheme); !ok || len(r.card.SecurityRequirements) != 1 {
		t.Fatalf("card security %+v %+v", r.card.SecuritySchemes, r.card.SecurityRequirements)
	}
	task := r.send(t, message("", a2a.NewDataPart(map[string]any{"order_id": "A1001"})))
	if task.Status.State != a2a.TaskStateCompleted {
		t.Fatalf("with the token: %s %q", task.Status.State, statusText(task))
	}
	calls := r.shop.Counts().Calls
	bare, err := a2aclient.NewFromCard(context.Background(), r.card)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Destroy()
	if _, err := bare.SendMessage(context.Background(), &a2a.SendMessageRequest{Message: message("", a2a.NewTextPart("A1001"))}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without the token: %v", err)
	}
	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret-token-and-more", "s3cret-token"} {
		req, _ := http.NewRequest("POST", r.agent.URL+"/", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d", auth, resp.StatusCode)
		}
	}
	if r.shop.Counts().Calls != calls {
		t.Errorf("refused calls reached the shop")
	}
}

// TestBadRequests: malformed JSON-RPC gets the protocol's error codes,
// never a 500, and other paths and methods are not the endpoint.
func TestBadRequests(t *testing.T) {
	r := start(t, specialist.Payment, "")
	for body, code := range map[string]float64{
		`{not json`: -32700,
		`{"jsonrpc":"2.0","id":1,"method":"Frobnicate","params":{}}`:                                -32601,
		`{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"no-such-task"}}`:                -32001,
		`{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"role":"ROLE_USER"}}}`: -32602,
	} {
		resp, err := http.Post(r.agent.URL+"/", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Error struct {
				Code float64 `json:"code"`
			} `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || out.Error.Code != code {
			t.Errorf("%s: HTTP %d, code %v, want %v", body, resp.StatusCode, out.Error.Code, code)
		}
	}
	for _, c := range []struct{ method, path string }{{"GET", "/"}, {"POST", "/other"}, {"POST", specialist.CardPath}} {
		req, _ := http.NewRequest(c.method, r.agent.URL+c.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s %s: %d", c.method, c.path, resp.StatusCode)
		}
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"` + strings.Repeat("x", 2<<20) + `"}}`
	resp, err := http.Post(r.agent.URL+"/", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB body: %d", resp.StatusCode)
	}
}

// TestRetryOfRefusedMessage: a message the SDK refuses before any task
// starts (here, one more message to a completed task) is not remembered:
// its retry is refused the same way, at once, instead of waiting for a
// task that will never be.
func TestRetryOfRefusedMessage(t *testing.T) {
	r := start(t, specialist.Payment, "")
	task := r.send(t, message("", a2a.NewTextPart("A1001")))
	for i := range 2 {
		late := message("late-1", a2a.NewTextPart("and A1002?"))
		late.TaskID, late.ContextID = task.ID, task.ContextID
		ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
		_, err := r.c.SendMessage(ctx, &a2a.SendMessageRequest{Message: late})
		cancel()
		if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "terminal state") {
			t.Errorf("attempt %d: %v, want the SDK's refusal", i+1, err)
		}
	}
}

// TestRememberBound: past Remember messages, the oldest finished ones
// are forgotten (a retry that late starts a new task); recent ones are
// still answered with their task.
func TestRememberBound(t *testing.T) {
	shopSrv := httptest.NewServer(shop.New())
	defer shopSrv.Close()
	agent := serveAgent(t, specialist.Logistics, specialist.Config{Shop: shopSrv.URL, Remember: 2})
	ctx, _, c := dial(t, agent.URL, "")
	send := func(id string) a2a.TaskID {
		res, err := c.SendMessage(ctx, &a2a.SendMessageRequest{Message: message(id, a2a.NewTextPart("A1003"))})
		if err != nil {
			t.Fatal(err)
		}
		return res.(*a2a.Task).ID
	}
	first, _, third := send("m1"), send("m2"), send("m3")
	if again := send("m3"); again != third {
		t.Errorf("a recent retry: task %s, want %s", again, third)
	}
	if again := send("m1"); again == first {
		t.Errorf("m1 is still remembered past Remember=2")
	}
}
