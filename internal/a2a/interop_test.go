package a2a_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/parley"
)

// TestInteropJSClient: the official A2A JavaScript SDK (@a2a-js/sdk) as
// a client of Parley's server: it resolves the card, sends a message
// (a new task), streams a second on the same task, and reads the task
// back (scripts/interop/a2a-js-client.mjs). It needs Node and the SDK
// installed in PARLEY_A2A_JS (scripts/interop/a2a-js.sh does both; CI
// runs it); without them it skips, unless PARLEY_INTEROP=1 says it must run.
func TestInteropJSClient(t *testing.T) {
	dir := os.Getenv("PARLEY_A2A_JS")
	node := os.Getenv("PARLEY_NODE")
	if node == "" {
		node, _ = exec.LookPath("node")
	}
	if dir == "" || node == "" {
		if os.Getenv("PARLEY_INTEROP") == "1" {
			t.Fatal("PARLEY_INTEROP=1 but PARLEY_A2A_JS (a directory with @a2a-js/sdk installed) or node is missing")
		}
		t.Skip("the A2A JavaScript SDK interop test needs Node and @a2a-js/sdk: run scripts/interop/a2a-js.sh DIR and set PARLEY_A2A_JS=DIR")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@a2a-js", "sdk")); err != nil {
		t.Fatalf("PARLEY_A2A_JS=%s has no node_modules/@a2a-js/sdk: %v", dir, err)
	}
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "interop", "a2a-js-client.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	// ES modules resolve packages from the script's own directory.
	run := filepath.Join(dir, "parley-a2a-client.mjs")
	if err := os.WriteFile(run, script, 0o644); err != nil {
		t.Fatal(err)
	}
	e := apptest.Start(t, "sqlite", nil)
	_, secret := token(t, e, "js", parley.ScopeAgent)
	cmd := exec.Command(node, run)
	cmd.Env = append(os.Environ(), "PARLEY_URL="+e.URL, "PARLEY_TOKEN="+secret)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the JS client failed: %v\n%s", err, stderr.String())
	}
	var got struct {
		Send struct {
			ID      string
			State   int
			History int
			Waiting string
		}
		Stream []string
		Get    struct {
			ID      string
			State   int
			History int
			Texts   []string
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the JS client printed %s: %v", out, err)
	}
	const inputRequired = 6 // TASK_STATE_INPUT_REQUIRED in the SDK's enum
	if got.Send.ID == "" || got.Send.State != inputRequired || got.Send.History != 1 || got.Send.Waiting != "person" {
		t.Fatalf("send, as the JS SDK saw it: %s", out)
	}
	if len(got.Stream) != 1 || got.Stream[0] != "task" {
		t.Fatalf("stream, as the JS SDK saw it: %s", out)
	}
	if got.Get.ID != got.Send.ID || got.Get.History != 2 || !strings.Contains(got.Get.Texts[1], "return label") {
		t.Fatalf("get, as the JS SDK saw it: %s", out)
	}
	stored, err := e.App.DB.A2ATask(ctx, got.Send.ID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := e.App.DB.Messages(ctx, []int64{stored.ConversationID})
	if len(msgs) != 2 || msgs[0].Text != "Hello from the JavaScript SDK: where is order A1001?" {
		t.Fatalf("stored: %+v", msgs)
	}
}
