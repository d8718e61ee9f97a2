// Command fanout measures what Parley's live hub (internal/live) costs per
// event per open stream, at 0, 1,000, 10,000 and 100,000 subscribers.
//
// It opens a SQLite store in a temporary directory, runs the real
// live.Hub on it, subscribes N subscribers, and commits events through
// the real writer (store.DB.Write) one transaction at a time. Each round
// waits until every subscriber that should get the round's events has
// taken them (sub.Wait, sub.Take, Frame.Wire: what a stream does before
// it writes to its socket), and records the wall time from the commit's
// start to the last delivery. The process's CPU time (getrusage) over the
// rounds, less the same at N = 0 (measured just before, in the same
// process), divided by N and by the events, is the cost per event per
// open stream. Each (kind, N) runs in a fresh process of its own.
//
// Two kinds of subscriber, with the filters Parley's handlers use:
//
//   - agent: an agent's /app/events stream, which takes every event but
//     config.changed: every event is queued to every stream, each stream's
//     goroutine is woken, takes its queue and encodes it (shared bytes).
//   - widget: a visitor's stream, which takes only its own contact's
//     message.created events: each event is tested by every stream's
//     filter and delivered to one.
//
// What it leaves out, on purpose: the socket write of each delivery (one
// write per wake; -socket times such writes, to many loopback TCP
// connections in turn, to add by hand), a widget's per-delivery render
// (a database read per delivered event, not per stream), and HTTP. One
// extra subscriber that takes every event is always present, to know when
// a round has arrived; it is in the N = 0 baseline too, so it cancels out.
//
// Usage (about half a minute with the defaults on a 2-core machine):
//
//	go run ./scripts/scaling/fanout
//	go run ./scripts/scaling/fanout -subs 0,1000,10000 -runs 5 -per-commit 10
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func main() {
	subsFlag := flag.String("subs", "0,1000,10000,100000", "subscriber counts to measure (0, the baseline, is measured beside each)")
	kindsFlag := flag.String("kinds", "agent,widget", "subscriber kinds: agent, widget")
	runs := flag.Int("runs", 3, "runs of every (kind, count); medians are reported")
	perCommit := flag.Int("per-commit", 1, "events per committed transaction (1: every event is a wake of its own)")
	budget := flag.Int("budget", 1_500_000, "work per measurement: rounds = budget / ((subscribers+1) × events per commit), within [min-rounds, max-rounds]")
	minRounds := flag.Int("min-rounds", 20, "fewest rounds per measurement")
	maxRounds := flag.Int("max-rounds", 300, "most rounds per measurement")
	socket := flag.Int("socket", 50_000, "small writes to loopback TCP sockets to time (0: skip)")
	sockets := flag.Int("sockets", 500, "connections the -socket writes go to in turn")
	one := flag.String("one", "", "internal: measure one KIND:N in this process and print a RESULT line")
	flag.Parse()
	if *perCommit < 1 || *runs < 1 {
		fail(fmt.Errorf("-per-commit and -runs must be at least 1"))
	}
	rounds := func(n int) int {
		r := *budget / ((n + 1) * *perCommit)
		return min(max(r, *minRounds), *maxRounds)
	}
	if *one != "" {
		kind, ns, _ := strings.Cut(*one, ":")
		n, err := strconv.Atoi(ns)
		if err != nil {
			fail(err)
		}
		if err := child(kind, n, *perCommit, rounds); err != nil {
			fail(err)
		}
		return
	}

	counts, err := parseCounts(*subsFlag)
	if err != nil {
		fail(err)
	}
	kinds := strings.Split(*kindsFlag, ",")
	for _, k := range kinds {
		if k != "agent" && k != "widget" {
			fail(fmt.Errorf("unknown kind %q", k))
		}
	}
	header()

	// Each measurement runs in a fresh process (this program again, with
	// -one), so what one leaves behind cannot tax the next: the Go runtime
	// keeps every goroutine record it ever made, and a process that once
	// held 100,000 goroutines walks them at every collection. Each is
	// paired with a baseline (no subscribers but the probe) taken in the
	// same process just before it.
	results := map[string][]result{} // "kind/n" → one per run
	base := map[string][]result{}    // the baseline paired with each
	for run := 1; run <= *runs; run++ {
		for _, kind := range kinds {
			for _, n := range counts[1:] {
				b0, r, err := spawn(kind, n, *perCommit, *budget, *minRounds, *maxRounds)
				if err != nil {
					fail(err)
				}
				for _, x := range []struct {
					k string
					n int
					r result
				}{{"baseline", 0, b0}, {kind, n, r}} {
					fmt.Printf("run %d  %-8s %7d subscribers  %4d rounds  cpu %8.1f µs/event  wall p50 %7.2f ms  p99 %7.2f ms  load %s\n",
						run, x.k, x.n, x.r.rounds, x.r.cpuPerEvent, x.r.p50, x.r.p99, loadavg())
				}
				results[key(kind, n)] = append(results[key(kind, n)], r)
				base[key(kind, n)] = append(base[key(kind, n)], b0)
			}
		}
	}

	fmt.Printf("\nMedians of %d runs, %d event(s) per commit. Per stream = (cpu/event at N − at 0, the baseline taken just before) / N.\n\n", *runs, *perCommit)
	fmt.Printf("| kind | subscribers | cpu per event (baseline) | per event per stream | commit → last delivery p50 / p99 | per-stream runs |\n")
	fmt.Printf("| --- | ---: | ---: | ---: | ---: | --- |\n")
	for _, kind := range kinds {
		for _, n := range counts[1:] {
			rs, bs := results[key(kind, n)], base[key(kind, n)]
			var per []string
			var perv []float64
			for i, r := range rs {
				v := (r.cpuPerEvent - bs[i].cpuPerEvent) * 1000 / float64(n) // ns
				perv = append(perv, v)
				per = append(per, fmt.Sprintf("%.0f", v))
			}
			fmt.Printf("| %s | %d | %.1f µs (%.1f µs) | **%.0f ns** | %.2f / %.2f ms | %s ns |\n", kind, n,
				median(pick(rs, func(r result) float64 { return r.cpuPerEvent })),
				median(pick(bs, func(r result) float64 { return r.cpuPerEvent })), median(perv),
				median(pick(rs, func(r result) float64 { return r.p50 })), median(pick(rs, func(r result) float64 { return r.p99 })),
				strings.Join(per, " / "))
		}
	}

	if *socket > 0 {
		fmt.Println()
		var inWrite, cpu []float64
		for run := 1; run <= *runs; run++ {
			w, c, err := socketWrites(*socket, *sockets)
			if err != nil {
				fail(err)
			}
			inWrite, cpu = append(inWrite, w), append(cpu, c)
			fmt.Printf("run %d  socket: %d writes of %d bytes to %d loopback TCP connections in turn: %.2f µs inside write, %.2f µs process CPU per write (readers included)  load %s\n",
				run, *socket, len(sampleFrame()), *sockets, w, c, loadavg())
		}
		fmt.Printf("socket write, medians: %.2f µs inside write, %.2f µs process CPU per write\n", median(inWrite), median(cpu))
	}
	fmt.Printf("\nfinished %s, load average %s\n", time.Now().UTC().Format(time.RFC3339), loadavg())
}

// spawn runs one measurement in a fresh process and reads its RESULT line.
func spawn(kind string, n, perCommit, budget, minRounds, maxRounds int) (b0, r result, err error) {
	exe, err := os.Executable()
	if err != nil {
		return b0, r, err
	}
	cmd := exec.Command(exe, "-one", kind+":"+strconv.Itoa(n), "-per-commit", strconv.Itoa(perCommit),
		"-budget", strconv.Itoa(budget), "-min-rounds", strconv.Itoa(minRounds), "-max-rounds", strconv.Itoa(maxRounds))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return b0, r, fmt.Errorf("%s:%d: %w", kind, n, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			_, err := fmt.Sscan(rest, &b0.rounds, &b0.cpuPerEvent, &b0.p50, &b0.p99, &r.rounds, &r.cpuPerEvent, &r.p50, &r.p99)
			return b0, r, err
		}
	}
	return b0, r, fmt.Errorf("%s:%d: no RESULT line in %q", kind, n, out)
}

// child opens a fresh SQLite store with a running hub, measures the
// baseline and then kind with n subscribers, and prints both.
func child(kind string, n, perCommit int, rounds func(int) int) error {
	if kind != "agent" && kind != "widget" {
		return fmt.Errorf("unknown kind %q", kind)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "parley-fanout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, dir+"/parley.db")
	if err != nil {
		return err
	}
	defer db.Close()
	hub := live.NewHub(db)
	go hub.Run(ctx)
	time.Sleep(100 * time.Millisecond) // the hub is running
	b := &bench{db: db, hub: hub, perCommit: perCommit}
	b0, err := b.measure(ctx, "baseline", 0, rounds(0))
	if err != nil {
		return err
	}
	r, err := b.measure(ctx, kind, n, rounds(n))
	if err != nil {
		return err
	}
	fmt.Printf("RESULT %d %f %f %f %d %f %f %f\n", b0.rounds, b0.cpuPerEvent, b0.p50, b0.p99, r.rounds, r.cpuPerEvent, r.p50, r.p99)
	return nil
}

type bench struct {
	db        *store.DB
	hub       *live.Hub
	perCommit int
	next      int64 // rounds committed so far, for event ids
}

type result struct {
	rounds      int
	cpuPerEvent float64 // µs of process CPU per committed event
	p50, p99    float64 // ms from the commit's start to the last delivery
}

// measure subscribes n subscribers of kind (plus the probe), runs rounds
// rounds after a few unmeasured ones, and unsubscribes them.
func (b *bench) measure(ctx context.Context, kind string, n, rounds int) (result, error) {
	var delivered, want atomic.Int64
	done := make(chan struct{}, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var subs []*live.Sub
	consume := func(s *live.Sub) {
		defer wg.Done()
		var buf []byte
		for {
			select {
			case <-stop:
				return
			case <-s.Wait():
			}
			frames, closed := s.Take()
			buf = buf[:0]
			for _, f := range frames {
				buf = append(buf, f.Wire()...)
			}
			if closed {
				return
			}
			if len(frames) > 0 && delivered.Add(int64(len(frames))) == want.Load() {
				select {
				case done <- struct{}{}:
				default:
				}
			}
		}
	}
	subscribe := func(filter func(*parley.Event) bool) {
		s, _ := b.hub.Subscribe(filter)
		subs = append(subs, s)
		wg.Add(1)
		go consume(s)
	}
	subscribe(nil) // the probe
	for i := range n {
		switch kind {
		case "agent":
			subscribe(func(e *parley.Event) bool { return e.Type != parley.EventConfigChanged })
		case "widget":
			contactID := int64(i + 1)
			subscribe(func(e *parley.Event) bool {
				return e.Type == parley.EventMessageCreated && e.ContactID != nil && *e.ContactID == contactID && e.MessageID != nil
			})
		}
	}
	defer func() {
		close(stop)
		for _, s := range subs {
			b.hub.Unsubscribe(s)
		}
		wg.Wait()
	}()
	// Deliveries per round: the probe takes every event; an agent stream
	// too; a widget stream only its contact's (one event in n).
	perRound := func() int64 {
		switch kind {
		case "agent":
			return int64(b.perCommit) * int64(1+n)
		case "widget":
			return int64(b.perCommit) * 2
		}
		return int64(b.perCommit)
	}
	round := func() (time.Duration, error) {
		r := b.next
		b.next++
		want.Add(perRound())
		start := time.Now()
		err := b.db.Write(ctx, func(tx *store.Tx) error {
			for j := range b.perCommit {
				seq := r*int64(b.perCommit) + int64(j)
				contact := int64(1)
				if n > 0 {
					contact = seq%int64(n) + 1
				}
				conv, msg := 1_000_000+contact, 10_000_000+seq
				if err := tx.AppendEvent(&parley.Event{Type: parley.EventMessageCreated, ConversationID: &conv,
					ContactID: &contact, MessageID: &msg}, map[string]any{"direction": parley.Incoming}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		for delivered.Load() != want.Load() {
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				return 0, fmt.Errorf("%s n=%d: %d of %d deliveries after 30 s", kind, n, delivered.Load(), want.Load())
			}
		}
		return time.Since(start), nil
	}
	// A widget round targets contact seq%n+1, so every subscriber must be
	// in place before the first round: they are (Subscribe is synchronous).
	for range 5 {
		if _, err := round(); err != nil {
			return result{}, err
		}
	}
	runtime.GC()
	cpu0 := cpuTime()
	walls := make([]float64, 0, rounds)
	for range rounds {
		d, err := round()
		if err != nil {
			return result{}, err
		}
		walls = append(walls, float64(d.Microseconds())/1000)
	}
	cpu := cpuTime() - cpu0
	slices.Sort(walls)
	return result{
		rounds:      rounds,
		cpuPerEvent: float64(cpu.Microseconds()) / float64(rounds*b.perCommit),
		p50:         quantile(walls, 0.50),
		p99:         quantile(walls, 0.99),
	}, nil
}

// socketWrites times n writes of one typical SSE frame to conns loopback
// TCP connections in turn (as a fan-out writes each stream's socket once
// per wake), whose other ends goroutines drain: µs spent inside Write per
// write, and the process's CPU per write with the readers' share in.
func socketWrites(n, conns int) (inWrite, cpu float64, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer ln.Close()
	var drained sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			drained.Add(1)
			go func() {
				defer drained.Done()
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	ws := make([]net.Conn, conns)
	for i := range ws {
		if ws[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			return 0, 0, err
		}
	}
	frame := sampleFrame()
	time.Sleep(50 * time.Millisecond) // every connection accepted
	cpu0 := cpuTime()
	var inside time.Duration
	for i := range n {
		t := time.Now()
		if _, err := ws[i%conns].Write(frame); err != nil {
			return 0, 0, err
		}
		inside += time.Since(t)
	}
	for _, w := range ws {
		w.Close()
	}
	drained.Wait()
	c := cpuTime() - cpu0
	return float64(inside.Nanoseconds()) / 1000 / float64(n), float64(c.Nanoseconds()) / 1000 / float64(n), nil
}

// sampleFrame is one message.created event as an agent's stream sends it.
func sampleFrame() []byte {
	conv, contact, msg := int64(1_004_217), int64(4_217), int64(10_123_456)
	f := &live.Frame{Event: parley.Event{Seq: 123_456_789, Type: parley.EventMessageCreated, ConversationID: &conv,
		ContactID: &contact, MessageID: &msg, Data: []byte(`{"direction":"incoming"}`), CreatedAt: time.Now().UTC()}}
	return f.Wire()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func header() {
	host, _ := os.Hostname()
	fmt.Printf("fanout: %s, %s, GOMAXPROCS %d, %d CPUs, host %s\n", time.Now().UTC().Format(time.RFC3339),
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), host)
	fmt.Printf("load average at start: %s\n\n", loadavg())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func parseCounts(s string) ([]int, error) {
	counts := []int{0}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("-subs: %q is not a count", f)
		}
		if n > 0 && !slices.Contains(counts, n) {
			counts = append(counts, n)
		}
	}
	return counts, nil
}

func key(kind string, n int) string { return kind + "/" + strconv.Itoa(n) }

func pick(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// quantile of sorted values, nearest rank.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "fanout:", err)
	os.Exit(1)
}
