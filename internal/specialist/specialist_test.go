package specialist_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2aclient"
	"github.com/a2aproject/a2a-go/v2/a2aclient/agentcard"

	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/specialist"
)

// fakeShop is the simulated shop with a count of requests per path and,
// when held, a gate its GETs wait at: a slow shop, for retries that
// arrive while the first check still runs.
type fakeShop struct {
	*shop.Shop
	mu      sync.Mutex
	hits    map[string]int
	gate    chan struct{}
	arrived chan string
}

func (f *fakeShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	gate, arrived := f.gate, f.arrived
	f.mu.Unlock()
	if gate != nil {
		arrived <- r.URL.Path
		<-gate
	}
	f.Shop.ServeHTTP(w, r)
}

func (f *fakeShop) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// hold makes the shop's answers wait until the returned func is called.
func (f *fakeShop) hold() (arrived <-chan string, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate, f.arrived = make(chan struct{}), make(chan string, 16)
	gate := f.gate
	return f.arrived, func() {
		f.mu.Lock()
		f.gate = nil
		f.mu.Unlock()
		close(gate)
	}
}

type rig struct {
	shop  *fakeShop
	agent *httptest.Server
	card  *a2a.AgentCard
	c     *a2aclient.Client
	ctx   context.Context
}

// start serves the simulated shop and an agent of kind k in httptest,
// resolves the agent's card and makes an SDK client from it, with the
// token as the card's bearer credential when one is set.
func start(t *testing.T, k specialist.Kind, token string) *rig {
	t.Helper()
	fs := &fakeShop{Shop: shop.New(), hits: map[string]int{}}
	shopSrv := httptest.NewServer(fs)
	t.Cleanup(shopSrv.Close)
	r := &rig{shop: fs}
	r.agent = serveAgent(t, k, specialist.Config{Shop: shopSrv.URL, Token: token, Timeout: 3 * time.Second})
	r.ctx, r.card, r.c = dial(t, r.agent.URL, token)
	return r
}

// serveAgent serves an agent on a loopback port it knows before the
// handler is made, since the card names the agent's own URL.
func serveAgent(t *testing.T, k specialist.Kind, cfg specialist.Config) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.URL = "http://" + ln.Addr().String() + "/"
	h, err := specialist.New(k, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, base, token string) (context.Context, *a2a.AgentCard, *a2aclient.Client) {
	t.Helper()
	ctx := context.Background()
	card, err := agentcard.NewResolver(nil).Resolve(ctx, base)
	if err != nil {
		t.Fatalf("resolve the card: %v", err)
	}
	var opts []a2aclient.FactoryOption
	if token != "" {
		creds := a2aclient.NewInMemoryCredentialsStore()
		creds.Set("test", "bearer", a2aclient.AuthCredential(token))
		opts = append(opts, a2aclient.WithCallInterceptors(&a2aclient.AuthInterceptor{Service: creds}))
		ctx = a2aclient.AttachSessionID(ctx, "test")
	}
	c, err := a2aclient.NewFromCard(ctx, card, opts...)
	if err != nil {
		t.Fatalf("a client from the card: %v", err)
	}
	t.Cleanup(func() { c.Destroy() })
	return ctx, card, c
}

// message is a user message with a fixed id, so a test can send it again
// as a retry would: the same id and the same parts.
func message(id string, parts ...*a2a.Part) *a2a.Message {
	m := a2a.NewMessage(a2a.MessageRoleUser, parts...)
	if id != "" {
		m.ID = id
	}
	return m
}

func (r *rig) send(t *testing.T, m *a2a.Message) *a2a.Task {
	t.Helper()
	res, err := r.c.SendMessage(r.ctx, &a2a.SendMessageRequest{Message: m})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	task, ok := res.(*a2a.Task)
	if !ok {
		t.Fatalf("SendMessage answered %T, want a task", res)
	}
	return task
}

// findings returns the data part and the sentence of a completed task's
// one artifact.
func findings(t *testing.T, task *a2a.Task, name string) (map[string]any, string) {
	t.Helper()
	if task.Status.State != a2a.TaskStateCompleted {
		t.Fatalf("task %s is %s (%s), want completed", task.ID, task.Status.State, statusText(task))
	}
	if len(task.Artifacts) != 1 || task.Artifacts[0].Name != name || len(task.Artifacts[0].Parts) != 2 {
		t.Fatalf("artifacts %+v, want one %q with a data and a text part", task.Artifacts, name)
	}
	data, ok := task.Artifacts[0].Parts[0].Data().(map[string]any)
	text := task.Artifacts[0].Parts[1].Text()
	if !ok || text == "" {
		t.Fatalf("artifact parts %+v", task.Artifacts[0].Parts)
	}
	return data, text
}

func statusText(task *a2a.Task) string {
	if task.Status.Message == nil {
		return ""
	}
	var out []string
	for _, p := range task.Status.Message.Parts {
		if s := p.Text(); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

func statusData(task *a2a.Task) map[string]any {
	if task.Status.Message == nil {
		return nil
	}
	for _, p := range task.Status.Message.Parts {
		if d, ok := p.Data().(map[string]any); ok {
			return d
		}
	}
	return nil
}

// want compares the fields named in exp with got's, as JSON decodes them.
func want(t *testing.T, got map[string]any, exp map[string]any) {
	t.Helper()
	for k, v := range exp {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v (all: %v)", k, got[k], v, got)
		}
	}
}

// TestCard: each agent's card names its skill and the URL it is served
// at, over JSON-RPC, with no security scheme when no token is set.
func TestCard(t *testing.T) {
	for _, k := range specialist.Kinds {
		r := start(t, k, "")
		c := r.card
		if len(c.SupportedInterfaces) != 1 || c.SupportedInterfaces[0].URL != r.agent.URL+"/" ||
			c.SupportedInterfaces[0].ProtocolBinding != a2a.TransportProtocolJSONRPC || c.SupportedInterfaces[0].ProtocolVersion != a2a.Version {
			t.Errorf("%s: interfaces %+v, want JSON-RPC at %s/", k, c.SupportedInterfaces, r.agent.URL)
		}
		if len(c.Skills) != 1 || !c.Capabilities.Streaming || len(c.SecuritySchemes) != 0 || len(c.SecurityRequirements) != 0 {
			t.Errorf("%s: card %+v", k, c)
		}
	}
	if got := start(t, specialist.Payment, "").card.Skills[0].ID; got != "check_payment" {
		t.Errorf("payment skill %q", got)
	}
	if got := start(t, specialist.Logistics, "").card.Skills[0].ID; got != "track_parcel" {
		t.Errorf("logistics skill %q", got)
	}
}

// TestPayment: the payment agent checks A1001 (named in a data part) and
// A1003 (named in the text, in lower case) at the shop and completes
// with the payment's findings and a sentence.
func TestPayment(t *testing.T) {
	r := start(t, specialist.Payment, "")
	task := r.send(t, message("", a2a.NewDataPart(map[string]any{"order_id": "A1001"})))
	data, text := findings(t, task, "payment")
	want(t, data, map[string]any{"order_id": "A1001", "status": "captured", "amount": 89.0, "currency": "EUR",
		"refunded_amount": 0.0, "refundable_amount": 89.0, "order_status": "delivered"})
	if _, err := time.Parse(time.RFC3339, data["checked_at"].(string)); err != nil {
		t.Errorf("checked_at %v", data["checked_at"])
	}
	if text != "The payment of 89.00 EUR for order A1001 is captured; 89.00 EUR can still be refunded, and the order is delivered." {
		t.Errorf("summary %q", text)
	}
	task = r.send(t, message("", a2a.NewTextPart("Hi, where is the refund for my kettle, order a1003?")))
	data, text = findings(t, task, "payment")
	want(t, data, map[string]any{"order_id": "A1003", "status": "captured", "amount": 35.0, "refundable_amount": 35.0, "order_status": "in_transit"})
	if !strings.Contains(text, "35.00 EUR") || !strings.Contains(text, "in transit") {
		t.Errorf("summary %q", text)
	}
	if n := r.shop.count("/payments/A1001") + r.shop.count("/payments/A1003"); n != 2 || r.shop.Counts().Refunds != 0 {
		t.Errorf("payments read %d times, refunds %d: the agent only checks", n, r.shop.Counts().Refunds)
	}
}

// TestLogistics: the logistics agent tracks A1003 (in transit) and A1001
// (delivered), saying which.
func TestLogistics(t *testing.T) {
	r := start(t, specialist.Logistics, "")
	data, text := findings(t, r.send(t, message("", a2a.NewDataPart(map[string]any{"order_id": "A1003"}))), "tracking")
	want(t, data, map[string]any{"order_id": "A1003", "status": "in_transit", "carrier": "PostNord", "location": "regional sorting centre",
		"eta": "tomorrow", "delivered": false, "returned": false, "tracking_number": "PN100200301"})
	if text != "The parcel for order A1003 is in transit with PostNord (last scan: regional sorting centre), expected tomorrow." {
		t.Errorf("summary %q", text)
	}
	data, text = findings(t, r.send(t, message("", a2a.NewTextPart("Where is my blender? Order #A1001"))), "tracking")
	want(t, data, map[string]any{"order_id": "A1001", "status": "delivered", "delivered": true, "returned": false, "eta": ""})
	if !strings.Contains(text, "was delivered by PostNord") {
		t.Errorf("summary %q", text)
	}
}

// TestUnknownOrder: an order the shop does not know ends the task
// rejected, saying so, for both agents.
func TestUnknownOrder(t *testing.T) {
	for _, k := range specialist.Kinds {
		r := start(t, k, "")
		task := r.send(t, message("", a2a.NewTextPart("What about order Z9999?")))
		if task.Status.State != a2a.TaskStateRejected || !strings.Contains(statusText(task), "no order Z9999") {
			t.Errorf("%s: %s %q", k, task.Status.State, statusText(task))
		}
		want(t, statusData(task), map[string]any{"error": "unknown_order", "retryable": false, "order_id": "Z9999"})
		if len(task.Artifacts) != 0 {
			t.Errorf("%s: artifacts %+v", k, task.Artifacts)
		}
	}
}

// TestShopDown: a shop that answers 503, one that is not there, and one
// that answers something else than JSON fail the task with the reason.
func TestShopDown(t *testing.T) {
	r := start(t, specialist.Payment, "")
	r.shop.FailNext("/payments/A1001", http.StatusServiceUnavailable)
	task := r.send(t, message("", a2a.NewDataPart(map[string]any{"order_id": "A1001"})))
	if task.Status.State != a2a.TaskStateFailed || !strings.Contains(statusText(task), "answered GET /payments/A1001 with 503") ||
		!strings.Contains(statusText(task), "the shop is having trouble") {
		t.Errorf("503: %s %q", task.Status.State, statusText(task))
	}
	want(t, statusData(task), map[string]any{"error": "shop_unavailable", "retryable": true})

	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	for _, shopURL := range []string{gone.URL, serveText(t, "<html>maintenance</html>")} {
		for _, k := range specialist.Kinds {
			agent := serveAgent(t, k, specialist.Config{Shop: shopURL, Timeout: 2 * time.Second})
			ctx, _, c := dial(t, agent.URL, "")
			res, err := c.SendMessage(ctx, &a2a.SendMessageRequest{Message: message("", a2a.NewTextPart("order A1001"))})
			if err != nil {
				t.Fatal(err)
			}
			task := res.(*a2a.Task)
			if task.Status.State != a2a.TaskStateFailed {
				t.Errorf("%s, shop %s: %s %q", k, shopURL, task.Status.State, statusText(task))
			}
			if shopURL == gone.URL && (!strings.Contains(statusText(task), "did not answer") || !strings.Contains(statusText(task), "could not connect")) {
				t.Errorf("%s, shop down: %q", k, statusText(task))
			}
			if shopURL != gone.URL && !strings.Contains(statusText(task), "not the JSON") {
				t.Errorf("%s, shop answering HTML: %q", k, statusText(task))
			}
		}
	}
}

func serveText(t *testing.T, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAskForOrder: a message without an order id waits for one in
// TASK_STATE_INPUT_REQUIRED, and the answer in the same task completes
// it; several ids are asked about too, and an id that cannot be one is
// rejected without calling the shop.
func TestAskForOrder(t *testing.T) {
	r := start(t, specialist.Payment, "")
	task := r.send(t, message("", a2a.NewTextPart("Where is my refund??")))
	if task.Status.State != a2a.TaskStateInputRequired || !strings.Contains(statusText(task), `{"order_id": "A1001"}`) {
		t.Fatalf("no order: %s %q", task.Status.State, statusText(task))
	}
	want(t, statusData(task), map[string]any{"needs": "order_id"})
	answer := message("", a2a.NewTextPart("Sorry: it is A1002"))
	answer.TaskID, answer.ContextID = task.ID, task.ContextID
	done := r.send(t, answer)
	data, _ := findings(t, done, "payment")
	if done.ID != task.ID || data["order_id"] != "A1002" || data["amount"] != 249.0 {
		t.Errorf("the answer: task %s (asked in %s), %v", done.ID, task.ID, data)
	}
	// The answer retried (the SDK alone refuses it: the task has ended).
	calls := r.shop.Counts().Calls
	if again := r.send(t, answer); again.ID != task.ID || again.Status.State != a2a.TaskStateCompleted || r.shop.Counts().Calls != calls {
		t.Errorf("the answer retried: %s %s, shop calls %d → %d", again.ID, again.Status.State, calls, r.shop.Counts().Calls)
	}

	task = r.send(t, message("", a2a.NewTextPart("Orders A1001 and A1003 were both charged twice")))
	if task.Status.State != a2a.TaskStateInputRequired || !strings.Contains(statusText(task), "several (A1001, A1003)") {
		t.Errorf("two orders: %s %q", task.Status.State, statusText(task))
	}
	// A caller that will not answer cancels the waiting task.
	if canceled, err := r.c.CancelTask(r.ctx, &a2a.CancelTaskRequest{ID: task.ID}); err != nil || canceled.Status.State != a2a.TaskStateCanceled {
		t.Errorf("cancel a waiting task: %v %+v", err, canceled)
	}
	if _, err := r.c.CancelTask(r.ctx, &a2a.CancelTaskRequest{ID: done.ID}); !errors.Is(err, a2a.ErrTaskNotCancelable) {
		t.Errorf("cancel a completed task: %v", err)
	}
	before := r.shop.Counts().Calls
	task = r.send(t, message("", a2a.NewDataPart(map[string]any{"order_id": "../_counts"})))
	if task.Status.State != a2a.TaskStateRejected || !strings.Contains(statusText(task), "is not an order id") || r.shop.Counts().Calls != before {
		t.Errorf("a bad id: %s %q, shop calls %d → %d", task.Status.State, statusText(task), before, r.shop.Counts().Calls)
	}
}
