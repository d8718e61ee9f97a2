package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// cluster is a set of real `parley serve` processes on one database.
type cluster struct {
	t     *testing.T
	bin   string
	env   []string // what every process gets: database, key, lease TTL
	nodes []*node
	// dataDir, when set, is every process's data dir (a SQLite database
	// that outlives its process); otherwise each gets its own.
	dataDir string
}

func (c *cluster) dir() string {
	if c.dataDir != "" {
		return c.dataDir
	}
	return c.t.TempDir()
}

// node is one running process.
type node struct {
	name   string
	cmd    *exec.Cmd
	URL    string
	out    *logBuffer // stdout and stderr, shown when the test fails
	exited chan struct{}
}

// logBuffer collects a process's output; exec calls Write from one
// goroutine, tests read it from others.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newCluster builds the parley binary and prepares the environment of its
// processes on the database dsn. Processes are killed when the test ends;
// their output is logged only if it failed.
func newCluster(t *testing.T, dsn string, leaseTTL int) *cluster {
	return newClusterIn(t, dsn, "", leaseTTL)
}

// newClusterIn is newCluster with every process on one data dir; with an
// empty dsn, that dir's SQLite database.
func newClusterIn(t *testing.T, dsn, dataDir string, leaseTTL int) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: buildParley(t), dataDir: dataDir}
	for _, kv := range os.Environ() {
		// The test decides every setting; a developer's own PARLEY_*
		// variables must not leak into the nodes.
		if !strings.HasPrefix(kv, "PARLEY_") {
			c.env = append(c.env, kv)
		}
	}
	if dsn != "" {
		c.env = append(c.env, "PARLEY_DATABASE_URL="+dsn)
	}
	c.env = append(c.env,
		"PARLEY_SECRET_KEY=cluster test: a key for tests only, never for real secrets",
		fmt.Sprintf("PARLEY_LEASE_TTL=%d", leaseTTL),
		"PARLEY_OWNER_EMAIL="+ownerEmail,
	)
	// Registered before any node's kill, so it runs after them all.
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.nodes {
				t.Logf("--- output of node %s (pid %d):\n%s", n.name, n.cmd.Process.Pid, n.out.String())
			}
		}
	})
	return c
}

const ownerEmail = "owner@cluster.test"

// buildParley builds ./cmd/parley into a temporary directory, from the
// root of the module the test runs in (go test runs it in its package's
// directory).
func buildParley(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	mod, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(mod)) == 0 {
		t.Fatalf("go env GOMOD: %v %q", err, mod)
	}
	root := filepath.Dir(string(bytes.TrimSpace(mod)))
	bin := filepath.Join(t.TempDir(), "parley")
	start := time.Now()
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/parley")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/parley: %v\n%s", err, out)
	}
	t.Logf("built parley in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// command runs a one-shot parley command (agent create, token create…)
// and returns its standard output.
func (c *cluster) command(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(c.env, "PARLEY_DATA_DIR="+c.dir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("parley %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

var runningAt = regexp.MustCompile(`Parley is running at (http://\S+)`)

// start runs `parley serve` on a free loopback port and waits until it
// says where it listens.
func (c *cluster) start(name string) *node {
	c.t.Helper()
	n := &node{name: name, out: &logBuffer{}, exited: make(chan struct{})}
	n.cmd = exec.Command(c.bin, "serve")
	n.cmd.Env = append(c.env, "PARLEY_ADDR=127.0.0.1:0", "PARLEY_DATA_DIR="+c.dir())
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("start node %s: %v", name, err)
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	c.nodes = append(c.nodes, n)
	c.t.Cleanup(n.kill)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := runningAt.FindStringSubmatch(n.out.String()); m != nil {
			n.URL = m[1]
			return n
		}
		select {
		case <-n.exited:
			c.t.Fatalf("node %s exited before listening: %v", name, n.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("node %s did not start within 30 s", name)
		}
	}
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would:
// no shutdown, no lease released, requests in flight cut off.
func (n *node) kill() {
	n.cmd.Process.Kill()
	<-n.exited
}

// Pid is the process id, which the lease holder's name carries.
func (n *node) Pid() int { return n.cmd.Process.Pid }

// api is a client of the API with a bearer token.
type api struct {
	client *http.Client
	token  string
}

// do sends a JSON request to base+path and returns the status and body.
func (a *api) do(ctx context.Context, method, base, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// must is do that fails the test unless the status is want, decoding the
// answer into v when v is not nil.
func (a *api) must(t *testing.T, method, base, path string, body any, want int, v any) {
	t.Helper()
	status, out, err := a.do(context.Background(), method, base, path, body)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, base, path, err)
	}
	if status != want {
		t.Fatalf("%s %s%s = %d %s, want %d", method, base, path, status, out, want)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn signs an agent in on a node through the web pages, as a browser
// would, changing the one-time password it was created with, and returns
// a client holding the session cookie.
func signIn(t *testing.T, n *node, email, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := client.PostForm(n.URL+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/app/password" || m == nil {
		t.Fatalf("sign-in on %s ended at %s with %d, not the password page:\n%s", n.name, resp.Request.URL, resp.StatusCode, page)
	}
	next := password + "-changed"
	resp, err = client.PostForm(n.URL+"/app/password", url.Values{"csrf_token": {string(m[1])},
		"current_password": {password}, "new_password": {next}, "confirm_password": {next}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/app/" {
		t.Fatalf("password change on %s ended at %s with %d", n.name, resp.Request.URL, resp.StatusCode)
	}
	client.Timeout = 0 // the stream stays open
	return client
}

// streamEvent is one event read from an agent's stream, with when it came.
type streamEvent struct {
	Type      string `json:"type"`
	MessageID int64  `json:"message_id"`
	At        time.Time
}

// openStream opens the agents' live stream (GET /app/events) and sends
// each event it carries on the returned channel until ctx ends. When the
// server ends the stream (a subscriber that fell too far behind is cut
// off), it reconnects with Last-Event-ID, as a browser does.
func openStream(t *testing.T, ctx context.Context, client *http.Client, n *node) <-chan streamEvent {
	t.Helper()
	resp, err := connect(ctx, client, n, "")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan streamEvent, 1024)
	go func() {
		defer close(ch)
		last := ""
		for {
			last = read(ctx, resp, last, ch)
			for ctx.Err() == nil {
				if resp, err = connect(ctx, client, n, last); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	return ch
}

// connect opens the stream after the event id last ("": from now).
func connect(ctx context.Context, client *http.Client, n *node, last string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", n.URL+"/app/events", nil)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /app/events on %s = %d %s", n.name, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp, nil
}

// read sends the stream's events on ch until it ends, and returns the id
// of the last one.
func read(ctx context.Context, resp *http.Response, last string, ch chan<- streamEvent) string {
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			last = id
			continue
		}
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e streamEvent
		if json.Unmarshal([]byte(data), &e) != nil {
			continue
		}
		e.At = time.Now()
		select {
		case ch <- e:
		case <-ctx.Done():
			return last
		}
	}
	return last
}
