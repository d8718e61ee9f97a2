package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// sseCmd measures the live fan-out: the memory each open SSE stream costs
// the server, and the delay from an event's commit to its arrival on many
// streams. The server runs in a child process (this binary with
// --serve), on a temporary SQLite database, with the same live.Hub and
// Stream code that agent inboxes and widgets use, so its memory is
// measured alone and the clients' CPU is not counted against it.
func sseCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load sse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	idle := fs.Int("idle", 10000, "idle streams to open (like widgets waiting for a reply), for the memory figure")
	agents := fs.Int("agents", 1000, "streams that receive every event (like agent inboxes), for the latency figure")
	rate := fs.Float64("rate", 50, "events committed per second during the latency run")
	duration := fs.Duration("duration", 10*time.Second, "length of the latency run")
	serve := fs.String("serve", "", "internal: run the server side on this data dir")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *serve != "" {
		return sseServe(ctx, *serve, stdout)
	}

	dir, err := os.MkdirTemp("", "parley-sse-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.CommandContext(ctx, self, "sse", "--serve", dir)
	child.Stderr = stderr
	out, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return err
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("server did not start: %w", err)
	}
	base := strings.TrimSpace(line)
	fmt.Fprintf(stdout, "server %s (pid %d)\n", base, child.Process.Pid)

	before, err := serverMem(base)
	if err != nil {
		return err
	}
	// Idle streams, each filtered to a conversation of its own as a widget's is.
	idleConns, err := openStreams(ctx, base, *idle, func(i int) string { return fmt.Sprintf("/stream?conversation=%d", 1_000_000+i) }, nil)
	defer closeAll(idleConns)
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the server settle
	after, err := serverMem(base)
	if err != nil {
		return err
	}
	per := func(a, b int64) float64 { return float64(a-b) / float64(len(idleConns)) / 1024 }
	fmt.Fprintf(stdout, "idle streams: %d open\n", len(idleConns))
	fmt.Fprintf(stdout, "  server RSS %.1f MiB → %.1f MiB: %.1f KiB per stream\n", float64(before.RSS)/(1<<20), float64(after.RSS)/(1<<20), per(after.RSS, before.RSS))
	fmt.Fprintf(stdout, "  Go heap+stacks %.1f MiB → %.1f MiB: %.1f KiB per stream; goroutines %d\n",
		float64(before.Go)/(1<<20), float64(after.Go)/(1<<20), per(after.Go, before.Go), after.Goroutines)

	// Agent streams receive every event; measure commit → arrival.
	var mu sync.Mutex
	var lat []time.Duration
	var received atomic.Int64
	agentConns, err := openStreams(ctx, base, *agents, func(int) string { return "/stream" }, func(data string) {
		// The commit time stamped into the event; found by hand, to keep
		// this process's CPU off the server's two cores as far as possible.
		i := strings.Index(data, `"at":`)
		if i < 0 {
			return
		}
		rest := data[i+len(`"at":`):]
		end := strings.IndexAny(rest, ",}")
		at, err := strconv.ParseInt(rest[:max(end, 0)], 10, 64)
		if err != nil {
			return
		}
		d := time.Since(time.Unix(0, at))
		received.Add(1)
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	})
	defer closeAll(agentConns)
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	fmt.Fprintf(stdout, "agent streams: %d open, %.0f events/s for %s\n", len(agentConns), *rate, *duration)
	interval := time.Duration(float64(time.Second) / *rate)
	sent := 0
	deadline := time.Now().Add(*duration)
	for next := time.Now(); time.Now().Before(deadline); next = next.Add(interval) {
		time.Sleep(time.Until(next))
		resp, err := http.Post(base+"/emit", "text/plain", nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		sent++
	}
	want := int64(sent * len(agentConns))
	for wait := time.Now().Add(5 * time.Second); received.Load() < want && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
	}
	fmt.Fprintf(stdout, "  %d events × %d streams: %d deliveries of %d (%.2f%%)\n", sent, len(agentConns), received.Load(), want,
		100*float64(received.Load())/float64(max(want, 1)))
	fmt.Fprintf(stdout, "  commit → arrival p50 %s  p90 %s  p99 %s  max %s\n", q(0.5), q(0.9), q(0.99), q(1))
	return nil
}

type memStats struct {
	RSS, Go    int64
	Goroutines int
}

func serverMem(base string) (memStats, error) {
	runtime.GC()
	resp, err := http.Get(base + "/mem")
	if err != nil {
		return memStats{}, err
	}
	defer resp.Body.Close()
	var m memStats
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

// openStreams opens n SSE streams over plain TCP with small buffers, so
// the client side stays light; onData gets each data line.
func openStreams(ctx context.Context, base string, n int, path func(int) string, onData func(string)) ([]net.Conn, error) {
	host := strings.TrimPrefix(base, "http://")
	conns := make([]net.Conn, 0, n)
	for i := range n {
		if ctx.Err() != nil {
			return conns, ctx.Err()
		}
		c, err := net.Dial("tcp", host)
		if err != nil {
			return conns, fmt.Errorf("open stream %d: %w", i, err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path(i), host)
		go func() {
			r := bufio.NewReaderSize(c, 512)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if onData != nil && strings.HasPrefix(line, "data: ") {
					onData(strings.TrimSpace(line[6:]))
				}
			}
		}()
	}
	return conns, nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// sseServe is the child: a store, a hub, and three routes: /stream (SSE;
// ?conversation= filters as a widget's stream does), /emit (commit an
// event stamped with the time), /mem (the process's memory).
func sseServe(ctx context.Context, dir string, stdout io.Writer) error {
	db, err := store.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	hub := live.NewHub(db)
	go hub.Run(ctx)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		var filter func(*parley.Event) bool
		if v := r.URL.Query().Get("conversation"); v != "" {
			id, _ := strconv.ParseInt(v, 10, 64)
			filter = func(e *parley.Event) bool { return e.ConversationID != nil && *e.ConversationID == id }
		}
		hub.Stream(w, r, live.StreamOptions{Filter: filter})
	})
	mux.HandleFunc("POST /emit", func(w http.ResponseWriter, r *http.Request) {
		err := db.Write(r.Context(), func(tx *store.Tx) error {
			return tx.AppendEvent(&parley.Event{Type: "bench"}, map[string]int64{"at": time.Now().UnixNano()})
		})
		if err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /mem", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(memStats{RSS: rss(), Go: int64(ms.HeapInuse + ms.StackInuse), Goroutines: runtime.NumGoroutine()})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "http://%s\n", l.Addr())
	srv := &http.Server{Handler: mux}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// rss reads the process's resident memory from /proc (Linux).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
