package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSimulateShop: parley simulate shop refuses a non-loopback address
// and a missing database, and otherwise serves the shop on loopback, adds
// it to the outbound allow-list, and says what it made when it stops.
func TestSimulateShop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"PARLEY_DATA_DIR": dir, "PARLEY_SECRET_KEY": "simulate test key, at least thirty-two characters"}
	if code, _, errOut := run(t, ctx, env, "simulate", "shop", "--shop", "0.0.0.0:8090"); code != 2 || !strings.Contains(errOut, "loopback") {
		t.Fatalf("a public address: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, ctx, env, "simulate", "shop"); code != 1 || !strings.Contains(errOut, "no Parley database") {
		t.Fatalf("no database: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, ctx, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	addr := freeAddr(t)
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(t, ctx, env, "simulate", "shop", "--shop", addr, "--wait", "3s")
		done <- result{code, out, errOut}
	}()
	var counts map[string]int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/_counts")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&counts)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shop never answered")
		}
	}
	if _, ok := counts["labels"]; !ok {
		t.Fatalf("counts %v", counts)
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.out, "allowed outbound calls to 127.0.0.1") || !strings.Contains(r.out, "the shop made 0 labels") {
		t.Fatalf("simulate shop: %d %q %q", r.code, r.out, r.err)
	}
}
