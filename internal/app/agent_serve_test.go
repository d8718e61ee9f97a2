package app_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2aclient"
	"github.com/a2aproject/a2a-go/v2/a2aclient/agentcard"

	"github.com/parleyhq/parley/internal/connect/shop"
)

// TestAgentServe: parley agent serve refuses bad flags, and otherwise
// serves the agent's card naming the address it listens on, and checks
// a payment at a shop on loopback (allowed because the operator named
// it) with the token from PARLEY_AGENT_TOKEN.
func TestAgentServe(t *testing.T) {
	ctx := context.Background()
	env := map[string]string{}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"agent", "serve"}, "which agent"},
		{[]string{"agent", "serve", "--addr", "127.0.0.1:0"}, "which agent"},
		{[]string{"agent", "serve", "billing"}, `"billing" is not an agent`},
		{[]string{"agent", "serve", "payment", "--no-such-flag"}, "not defined"},
		{[]string{"agent", "serve", "payment", "extra"}, `unexpected argument "extra"`},
		{[]string{"agent", "serve", "payment", "--addr", "8091"}, "not a host and port"},
		{[]string{"agent", "serve", "payment", "--addr", "0.0.0.0:8091"}, "loopback"},
		{[]string{"agent", "serve", "logistics", "--addr", "192.0.2.1:8092", "--public"}, "needs a token"},
		{[]string{"agent", "serve", "payment", "--addr", "0.0.0.0:8091", "--public", "--token", "t"}, "give --url"},
		{[]string{"agent", "serve", "payment", "--url", "127.0.0.1:8091"}, "--url"},
		{[]string{"agent", "serve", "payment", "--shop", "127.0.0.1:8090"}, "--shop"},
		{[]string{"agent", "serve", "payment", "--shop", "http://u:p@shop.example"}, "--shop"},
	} {
		if code, _, errOut := run(t, ctx, env, bad.args...); code != 2 || !strings.Contains(errOut, bad.want) {
			t.Errorf("%v: %d %q, want 2 and %q", bad.args, code, errOut, bad.want)
		}
	}
	if code, out, _ := run(t, ctx, env, "agent", "serve", "--help"); code != 0 || !strings.Contains(out, "payment|logistics") || !strings.Contains(out, "-public") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, _, _ := run(t, ctx, env, "agent", "list"); code != 2 {
		t.Errorf("agent list: %d, want 2", code)
	}

	s := shop.New()
	shopSrv := httptest.NewServer(s)
	defer shopSrv.Close()
	addr := freeAddr(t)
	env = map[string]string{"PARLEY_AGENT_TOKEN": "agent-test-token"}
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(t, ctx, env, "agent", "serve", "payment", "--addr", addr, "--shop", shopSrv.URL, "--wait", "3s")
		done <- result{code, out, errOut}
	}()
	var card *a2a.AgentCard
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if card, err = agentcard.NewResolver(nil).Resolve(ctx, "http://"+addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent never served its card: %v", err)
		}
	}
	if len(card.SupportedInterfaces) != 1 || card.SupportedInterfaces[0].URL != "http://"+addr+"/" ||
		len(card.Skills) != 1 || card.Skills[0].ID != "check_payment" || card.SecuritySchemes["bearer"] == nil {
		t.Errorf("card %+v", card)
	}
	creds := a2aclient.NewInMemoryCredentialsStore()
	creds.Set("app-test", "bearer", "agent-test-token")
	cctx := a2aclient.AttachSessionID(ctx, "app-test")
	c, err := a2aclient.NewFromCard(cctx, card, a2aclient.WithCallInterceptors(&a2aclient.AuthInterceptor{Service: creds}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	res, err := c.SendMessage(cctx, &a2a.SendMessageRequest{Message: a2a.NewMessage(a2a.MessageRoleUser, a2a.NewTextPart("Refund for A1001?"))})
	if err != nil {
		t.Fatal(err)
	}
	if task, ok := res.(*a2a.Task); !ok || task.Status.State != a2a.TaskStateCompleted || len(task.Artifacts) != 1 {
		t.Errorf("SendMessage: %+v", res)
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.out, "the payment agent is at http://"+addr+"/") || !strings.Contains(r.out, "bearer token") ||
		!strings.Contains(r.out, "the payment agent stopped") {
		t.Fatalf("agent serve: %d %q %q", r.code, r.out, r.err)
	}
}
