package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/connect/shop"
	"github.com/parleyhq/parley/internal/parley"
)

const shopUsage = `Usage: parley simulate shop [options]

Serves a simulated shop on a loopback address, for trying workflows with
no accounts: inventory, orders, return labels and tracking, payments and
refunds, and warehouse notices, as plain HTTP JSON APIs (see
internal/connect/shop for each endpoint). Every POST is a side effect; a
POST that repeats an Idempotency-Key the shop has seen is answered as
the first time and does nothing again. GET /_counts shows how many side
effects really happened. Orders A1001 (a blender, in stock), A1002 (an
espresso machine, out of stock) and A1003 (a kettle, in transit) exist.

The shop's address is added to Settings → Outbound, so the server's
workflows may call it; give this command the server's --data-dir (or
--database-url). It serves until interrupted, or for --wait.

`

// simulateShop runs `parley simulate shop`.
func simulateShop(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	fs := cfg.FlagSet("parley simulate shop", stderr)
	addr := fs.String("shop", "127.0.0.1:8090", "the loopback address to serve the shop on")
	wait := fs.Duration("wait", 0, "stop after this long (0: until interrupted)")
	fs.Usage = func() {
		fmt.Fprint(stderr, shopUsage)
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "help" {
			fmt.Fprint(stdout, shopUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !isLoopback(host) {
		fmt.Fprintln(stderr, "parley simulate shop: --shop must be a loopback address with a port, such as 127.0.0.1:8090")
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "parley simulate shop:", err)
		return 2
	}
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(cfg.DSN()); err != nil {
			fmt.Fprintf(stderr, "parley simulate shop: no Parley database at %s: give it the server's --data-dir (or --database-url)\n", cfg.DSN())
			return 1
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "parley simulate shop:", err)
		return 1
	}
	a, err := New(ctx, cfg)
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "parley:", err)
		return 1
	}
	if err := a.allowStandIn(ctx, host, stdout); err != nil {
		a.Close()
		ln.Close()
		fmt.Fprintln(stderr, "parley simulate shop:", parley.ErrorMessageOr(err))
		return 1
	}
	a.Close()
	s := shop.New()
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "the simulated shop is at http://%s (orders A1001, A1002, A1003; GET /_counts for its side effects)\n", ln.Addr())
	if *wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *wait)
		defer cancel()
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "parley simulate shop:", err)
		return 1
	}
	c := s.Counts()
	fmt.Fprintf(stdout, "the shop made %d labels, %d warehouse notices and %d refunds, and answered %d repeated requests from memory\n",
		c.Labels, c.Notices, c.Refunds, c.Replays)
	return 0
}
