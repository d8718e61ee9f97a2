package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/specialist"
)

const agentServeUsage = `Usage: parley agent serve payment|logistics [options]

Serves one of Parley's specialist agents over A2A (v1.0, JSON-RPC), so a
workflow's "ask an agent" step has someone to ask:

  payment    checks an order's payment at the shop (GET /payments/{order}
             and /orders/{id}): captured or not, the amount, and what can
             still be refunded. It never moves money.
  logistics  tracks an order's parcel (GET /tracking/{order} and
             /orders/{id}): status, carrier, last scan, expected delivery,
             and whether it was delivered or returned.

The shop is ` + "`parley simulate shop`" + ` (http://127.0.0.1:8090) unless --shop
names another service answering the same JSON. A message names the order
as a data part {"order_id": "A1001"} or in its text (A1001). The card is
at http://ADDR/.well-known/agent-card.json and the JSON-RPC endpoint at
http://ADDR/. A retried message (the same messageId) is answered with its
first task; tasks live in memory, until the agent stops.

With --token (better: PARLEY_AGENT_TOKEN, which ps does not show) every
JSON-RPC call needs Authorization: Bearer TOKEN, and the card says so. The
agent tells whoever asks about any order, so it listens on loopback only,
unless --public is given, which also needs a token; put a TLS proxy in
front and give its address as --url. It serves until interrupted, or for
--wait.

`

// agentServe runs `parley agent serve payment|logistics`. It needs no
// database: the agents only read the shop.
func agentServe(ctx context.Context, cfg config.Config, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	usage := func(w io.Writer, fs *flag.FlagSet) {
		fmt.Fprint(w, agentServeUsage)
		if fs != nil {
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "help" {
			usage(stdout, agentServeFlags(specialist.Payment, io.Discard).fs)
			return 0
		}
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "parley agent serve: which agent? payment or logistics")
		usage(stderr, nil)
		return 2
	}
	kind := specialist.Kind(args[0])
	if kind != specialist.Payment && kind != specialist.Logistics {
		fmt.Fprintf(stderr, "parley agent serve: %q is not an agent: use payment or logistics\n", args[0])
		return 2
	}
	f := agentServeFlags(kind, stderr)
	f.fs.Usage = func() { usage(stderr, f.fs) }
	if err := f.fs.Parse(args[1:]); err != nil {
		return 2
	}
	if f.token == "" {
		f.token = getenv("PARLEY_AGENT_TOKEN")
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley agent serve: unexpected argument %q\n", f.fs.Arg(0))
		return 2
	}
	fail := func(msg string) int {
		fmt.Fprintln(stderr, "parley agent serve:", msg)
		return 2
	}
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return fail(fmt.Sprintf("--addr %q is not a host and port, such as %s", f.addr, kind.DefaultAddr()))
	}
	switch {
	case !isLoopback(host) && !f.public:
		return fail("--addr must be a loopback address (the agent answers anyone about any order); give --public to listen on " + f.addr)
	case f.public && f.token == "":
		return fail("--public needs a token (--token or PARLEY_AGENT_TOKEN): the agent would tell anyone about any order")
	case f.url == "" && (host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()):
		return fail("--addr " + f.addr + " listens on every address: give --url, the address callers reach the agent at, for its card")
	}
	if f.url != "" {
		if u, err := url.Parse(f.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail(fmt.Sprintf("--url %q is not an absolute http(s) URL", f.url))
		}
	}
	if _, err := specialist.ParseShopURL(f.shop); err != nil {
		return fail("--shop: " + err.Error())
	}
	guard, err := outbound.New(outbound.Options{Allow: cfg.OutboundAllow})
	if err != nil {
		return fail(err.Error())
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		fmt.Fprintln(stderr, "parley agent serve:", err)
		return 1
	}
	self := f.url
	if self == "" {
		self = "http://" + ln.Addr().String() + "/"
	}
	h, err := specialist.New(kind, specialist.Config{Shop: f.shop, URL: self, Token: f.token, Guard: guard})
	if err != nil {
		ln.Close()
		return fail(err.Error())
	}
	auth := "no token: anyone who reaches it may ask"
	if f.token != "" {
		auth = "calls need its bearer token"
	}
	card := strings.TrimSuffix(self, "/") + specialist.CardPath
	fmt.Fprintf(stdout, "the %s agent is at %s (card: %s), asking the shop at %s; %s\n", kind, self, card, f.shop, auth)
	if f.wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.wait)
		defer cancel()
	}
	if err := specialist.Serve(ctx, ln, h); err != nil {
		fmt.Fprintln(stderr, "parley agent serve:", err)
		return 1
	}
	fmt.Fprintf(stdout, "the %s agent stopped\n", kind)
	return 0
}

type agentServeOptions struct {
	fs                     *flag.FlagSet
	addr, shop, token, url string
	public                 bool
	wait                   time.Duration
}

// agentServeFlags declares the command's own flags. The server's options
// (database and the like) are not among them: the agent uses none, but
// PARLEY_OUTBOUND_ALLOW still applies to where it may call.
func agentServeFlags(kind specialist.Kind, out io.Writer) *agentServeOptions {
	o := &agentServeOptions{fs: flag.NewFlagSet("parley agent serve "+string(kind), flag.ContinueOnError)}
	o.fs.SetOutput(out)
	o.fs.StringVar(&o.addr, "addr", kind.DefaultAddr(), "the address to listen on (logistics: 127.0.0.1:8092 by default)")
	o.fs.StringVar(&o.shop, "shop", specialist.DefaultShop, "the base URL of the shop's APIs (GET /payments/{order}, /orders/{id}, /tracking/{order})")
	// The variable is read after parsing, not as the flag's default,
	// which --help would print.
	o.fs.StringVar(&o.token, "token", "", "the bearer token calls must carry; empty: none (env PARLEY_AGENT_TOKEN)")
	o.fs.StringVar(&o.url, "url", "", "the URL callers reach the agent at, for its card (default: http://ADDR/)")
	o.fs.BoolVar(&o.public, "public", false, "allow a non-loopback --addr (needs a token)")
	o.fs.DurationVar(&o.wait, "wait", 0, "stop after this long (0: until interrupted)")
	return o
}
