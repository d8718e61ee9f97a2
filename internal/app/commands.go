package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

const usage = `Parley: async-first customer messaging.

Usage:
  parley [serve] [options]        run the server (the default)
  parley migrate [options]        apply database migrations and exit
  parley agent create --email E --name N --role owner|admin|agent [options]
                                  add an agent and print a generated password
  parley token create --name N [--agent-email E] [--scope full|read|ingest]
                    [--expires 30d] [options]
                                  create an API token and print it once
  parley token list [options]     list API tokens (never their secrets)
  parley token revoke ID [options]
                                  stop a token from working, for good
  parley kb import DIR [options]
                                  import the Markdown and HTML files under DIR into the
                                  knowledge base (again: updates by slug, never duplicates)
  parley blobs import [options]   copy the attachments this node kept under DATA_DIR/blobs
                                  into the database (PostgreSQL), so every node serves them;
                                  run once on each node, again after an interruption
  parley simulate CHANNEL [--inbox ID] "text"
                                  write to the running server as a customer on whatsapp,
                                  messenger, zalo, sms, rcs or email and show Parley's
                                  replies (no accounts needed; parley simulate --help)
  parley simulate shop [--shop 127.0.0.1:8090]
                                  serve a simulated shop's APIs on loopback for trying
                                  workflows (docs/WORKFLOWS.md)
  parley agent serve payment|logistics [--addr A] [--shop URL] [--token T]
                                  serve a specialist A2A agent that checks payments or
                                  tracks parcels at the shop (parley agent serve --help)
  parley mcp [options]            serve MCP on stdin/stdout for a desktop client (Claude
                                  Desktop...), as the API token in PARLEY_TOKEN (docs/AGENTS.md)
  parley version                  print the version

Options (each also read from its environment variable; flags win):
`

// Main runs the parley command with args (without the program name) and
// returns the exit code. Output goes to stdout; errors to stderr.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "parley:", err)
		return 2
	}
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "simulate" {
		return simulateMain(ctx, cfg, args, stdout, stderr)
	}
	if cmd == "agent" && len(args) > 0 && args[0] == "serve" {
		return agentServe(ctx, cfg, args[1:], getenv, stdout, stderr)
	}
	var kbDir string
	if cmd == "kb" {
		if len(args) == 0 || args[0] != "import" {
			fmt.Fprintln(stderr, "parley: usage: parley kb import DIR [options]")
			return 2
		}
		cmd, args = "kb import", args[1:]
		// The directory comes first (parley kb import docs/ --data-dir D).
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			kbDir, args = args[0], args[1:]
		}
	}
	if cmd == "blobs" {
		if len(args) == 0 || args[0] != "import" {
			fmt.Fprintln(stderr, "parley: usage: parley blobs import [options]")
			return 2
		}
		cmd, args = "blobs import", args[1:]
	}
	if cmd == "agent" || cmd == "token" {
		sub := ""
		if len(args) > 0 {
			sub = args[0]
		}
		if sub != "create" && (cmd != "token" || sub != "list" && sub != "revoke") {
			fmt.Fprintf(stderr, "parley: usage: parley %s\n", map[string]string{"agent": "agent create [options]", "token": "token create|list|revoke [options]"}[cmd])
			return 2
		}
		cmd, args = cmd+" "+sub, args[1:]
	}
	fs := cfg.FlagSet("parley "+cmd, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var email, name, role, agentEmail, scope, expires, tokenID string
	switch cmd {
	case "agent create":
		fs.StringVar(&email, "email", "", "the agent's email (required)")
		fs.StringVar(&name, "name", "", "the agent's name (required)")
		fs.StringVar(&role, "role", "agent", "owner, admin or agent")
	case "token create":
		fs.StringVar(&name, "name", "", "what the token is for (required)")
		fs.StringVar(&agentEmail, "agent-email", "", "act as this agent (replies are authored by them)")
		fs.StringVar(&scope, "scope", "full", "full, read (GET routes only), ingest (incoming messages and uploads only) or agent (an outside agent: A2A only)")
		fs.StringVar(&expires, "expires", "", "stop working after this long, e.g. 30d, 12h (default: never)")
	case "token list", "kb import", "blobs import":
	case "mcp":
		if strings.TrimSpace(getenv("PARLEY_TOKEN")) == "" {
			fmt.Fprintln(stderr, "parley: mcp: "+mcpNoToken)
			return 2
		}
	case "token revoke":
		// The id comes first (parley token revoke 7 --data-dir D); flag
		// parsing stops at the first argument that is not a flag.
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			tokenID, args = args[0], args[1:]
		}
	case "version":
		fmt.Fprintln(stdout, "parley", version())
		return 0
	case "serve", "migrate":
	case "help":
		fs.Usage()
		return 0
	default:
		fmt.Fprintf(stderr, "parley: unknown command %q\n", cmd)
		fs.Usage()
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fs.Args()
	if cmd == "token revoke" && tokenID == "" && len(rest) == 1 {
		tokenID, rest = rest[0], nil
	}
	if cmd == "kb import" && kbDir == "" && len(rest) == 1 {
		kbDir, rest = rest[0], nil
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "parley: unexpected argument %q\n", rest[0])
		return 2
	}
	if cmd == "token revoke" && tokenID == "" {
		fmt.Fprintln(stderr, "parley: usage: parley token revoke ID [options]")
		return 2
	}
	if cmd == "kb import" && kbDir == "" {
		fmt.Fprintln(stderr, "parley: usage: parley kb import DIR [options]")
		return 2
	}
	a, err := New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "parley:", err)
		return 1
	}
	defer a.Close()
	switch cmd {
	case "serve":
		tuneGC(getenv)
		err = a.serve(ctx, stdout)
	case "migrate":
		var v string
		if v, err = a.DB.SchemaVersion(ctx); err == nil {
			fmt.Fprintf(stdout, "database %s is at schema %s\n", cfg.Redacted(), v)
		}
	case "agent create":
		var password string
		var ag parley.Agent
		ag, password, err = a.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: email, Name: name, Role: parley.Role(role)}, "")
		if err == nil {
			fmt.Fprintf(stdout, "agent %d created: %s <%s>, %s\npassword (shown once; they must change it at first sign-in): %s\n",
				ag.ID, ag.Name, ag.Email, ag.Role, password)
		}
	case "token create":
		err = a.createToken(ctx, stdout, name, agentEmail, scope, expires)
	case "token list":
		err = a.listTokens(ctx, stdout)
	case "token revoke":
		err = a.revokeToken(ctx, stdout, tokenID)
	case "mcp":
		err = a.serveMCP(ctx, strings.TrimSpace(getenv("PARLEY_TOKEN")), stdout)
	case "blobs import":
		err = importBlobs(ctx, a, stdout)
	case "kb import":
		if err = a.importKnowledge(ctx, stdout, stderr, kbDir); errors.Is(err, errImportFailures) {
			return 1 // the failures and the summary are printed already
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "parley:", parley.ErrorMessageOr(err))
		return 1
	}
	return 0
}

// serve runs the server, creating the first owner on a fresh install.
func (a *App) serve(ctx context.Context, stdout io.Writer) error {
	if err := a.Listen(); err != nil {
		return err
	}
	n, err := a.DB.CountAgents(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		ag, password, err := a.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: a.Config.OwnerEmail, Name: "Owner", Role: parley.RoleOwner}, "")
		switch {
		case parley.ErrorCode(err) == parley.ECONFLICT:
			// Several nodes started at once on a new database: another
			// one created the owner (and printed its password) first.
			slog.Info("first start: another node created the owner", "email", a.Config.OwnerEmail)
		case err != nil:
			return fmt.Errorf("create the first owner: %w", err)
		default:
			fmt.Fprintf(stdout, "First start: created owner %s with one-time password %s (change it at first sign-in; it is not shown again)\n",
				ag.Email, password)
		}
	}
	if a.Config.DebugAddr != "" {
		go func() {
			if err := serveDebug(ctx, a.Config.DebugAddr); err != nil {
				slog.Error("profiler", "err", err)
			}
		}()
	}
	slog.Info("parley started", "url", a.URL(), "database", a.Config.Redacted(), "version", version())
	fmt.Fprintf(stdout, "Parley is running at %s (database: %s)\n", a.URL(), a.Config.Redacted())
	return a.Run(ctx)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
