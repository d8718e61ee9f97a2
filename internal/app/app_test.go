package app_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
)

func run(t *testing.T, ctx context.Context, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := app.Main(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommands(t *testing.T) {
	env := map[string]string{"PARLEY_DATA_DIR": t.TempDir()}
	ctx := context.Background()
	if code, out, _ := run(t, ctx, env, "version"); code != 0 || !strings.HasPrefix(out, "parley ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := run(t, ctx, env, "migrate"); code != 0 || !strings.Contains(out, "schema 00") {
		t.Fatalf("migrate: %d %q", code, out)
	}
	code, out, _ := run(t, ctx, env, "agent", "create", "--email", "Bo@Example.com", "--name", "Bo", "--role", "admin")
	if code != 0 || !strings.Contains(out, "bo@example.com") || !strings.Contains(out, "password") {
		t.Fatalf("agent create: %d %q", code, out)
	}
	if code, _, errOut := run(t, ctx, env, "agent", "create", "--email", "bo@example.com", "--name", "Bo again"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate agent: %d %q", code, errOut)
	}
	code, out, _ = run(t, ctx, env, "token", "create", "--name", "ci", "--agent-email", "bo@example.com")
	if code != 0 || !regexp.MustCompile(`prly_[A-Za-z0-9_-]{40,}`).MatchString(out) {
		t.Fatalf("token create: %d %q", code, out)
	}
	for _, bad := range [][]string{{"frobnicate"}, {"token"}, {"serve", "--no-such-flag"}, {"serve", "extra"}, {"token", "create"},
		{"token", "create", "--name", "x", "--scope", "write"}, {"token", "create", "--name", "x", "--expires", "-1d"},
		{"token", "create", "--name", "x", "--expires", "soon"}, {"token", "revoke"}, {"token", "revoke", "abc"},
		{"token", "revoke", "999"}, {"token", "revoke", "1", "2"}, {"token", "delete", "1"}, {"agent", "list"}} {
		if code, _, _ := run(t, ctx, env, bad...); code == 0 {
			t.Errorf("%v: exit 0, want an error", bad)
		}
	}
	if code, _, errOut := run(t, ctx, map[string]string{"PARLEY_MAX_JSON_BYTES": "big"}, "migrate"); code != 2 || !strings.Contains(errOut, "PARLEY_MAX_JSON_BYTES") {
		t.Fatalf("bad variable: %d %q", code, errOut)
	}
}

// TestServeFirstStart: the first start creates the owner and prints the
// password once; the second start does not.
func TestServeFirstStart(t *testing.T) {
	env := map[string]string{"PARLEY_DATA_DIR": t.TempDir(), "PARLEY_ADDR": "127.0.0.1:0"}
	for i, wantOwner := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut syncWriter
		done := make(chan int)
		go func() {
			done <- app.Main(ctx, []string{"serve"}, func(k string) string { return env[k] }, &out, &errOut)
		}()
		url := waitURL(t, &out)
		resp, err := http.Get(url + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("start %d: healthz %v %v", i, resp, err)
		}
		resp.Body.Close()
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("start %d: exit %d: %s", i, code, errOut.String())
		}
		if got := strings.Contains(out.String(), "one-time password"); got != wantOwner {
			t.Fatalf("start %d: owner created = %v, want %v\n%s", i, got, wantOwner, out.String())
		}
	}
}

// syncWriter lets the test read what the server goroutine writes.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func waitURL(t *testing.T, out *syncWriter) string {
	re := regexp.MustCompile(`running at (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no URL printed: %q", out.String())
	return ""
}

// TestTokenCommands: create with a scope and an expiry, list, revoke.
func TestTokenCommands(t *testing.T) {
	env := map[string]string{"PARLEY_DATA_DIR": t.TempDir()}
	ctx := context.Background()
	code, out, errOut := run(t, ctx, env, "token", "create", "--name", "dash", "--scope", "read", "--expires", "30d")
	if code != 0 || !strings.Contains(out, "scope read") || !strings.Contains(out, "expires 20") || !strings.Contains(out, "prly_") {
		t.Fatalf("token create: %d %q %q", code, out, errOut)
	}
	id := regexp.MustCompile(`token (\d+) `).FindStringSubmatch(out)[1]
	code, out, _ = run(t, ctx, env, "token", "create", "--name", "form", "--scope", "ingest")
	if code != 0 || !strings.Contains(out, "never expires") {
		t.Fatalf("token create ingest: %d %q", code, out)
	}
	code, out, _ = run(t, ctx, env, "token", "list")
	if code != 0 || !regexp.MustCompile(`(?m)^`+id+`\s+dash\s+read\s+admin\s+active\s+20\S+\s+never$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)\s+form\s+ingest\s+admin\s+active\s+never\s+never$`).MatchString(out) || strings.Contains(out, "prly_") {
		t.Fatalf("token list: %d %q", code, out)
	}
	// The id may come before or after the options.
	if code, out, errOut := run(t, ctx, env, "token", "revoke", id, "--data-dir", env["PARLEY_DATA_DIR"]); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := run(t, ctx, env, "token", "revoke", "--data-dir", env["PARLEY_DATA_DIR"], id); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke again: %d %q %q", code, out, errOut)
	}
	code, out, _ = run(t, ctx, env, "token", "list")
	if code != 0 || !regexp.MustCompile(`(?m)^`+id+`\s+dash\s+read\s+admin\s+revoked\s`).MatchString(out) ||
		!regexp.MustCompile(`(?m)\s+form\s+ingest\s+admin\s+active\s`).MatchString(out) {
		t.Fatalf("token list after revoke: %d %q", code, out)
	}
}
