// Command parley-load measures Parley under load: message ingest through
// POST /api/v1/inboxes/{id}/incoming, the conversation list through
// GET /api/v1/conversations, and bulk seeding of a database to list from.
//
// It targets a running Parley on a loopback address (--url, --token), or
// with --self starts one in this process on 127.0.0.1:0, on a temporary
// SQLite database or the PostgreSQL database given by --database-url, and
// creates its own inbox and API token. See docs/PERFORMANCE.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `parley-load: load tests for Parley.

Usage:
  parley-load ingest [target] [load options] [--new-contacts 0.2]
      POST incoming messages: each request a new message with a unique
      external_message_id, a share of them from new contacts.
  parley-load list [target] [load options] [--status open] [--conversations N]
      GET /api/v1/conversations (newest 25, optionally by status).
  parley-load seed (--data-dir DIR | --database-url URL) --conversations N
      bulk-insert contacts, conversations and one message each.
  parley-load whatsapp --self [load options] [--streams 20]
      signed WhatsApp Cloud API webhooks through /hooks/whatsapp/{id}:
      signature, parse, idempotency, commit and live fan-out to agent streams.
  parley-load report (--data-dir DIR | --database-url URL) [--conversations 1000000] [--days 90]
      seed the report facts of N synthetic conversations once, then time
      reports (GET /api/v1/reports) over them: periods, time zones, filters.
  parley-load agents --url URL [--ingest-url URL2] --token T [--agents 200] [--rate 100] [--duration 10s]
      commit → agent screen: agent streams on URL receive every message
      ingested through URL2 (another node on the same PostgreSQL: across
      nodes) or URL.
  parley-load search (--data-dir DIR | --database-url URL) [--messages 2000000] [--runs 200]
      seed N messages once (assigned to agents, skewed), then time message
      search (GET /api/v1/search's store call): common, rare and absent
      words, prefixes, and filters down to one agent or one contact.
  parley-load widget --url URL --token T [--debug http://127.0.0.1:6060] [--streams 10000] [--agents 1000] [--rate 50] [--duration 10s]
      live streams on a running Parley: server memory per open widget
      stream (real visitors, the real handler), one reply to each visitor
      received once, and commit → arrival on agent streams. The first run
      creates the visitors (the server must trust 127.0.0.1 as a proxy).

Target: --url http://127.0.0.1:8080 --token T [--inbox ID]   a running Parley
        --self [--data-dir DIR | --database-url postgres://…]  start one here
Load:   --clients C  --duration D  [--rate R/s]  [--requests N]  [--warmup D]
        No --rate is a closed loop (C clients, each sending when answered);
        --rate is an open loop: requests are scheduled at R per second and
        latency counts from the scheduled time, so queueing is not hidden.

Run "parley-load COMMAND -h" for every option.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "ingest":
		err = ingestCmd(ctx, args[1:], stdout, stderr)
	case "list":
		err = listCmd(ctx, args[1:], stdout, stderr)
	case "seed":
		err = seedCmd(ctx, args[1:], stdout, stderr)
	case "report":
		err = reportCmd(ctx, args[1:], stdout, stderr)
	case "agents":
		err = agentsCmd(ctx, args[1:], stdout, stderr)
	case "search":
		err = searchCmd(ctx, args[1:], stdout, stderr)
	case "widget":
		err = widgetCmd(ctx, args[1:], stdout, stderr)
	case "whatsapp":
		err = whatsappCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "parley-load: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err == errUsage {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "parley-load:", err)
		return 1
	}
	return 0
}
