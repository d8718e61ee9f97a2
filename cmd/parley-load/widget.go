package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// widgetCmd measures widget streams on a running Parley, through its real
// handler (GET /widget/{inbox}/stream with a visitor token the server
// issued) and the agents' stream (/app/events), from this separate
// process:
//
//  1. the first run creates an inbox and --streams visitors (a session and
//     a first message each, from addresses of their own, so the server must
//     trust this host as a proxy) and saves them to --visitors, then stops:
//     restart Parley so the next run starts from a fresh process;
//  2. a run measures the server's memory (RSS, and Go heap + stacks after
//     a collection through its profiler), opens one stream per visitor and
//     measures again;
//  3. an agent replies to every visitor's conversation through the API and
//     each stream must receive its own reply, once;
//  4. --agents agent streams open beside them and messages are ingested at
//     --rate for --duration: every agent stream must receive every one;
//     latency is from the message's commit time to its arrival.
func widgetCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load widget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "base URL of a running Parley on a loopback address")
	token := fs.String("token", os.Getenv("PARLEY_TOKEN"), "API token, full scope (env PARLEY_TOKEN)")
	debug := fs.String("debug", "", "the server's profiler, http://127.0.0.1:6060 (parley serve --debug-addr): collects garbage before each memory reading")
	metricsToken := fs.String("metrics-token", os.Getenv("PARLEY_METRICS_TOKEN"), "bearer token for GET /metrics, if the server has one")
	file := fs.String("visitors", "parley-load-visitors.json", "file of the visitors to stream as: made by the first run, reused after")
	streams := fs.Int("streams", 10000, "visitors to create (first run)")
	agents := fs.Int("agents", 1000, "agent streams (/app/events) that receive every event")
	rate := fs.Float64("rate", 50, "incoming messages per second while the agent streams listen")
	duration := fs.Duration("duration", 10*time.Second, "how long messages are sent to the agent streams")
	profiles := fs.String("profiles", "", "directory to save the server's heap and goroutine profiles in, with the streams open (needs --debug)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *base == "" || *token == "" {
		return fmt.Errorf("give --url and --token of a running Parley")
	}
	if err := checkLoopback(*base); err != nil {
		return err
	}
	if *debug != "" {
		if err := checkLoopback(*debug); err != nil {
			return err
		}
	}
	if *streams < 1 || *streams > 60000 || *agents < 0 || *agents > 10000 || *rate <= 0 || *rate > 10000 || *duration <= 0 {
		return fmt.Errorf("--streams must be in [1, 60000], --agents in [0, 10000], --rate in (0, 10000], --duration positive")
	}
	l := &loadClient{base: strings.TrimRight(*base, "/"), token: *token, http: newClient(16)}
	vs, err := loadVisitors(*file)
	if errors.Is(err, os.ErrNotExist) {
		if vs, err = l.createVisitors(ctx, *streams, stdout); err != nil {
			return err
		}
		if err := vs.save(*file); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "saved %d visitors of inbox %d to %s.\nRestart Parley (a fresh process, for a clean memory baseline) and run the same command again to measure.\n",
			len(vs.Tokens), vs.Inbox, *file)
		return nil
	}
	if err != nil {
		return err
	}
	probe := &memProbe{client: l.http, base: l.base, debug: strings.TrimRight(*debug, "/"), metricsToken: *metricsToken}
	return l.measure(ctx, vs, probe, *agents, *rate, *duration, *profiles, stdout)
}

// loadClient calls a Parley's API as one admin.
type loadClient struct {
	base, token string
	http        *http.Client
	// ingest, when set, is another node of the same cluster that incoming
	// messages are sent to, so deliveries cross nodes.
	ingest *loadClient
}

// call sends a JSON request; out (if not nil) receives the JSON answer.
func (l *loadClient) call(ctx context.Context, method, path string, header http.Header, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// visitors are the widget visitors of one inbox: their tokens, issued by
// the server.
type visitors struct {
	Inbox  int64    `json:"inbox"`
	Tokens []string `json:"tokens"`
}

func loadVisitors(path string) (visitors, error) {
	var v visitors
	b, err := os.ReadFile(path)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Inbox == 0 || len(v.Tokens) == 0 {
		return v, fmt.Errorf("%s: not a visitors file (%v)", path, err)
	}
	return v, nil
}

func (v visitors) save(path string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// createVisitors makes a widget inbox and n visitors with a conversation
// each, as the widget does: POST /session, then POST /messages with the
// token. Each visitor writes from an address of its own (X-Forwarded-For),
// since the widget limits writes per address; the server must trust this
// host as a proxy (parley serve --trusted-proxies 127.0.0.1).
func (l *loadClient) createVisitors(ctx context.Context, n int, w io.Writer) (visitors, error) {
	var in struct {
		ID int64 `json:"id"`
	}
	if err := l.call(ctx, "POST", "/api/v1/inboxes", nil, map[string]any{"name": "Widget load", "channel_type": "widget",
		// The reply notices (one job per reply, due after the away time)
		// would otherwise run in the middle of a later run's measurement.
		"away_minutes": 7 * 24 * 60}, &in); err != nil {
		return visitors{}, err
	}
	vs := visitors{Inbox: in.ID, Tokens: make([]string, n)}
	run := make([]byte, 4)
	rand.Read(run)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				h := http.Header{"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}}
				var s struct {
					Token string `json:"visitor_token"`
				}
				err := l.call(ctx, "POST", fmt.Sprintf("/widget/%d/session", in.ID), h, nil, &s)
				if err == nil {
					h.Set("Authorization", "Visitor "+s.Token)
					err = l.call(ctx, "POST", fmt.Sprintf("/widget/%d/messages", in.ID), h,
						map[string]string{"id": fmt.Sprintf("load-%x-%d", run, i), "text": "Hello, is anyone there?"}, nil)
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("visitor %d: %w (does the server trust 127.0.0.1 as a proxy?)", i, err) })
					return
				}
				vs.Tokens[i] = s.Token
				if i > 0 && i%2000 == 0 {
					fmt.Fprintf(w, "created %d visitors (%.0f/s)\n", i, float64(i)/time.Since(start).Seconds())
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return vs, firstErr
}

// measure is one run over saved visitors: memory, widget deliveries,
// agent deliveries.
func (l *loadClient) measure(ctx context.Context, vs visitors, probe *memProbe, agents int, rate float64, duration time.Duration, profiles string, w io.Writer) error {
	fmt.Fprintf(w, "target %s, widget inbox %d, %d visitors; load average %s\n", l.base, vs.Inbox, len(vs.Tokens), loadavg())
	before, err := probe.sample(ctx)
	if err != nil {
		return err
	}
	// Widget streams, each its visitor's own.
	wstreams := make([]*widgetStream, len(vs.Tokens))
	conns, err := openMany(ctx, len(vs.Tokens), func(i int) (*sseStream, error) {
		ws := &widgetStream{}
		wstreams[i] = ws
		return openSSE(ctx, l.base, fmt.Sprintf("/widget/%d/stream", vs.Inbox), http.Header{"Authorization": {"Visitor " + vs.Tokens[i]}}, ws.on)
	})
	defer closeStreams(conns)
	if err != nil {
		return err
	}
	time.Sleep(3 * time.Second) // let every handler reach its wait
	after, err := probe.sample(ctx)
	if err != nil {
		return err
	}
	n := float64(len(conns))
	per := func(a, b int64) float64 { return float64(a-b) / n / 1024 }
	fmt.Fprintf(w, "widget streams: %d open (load average %s)\n", len(conns), loadavg())
	fmt.Fprintf(w, "  server RSS %.1f → %.1f MiB: %.1f KiB per stream\n", mib(before.RSS), mib(after.RSS), per(after.RSS, before.RSS))
	fmt.Fprintf(w, "  Go heap+stacks %.1f → %.1f MiB: %.1f KiB per stream (heap %.1f, stacks %.1f); goroutines %d → %d: %.2f per stream",
		mib(before.HeapInuse+before.StackInuse), mib(after.HeapInuse+after.StackInuse),
		per(after.HeapInuse+after.StackInuse, before.HeapInuse+before.StackInuse),
		per(after.HeapInuse, before.HeapInuse), per(after.StackInuse, before.StackInuse),
		before.Goroutines, after.Goroutines, float64(after.Goroutines-before.Goroutines)/n)
	if !after.Collected {
		fmt.Fprint(w, " (heap not collected first: give --debug)")
	}
	fmt.Fprintln(w)
	if profiles != "" && probe.debug != "" {
		for _, p := range []string{"heap", "goroutine"} {
			f, err := os.Create(filepath.Join(profiles, p+".pb.gz"))
			if err != nil {
				return err
			}
			err = probe.saveProfile(ctx, p, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "  profiles saved in %s (go tool pprof -sample_index=inuse_space heap.pb.gz)\n", profiles)
	}

	if err := l.replyToAll(ctx, vs, wstreams, w); err != nil {
		return err
	}
	if agents > 0 {
		return l.agentRun(ctx, agents, rate, duration, len(conns), w)
	}
	return nil
}

// widgetStream records what one visitor's stream received: the team's
// replies, and how long each took from its commit.
type widgetStream struct {
	mu      sync.Mutex
	replies []int64 // message ids
	lat     []time.Duration
}

func (ws *widgetStream) on(m sseMessage) {
	if m.Event != "message" {
		return
	}
	var msg struct {
		ID        int64     `json:"id"`
		Direction string    `json:"direction"`
		CreatedAt time.Time `json:"created_at"`
	}
	if json.Unmarshal([]byte(m.Data), &msg) != nil || msg.Direction != "outgoing" {
		return
	}
	d := time.Since(msg.CreatedAt)
	ws.mu.Lock()
	ws.replies = append(ws.replies, msg.ID)
	ws.lat = append(ws.lat, d)
	ws.mu.Unlock()
}

// replyToAll has an agent reply once in every conversation of the inbox
// (through the API) and checks that each visitor's stream received its
// own reply exactly once.
func (l *loadClient) replyToAll(ctx context.Context, vs visitors, streams []*widgetStream, w io.Writer) error {
	var convs []int64
	for cursor := ""; ; {
		var page struct {
			Conversations []struct {
				ID int64 `json:"id"`
			} `json:"conversations"`
			Next string `json:"next_cursor"`
		}
		path := fmt.Sprintf("/api/v1/conversations?inbox_id=%d&limit=100", vs.Inbox)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := l.call(ctx, "GET", path, nil, nil, &page); err != nil {
			return err
		}
		for _, c := range page.Conversations {
			convs = append(convs, c.ID)
		}
		if page.Next == "" || len(page.Conversations) == 0 {
			break
		}
		cursor = page.Next
	}
	sent := make(map[int64]bool, len(convs))
	var mu sync.Mutex
	var next atomic.Int64
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(convs) || ctx.Err() != nil {
					return
				}
				var m struct {
					ID int64 `json:"id"`
				}
				err := l.call(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convs[i]), nil, map[string]string{"text": "Thanks for waiting: here is your answer."}, &m)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				sent[m.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	elapsed := time.Since(start)
	count := func() (got int) {
		for _, s := range streams {
			s.mu.Lock()
			got += len(s.replies)
			s.mu.Unlock()
		}
		return got
	}
	for deadline := time.Now().Add(10 * time.Second); count() < len(sent) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // anything extra (a duplicate) arrives too
	var once, none, more, foreign int
	var lat []time.Duration
	for _, s := range streams {
		s.mu.Lock()
		switch len(s.replies) {
		case 0:
			none++
		case 1:
			once++
		default:
			more++
		}
		for _, id := range s.replies {
			if !sent[id] {
				foreign++
			}
		}
		lat = append(lat, s.lat...)
		s.mu.Unlock()
	}
	slices.Sort(lat)
	fmt.Fprintf(w, "widget deliveries: %d replies in %.1fs (%.0f/s), one per conversation\n", len(sent), elapsed.Seconds(), float64(len(sent))/elapsed.Seconds())
	fmt.Fprintf(w, "  streams with their reply once %d, none %d, more than once %d; replies not sent by this run %d (load average %s)\n",
		once, none, more, foreign, loadavg())
	fmt.Fprintf(w, "  commit → visitor p50 %s  p90 %s  p99 %s  max %s\n", latency(lat, 0.5), latency(lat, 0.9), latency(lat, 0.99), latency(lat, 1))
	if none > 0 || more > 0 || foreign > 0 {
		return fmt.Errorf("widget deliveries were not one reply per stream")
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// loadavg is /proc/loadavg's first three fields.
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

// openMany opens n streams, a few at a time.
func openMany(ctx context.Context, n int, open func(i int) (*sseStream, error)) ([]*sseStream, error) {
	out := make([]*sseStream, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				s, err := open(i)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("stream %d: %w", i, err) })
					return
				}
				out[i] = s
			}
		})
	}
	wg.Wait()
	opened := out[:0]
	for _, s := range out {
		if s != nil {
			opened = append(opened, s)
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return opened, firstErr
}

// latency is the p-quantile of sorted durations.
func latency(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Round(10 * time.Microsecond).String()
}
