package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSimulate: `parley simulate` creates a simulated inbox, posts a
// signed webhook to a running server, prints the reply an agent sends,
// and answers it with receipts, for each HTTP channel.
func TestSimulate(t *testing.T) {
	for _, channel := range []string{"whatsapp", "messenger", "zalo", "sms", "rcs", "email"} {
		t.Run(channel, func(t *testing.T) {
			addr := freeAddr(t)
			env := map[string]string{"PARLEY_DATA_DIR": t.TempDir(), "PARLEY_ADDR": addr,
				"PARLEY_SECRET_KEY": "simulate test key, at least thirty-two characters"}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			served := make(chan struct{})
			go func() { defer close(served); run(t, ctx, env, "serve") }()
			defer func() { cancel(); <-served }()
			base := "http://" + addr
			for i := 0; i < 200; i++ {
				if resp, err := http.Get(base + "/healthz"); err == nil {
					resp.Body.Close()
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			code, out, errOut := run(t, ctx, env, "token", "create", "--name", "sim")
			token := regexp.MustCompile(`[A-Za-z0-9_\-]{30,}`).FindString(out)
			if code != 0 || token == "" {
				t.Fatalf("token: %d %q %q", code, out, errOut)
			}
			// The agent answers as soon as the simulated message is in.
			go func() {
				for i := 0; i < 250 && ctx.Err() == nil; i++ {
					req, _ := http.NewRequest("GET", base+"/api/v1/conversations", nil)
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err := http.DefaultClient.Do(req)
					if err == nil {
						var page struct{ Conversations []struct{ ID int64 } }
						json.NewDecoder(resp.Body).Decode(&page)
						resp.Body.Close()
						if len(page.Conversations) == 1 {
							body := strings.NewReader(`{"text":"Hello from the team"}`)
							req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", base, page.Conversations[0].ID), body)
							req.Header.Set("Authorization", "Bearer "+token)
							req.Header.Set("Content-Type", "application/json")
							if resp, err := http.DefaultClient.Do(req); err == nil {
								resp.Body.Close()
							}
							return
						}
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
			code, out, errOut = run(t, ctx, env, "simulate", channel, "--provider", freeAddr(t), "--wait", "10s", "--replies", "1", "Is my order on its way?")
			if code != 0 {
				t.Fatalf("simulate = %d\n%s\n%s", code, out, errOut)
			}
			wants := []string{"created inbox", "allowed outbound calls to 127.0.0.1", "Parley answered 200", "← Parley sent " + channel, "Hello from the team", "✓ delivered"}
			if channel == "email" {
				wants = []string{"created inbox", "stored in inbox", "← Parley sent email to sam@example.com", "Re: A question", "Hello from the team"}
			}
			for _, want := range wants {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestSimulateHelpAndNoServer: `parley simulate --help` lists its options
// and their defaults; with no server answering it says so and creates
// nothing (no database in the current folder or anywhere else); with a
// server but not its database, it says that instead.
func TestSimulateHelpAndNoServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	addr := freeAddr(t) // nothing listens there
	env := map[string]string{"PARLEY_DATA_DIR": dir, "PARLEY_ADDR": addr, "PARLEY_SECRET_KEY": "simulate test key, at least thirty-two characters"}
	for _, help := range [][]string{{"simulate", "--help"}, {"simulate", "-h"}, {"simulate", "whatsapp", "--help"}} {
		code, out, errOut := run(t, ctx, env, help...)
		if code != 0 || errOut != "" {
			t.Errorf("%v = %d, stderr %q", help, code, errOut)
		}
		for _, want := range []string{"Usage: parley simulate CHANNEL", "-inbox", "-url", "-provider", "127.0.0.1:8089", "-from", "-wait", "-data-dir", "http://localhost:8080"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v lacks %q:\n%s", help, want, out)
			}
		}
	}
	if code, _, errOut := run(t, ctx, env, "simulate", "telegram", "hi"); code != 2 || !strings.Contains(errOut, `"telegram" is not a channel`) {
		t.Errorf("unknown channel: %d %q", code, errOut)
	}
	code, out, errOut := run(t, ctx, env, "simulate", "whatsapp", "Hello?")
	if code != 1 || !strings.Contains(errOut, "no Parley answers at http://"+addr) || !strings.Contains(errOut, "parley serve") {
		t.Errorf("no server: %d %q %q", code, out, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("simulate without a server left %d files in the data dir (a database?)", len(entries))
	}

	// A server, but simulate pointed at another (empty) data dir.
	srvEnv := map[string]string{"PARLEY_DATA_DIR": t.TempDir(), "PARLEY_ADDR": addr, "PARLEY_SECRET_KEY": env["PARLEY_SECRET_KEY"]}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { defer close(served); run(t, sctx, srvEnv, "serve") }()
	defer func() { cancel(); <-served }()
	for i := 0; i < 200; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, _, errOut = run(t, ctx, env, "simulate", "whatsapp", "Hello?")
	if code != 1 || !strings.Contains(errOut, "no Parley database at") || !strings.Contains(errOut, "--data-dir") {
		t.Errorf("wrong data dir: %d %q", code, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("simulate created %d files in a data dir the server does not use", len(entries))
	}
}
