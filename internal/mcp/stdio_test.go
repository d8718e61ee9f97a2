package mcp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/mcp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// childEnv makes the test binary run `parley mcp` instead of the tests
// (TestMain): the stdio test starts it as a desktop client would.
const childEnv = "PARLEY_MCP_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(app.Main(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// parleyMCP is the command `parley mcp` against w's database, as token
// ("" for none).
func (w *world) parleyMCP(token string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "mcp")
	cfg := w.e.App.Config
	cmd.Env = append(os.Environ(), childEnv+"=1", "PARLEY_DATA_DIR="+cfg.DataDir, "PARLEY_DATABASE_URL="+cfg.DatabaseURL,
		"PARLEY_SECRET_KEY="+apptest.TestSecretKey, "PARLEY_TOKEN="+token)
	return cmd
}

// TestStdio: `parley mcp`, started as a separate process the way Claude
// Desktop starts it, serves the tools on stdin/stdout as the token in
// PARLEY_TOKEN, against the same database as the running server: what
// it writes, the server shows. Without a usable token it refuses to
// start, saying why.
func TestStdio(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		ctx, cancel := context.WithTimeout(bg, time.Minute)
		defer cancel()
		var stderr bytes.Buffer
		cmd := w.parleyMCP(w.annTok)
		cmd.Stderr = &stderr
		c := sdk.NewClient(&sdk.Implementation{Name: "desktop-test", Version: "1"}, nil)
		cs, err := c.Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
		if err != nil {
			t.Fatalf("connect: %v\n%s", err, stderr.String())
		}
		list, err := cs.ListTools(ctx, nil)
		if err != nil || len(list.Tools) != 6 {
			t.Fatalf("tools = %v, %v", list, err)
		}
		conv := ok[mcp.GetConversationOut](t, cs, "get_conversation", map[string]any{"conversation_id": w.ana})
		if conv.Conversation.ID != w.ana || len(conv.Messages) != 2 {
			t.Errorf("conversation over stdio = %+v", conv)
		}
		note := ok[mcp.AddNoteOut](t, cs, "add_note", map[string]any{"conversation_id": w.ana, "text": "Noted from Claude Desktop"})
		p := ok[mcp.ProposeActionOut](t, cs, "propose_action", map[string]any{"conversation_id": w.ana, "reply": "Hi {{contact.first_name}}, the refund is on its way."})
		// Revoked in the server, the token stops in this other process
		// too, as soon as its event hub reads the change.
		var toks struct{ Tokens []parley.APIToken }
		w.e.JSON("GET", "/api/v1/tokens", nil, http.StatusOK, &toks)
		i := slices.IndexFunc(toks.Tokens, func(tk parley.APIToken) bool { return tk.Name == "Ann Agent" })
		w.e.JSON("POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", toks.Tokens[i].ID), nil, http.StatusOK, nil)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			res := call(t, cs, "search_knowledge", map[string]any{"query": "refund"})
			if res.IsError && strings.Contains(text(res), "not valid") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the revoked token still works in parley mcp: %s", text(res))
			}
		}
		if err := cs.Close(); err != nil {
			t.Logf("close: %v", err)
		}
		if !cmd.ProcessState.Success() {
			t.Errorf("parley mcp exited with %v\n%s", cmd.ProcessState, stderr.String())
		}
		// The server sees what the other process wrote.
		msgs := w.messages(t, w.ana)
		if m := msgs[len(msgs)-1]; m.ID != note.MessageID || m.Direction != parley.Note || *m.AuthorAgentID != w.annID {
			t.Errorf("the note = %+v", m)
		}
		if pend := w.pending(t); len(pend) != 1 || pend[0].ID != p.Approvals[0].ApprovalID || count(msgs, parley.Outgoing) != 0 {
			t.Errorf("pending = %+v, %d outgoing", pend, count(msgs, parley.Outgoing))
		}
		rows := w.audit(t)
		var tools []string
		for _, r := range rows {
			tools = append(tools, r.Subject)
		}
		if len(tools) < 4 || !slices.Equal(tools[:3], []string{"get_conversation", "add_note", "propose_action"}) || *rows[0].AgentID != w.annID ||
			rows[len(rows)-1].Outcome != "error" {
			t.Errorf("audit = %v", tools)
		}

		for _, tc := range []struct {
			name, token string
			code        int
			says        string
		}{
			{"no token", "", 2, "set PARLEY_TOKEN to an API token"},
			{"bad token", w.annTok[:len(w.annTok)-4] + "AAAA", 1, "the token in PARLEY_TOKEN: the API token is not valid"},
			{"ingest token", w.ingTok, 1, "ingest-only"},
		} {
			cmd := w.parleyMCP(tc.token)
			cmd.Stdin = strings.NewReader(initialize + "\n")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.code || !strings.Contains(errOut.String(), tc.says) || out.Len() != 0 {
				t.Errorf("%s: %v, stdout %q, stderr %q; want exit %d saying %q", tc.name, err, out.String(), errOut.String(), tc.code, tc.says)
			}
		}
	})
}

// TestStdioRevoked: a stdio session checks its token before every call,
// so revoking the token stops a client that stays connected.
func TestStdioRevoked(t *testing.T) {
	w := newWorld(t, "sqlite")
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	serverSide, clientSide := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- w.e.App.MCP.ServeStdio(ctx, w.readTok, serverSide, serverSide) }()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, &sdk.IOTransport{Reader: clientSide, Writer: clientSide}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok[mcp.SearchKnowledgeOut](t, cs, "search_knowledge", map[string]any{"query": "refund"})
	refused(t, cs, "add_note", map[string]any{"conversation_id": w.ana, "text": "x"}, "read-only")
	var toks struct{ Tokens []parley.APIToken }
	w.e.JSON("GET", "/api/v1/tokens", nil, http.StatusOK, &toks)
	i := slices.IndexFunc(toks.Tokens, func(tk parley.APIToken) bool { return tk.Name == "reader" })
	w.e.JSON("POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", toks.Tokens[i].ID), nil, http.StatusOK, nil)
	refused(t, cs, "search_knowledge", map[string]any{"query": "refund"}, "not valid")
	cs.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeStdio = %v", err)
	}
}
