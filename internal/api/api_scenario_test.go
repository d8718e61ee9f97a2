package api_test

// Scenario tests drive the whole running app (real HTTP port, real
// database, live job runner) through the REST API, as a table of requests
// and what must come back. Every group runs on SQLite and, when
// PARLEY_TEST_POSTGRES_URL is set, on PostgreSQL. Universal rules checked
// on every request a table sends:
//
//   - an error answer has exactly the shape {"error":{"code","message"}},
//     its code matches its status, and its message leaks nothing internal;
//   - an error answer wrote nothing (event log, inboxes, agents, teams,
//     jobs, contacts and conversations are as they were);
//   - no request ever gets a 500.
//
// TestScenarios also checks that the groups together send a request to
// every route in routes.go, so a new route without scenarios fails here.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// groups are the scenario groups; each file adds its own.
var groups = []struct {
	name string
	fn   func(t *testing.T, dialect string)
}{
	{"auth", testAuth},
	{"public", testPublic},
	{"agent_role", testAgentRole},
	{"bad_json", testBadJSON},
	{"bad_ids_and_queries", testBadIDsAndQueries},
	{"admin_resources", testAdminResources},
	{"ingest", testIngest},
	{"ingest_concurrent", testIngestConcurrent},
	{"contact_identity", testContactIdentity},
	{"lifecycle", testLifecycle},
	{"reopen_window", testReopenWindow},
	{"snooze_timer", testSnoozeTimer},
	{"conversation_fields", testConversationFields},
	{"list_pagination", testListPagination},
	{"list_filters", testListFilters},
	{"search", testSearch},
	{"events", testEvents},
	{"uploads", testUploads},
	{"resumable_uploads", testResumableUploads},
	{"contacts", testContacts},
	{"merge", testMerge},
	{"replies_notes", testRepliesNotes},
	{"webhook", testWebhook},
	{"jobs", testJobs},
	{"internal_errors", testInternalErrors},
	{"agent_settings", testAgentSettings},
	{"queue", testQueue},
	{"inbox_routing", testInboxRouting},
	{"expected_reply", testExpectedReply},
	{"honest_promise", testHonestPromise},
	{"sla_policies", testSLAPolicies},
	{"breaching_soon", testBreachingSoon},
	{"triage_rules", testTriageRules},
	{"reports", testReports},
	{"surveys", testSurveys},
	{"tokens", testTokens},
	{"notifications", testNotifications},
	{"assist", testAssist},
	{"assist_model", testAssistModel},
	{"approvals", testApprovals},
	{"knowledge", testKnowledge},
	{"workflows", testWorkflows},
	{"remote_agents", testRemoteAgents},
	{"bulk", testBulk},
}

func TestScenarios(t *testing.T) {
	var ran atomic.Int64
	t.Run("group", func(t *testing.T) {
		for _, g := range groups {
			t.Run(g.name, func(t *testing.T) {
				ran.Add(1)
				t.Parallel()
				storetest.Each(t, g.fn)
			})
		}
	})
	if int(ran.Load()) != len(groups) || t.Failed() {
		return // filtered with -run, or failed: coverage would be noise
	}
	for _, rt := range routesFromSource(t) {
		if _, ok := covered.Load(rt); !ok {
			t.Errorf("route %s has no scenario: add one to a *_scenario_test.go group", rt)
		}
	}
}

// ---------------------------------------------------------------- routes

var routeLine = regexp.MustCompile(`\{"(GET|POST|PATCH|PUT|DELETE)", "([^"]+)"`)

// routesFromSource reads every "METHOD /path" served, from routes.go.
func routesFromSource(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range routeLine.FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1]+" "+m[2])
	}
	if len(out) < 30 {
		t.Fatalf("found only %d routes in routes.go; has its layout changed?", len(out))
	}
	return out
}

var (
	routeOnce     sync.Once
	routeMatchers []struct {
		key string
		re  *regexp.Regexp
	}
	covered sync.Map // "METHOD /pattern" → true, once a request reached its handler
)

// cover records that a request reached the route it matches.
func cover(t *testing.T, method, path string, r response) {
	routeOnce.Do(func() {
		for _, rt := range routesFromSource(t) {
			method, pattern, _ := strings.Cut(rt, " ")
			segs := strings.Split(pattern, "/")
			for i, s := range segs {
				if strings.HasPrefix(s, "{") {
					segs[i] = `[^/]*`
				} else {
					segs[i] = regexp.QuoteMeta(s)
				}
			}
			routeMatchers = append(routeMatchers, struct {
				key string
				re  *regexp.Regexp
			}{rt, regexp.MustCompile("^" + method + " " + strings.Join(segs, "/") + "$")})
		}
	})
	if r.status == http.StatusUnauthorized || bytes.Contains(r.body, []byte("no API route")) {
		return // refused before the route's handler ran
	}
	p, _, _ := strings.Cut(path, "?")
	for _, m := range routeMatchers {
		if m.re.MatchString(method + " " + p) {
			covered.Store(m.key, true)
		}
	}
}

// ---------------------------------------------------------------- env

// testClock is an injectable clock: real time plus an offset tests
// advance, or a frozen instant.
type testClock struct {
	off    atomic.Int64 // nanoseconds added to the real time
	frozen atomic.Int64 // Unix nanoseconds; 0 when not frozen
}

func (c *testClock) now() time.Time {
	if f := c.frozen.Load(); f != 0 {
		return time.Unix(0, f).UTC()
	}
	return time.Now().UTC().Add(time.Duration(c.off.Load()))
}
func (c *testClock) advance(d time.Duration) { c.off.Add(int64(d)) }
func (c *testClock) freeze()                 { c.frozen.Store(c.now().UnixNano()) }
func (c *testClock) unfreeze()               { c.frozen.Store(0) }

type env struct {
	*apptest.Env
	t     *testing.T
	clock *testClock
	// allow500 lets a test that breaks the database on purpose expect 500s.
	allow500 bool
}

func start(t *testing.T, dialect string) *env {
	t.Helper()
	c := &testClock{}
	return &env{Env: apptest.Start(t, dialect, c.now), t: t, clock: c}
}

// advance moves the app's clock and wakes the job runner, which computed
// its sleep from the old time.
func (e *env) advance(d time.Duration) {
	e.clock.advance(d)
	e.App.Jobs.Wake()
}

// agentToken creates an agent with role and an API token acting for it.
func (e *env) agentToken(email string, role parley.Role) (parley.Agent, string) {
	e.t.Helper()
	ctx := context.Background()
	a, _, err := e.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: email, Name: "Agent " + email, Role: role}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	_, secret, err := e.App.Inbox.CreateToken(ctx, inbox.System, parley.APIToken{Name: "token for " + email, AgentID: &a.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return a, secret
}

// ---------------------------------------------------------------- requests

const noToken = "\x00no token"

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string {
	b := r.body
	if len(b) > 600 {
		b = append(b[:600:600], "…"...)
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

var client = &http.Client{
	Timeout: 60 * time.Second,
	Transport: &http.Transport{
		MaxIdleConnsPerHost:   64,
		ExpectContinueTimeout: 10 * time.Second,
	},
}

// send makes one request. body: nil sends none; a string or []byte is sent
// as is; anything else as JSON. A body gets Content-Type application/json
// unless header sets another ("-" sends none). token "" uses the admin
// token; noToken sends no Authorization.
func (e *env) send(method, path string, header map[string]string, body any, token string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch token {
	case "":
		req.Header.Set("Authorization", "Bearer "+e.Token)
	case noToken:
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		if v == "-" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	if _, ok := body.(io.Reader); ok {
		req.ContentLength = -1 // chunked: the server cannot know the size up front
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: out}
	cover(e.t, method, path, r)
	if r.status >= 500 && r.status != http.StatusServiceUnavailable && !e.allow500 {
		e.t.Errorf("%s %s = %s: a server error", method, path, r)
	}
	if r.status >= 400 && method != "HEAD" { // a HEAD answer has no body
		checkErrorShape(e.t, method+" "+path, r)
	}
	return r
}

// call sends an admin request, fails the test unless the status is want,
// and decodes the answer into out (when not nil).
func (e *env) call(method, path string, body any, want int, out any) response {
	e.t.Helper()
	r := e.send(method, path, nil, body, "")
	if r.status != want {
		e.t.Fatalf("%s %s = %s, want %d", method, path, r, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, r, err)
		}
	}
	return r
}

func codeFor(status int) string {
	switch status {
	case 400:
		return parley.EINVALID
	case 401:
		return parley.EUNAUTHORIZED
	case 403:
		return parley.EFORBIDDEN
	case 404:
		return parley.ENOTFOUND
	case 409:
		return parley.ECONFLICT
	case 412:
		return parley.EPRECONDITION
	case 413:
		return parley.ETOOLARGE
	case 415:
		return parley.EMEDIATYPE
	case 429:
		return parley.ERATELIMIT
	case 503:
		return parley.EUNAVAILABLE
	}
	return parley.EINTERNAL
}

// leaks are fragments that betray internals: SQL, driver and Go error text.
var leaks = []string{"sql", "pq:", "pgx", "pgconn", "store:", "constraint", "no rows", "fts5", "tsquery",
	"panic", "runtime error", "goroutine", "parley: ", "%!", "<nil>", "blob:"}

// checkErrorShape checks an error answer: JSON, exactly {"error":{"code",
// "message"}}, the code its status maps to, a message that leaks nothing.
func checkErrorShape(t *testing.T, what string, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error with Content-Type %q, want JSON: %s", what, ct, r)
	}
	var eb struct {
		Error *struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"` // what some errors list (a workflow's problems)
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil || eb.Error == nil {
		t.Errorf("%s: error body is not {\"error\":{\"code\",\"message\"}}: %s (%v)", what, r, err)
		return
	}
	if want := codeFor(r.status); eb.Error.Code != want && !(r.status == 503 && eb.Error.Code == parley.ESTORAGEFULL) {
		t.Errorf("%s: status %d with code %q, want %q", what, r.status, eb.Error.Code, want)
	}
	if strings.TrimSpace(eb.Error.Message) == "" {
		t.Errorf("%s: error without a message: %s", what, r)
	}
	low := strings.ToLower(eb.Error.Message)
	for _, l := range leaks {
		if strings.Contains(low, strings.ToLower(l)) {
			t.Errorf("%s: error message leaks %q: %s", what, l, eb.Error.Message)
		}
	}
}

// ---------------------------------------------------------------- scenarios

// scenario is one request and what must come back.
type scenario struct {
	name       string
	method     string
	path       string
	header     map[string]string // "Content-Type": "-" sends none
	body       any               // see env.send
	token      string            // "" admin; noToken none
	status     int
	want       []string          // fragments the body must contain
	notWant    []string          // fragments it must not contain
	wantHeader map[string]string // header → fragment its value must contain
	mayWrite   bool              // an error answer that is allowed to have written (none so far)
	// bug names a known bug that makes the want/notWant fragments fail:
	// the scenario still checks status, error shape and writes, but a
	// fragment mismatch skips it with "BUG: …" instead of failing.
	bug string
}

// run sends each scenario as a subtest. Before and after every error
// answer the store is snapshotted: an error must write nothing.
func (e *env) run(scs []scenario) {
	e.t.Helper()
	parent := e.t
	for _, sc := range scs {
		parent.Run(sc.name, func(t *testing.T) {
			sub := *e
			sub.t = t
			e := &sub
			var before snapshot
			checkWrites := sc.status >= 400 && !sc.mayWrite
			if checkWrites {
				before = e.snapshot()
			}
			r := e.send(sc.method, sc.path, sc.header, sc.body, sc.token)
			if r.status != sc.status {
				t.Errorf("%s %s = %s, want %d", sc.method, sc.path, r, sc.status)
			}
			var problems []string
			for _, w := range sc.want {
				if !bytes.Contains(r.body, []byte(w)) {
					problems = append(problems, fmt.Sprintf("%s %s = %s, want it to contain %q", sc.method, sc.path, r, w))
				}
			}
			for _, w := range sc.notWant {
				if bytes.Contains(r.body, []byte(w)) {
					problems = append(problems, fmt.Sprintf("%s %s = %s, must not contain %q", sc.method, sc.path, r, w))
				}
			}
			for h, w := range sc.wantHeader {
				if v := r.header.Get(h); !strings.Contains(v, w) {
					problems = append(problems, fmt.Sprintf("%s %s: header %s = %q, want it to contain %q", sc.method, sc.path, h, v, w))
				}
			}
			defer func() {
				if len(problems) > 0 && sc.bug != "" && !t.Failed() {
					t.Skipf("BUG: %s\n%s", sc.bug, strings.Join(problems, "\n"))
				}
				for _, p := range problems {
					t.Error(p)
				}
			}()
			if checkWrites {
				if after := e.snapshot(); after != before {
					t.Errorf("%s %s answered %d but wrote: before %+v, after %+v", sc.method, sc.path, r.status, before, after)
				}
			}
		})
	}
}
