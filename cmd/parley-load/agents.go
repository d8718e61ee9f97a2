package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// agentRun opens n agent streams (/app/events, signed in as a new agent)
// and ingests messages through the API at rate for d: every stream must
// receive every message's message.created event once. Latency runs from
// the event's commit time (its created_at) to its arrival here.
func (l *loadClient) agentRun(ctx context.Context, n int, rate float64, d time.Duration, widgets int, w io.Writer) error {
	cookie, err := l.signInNewAgent(ctx)
	if err != nil {
		return fmt.Errorf("sign in an agent: %w", err)
	}
	var in struct {
		ID int64 `json:"id"`
	}
	if err := l.call(ctx, "POST", "/api/v1/inboxes", nil, map[string]any{"name": "Agent stream load"}, &in); err != nil {
		return err
	}
	astreams := make([]*agentStream, n)
	conns, err := openMany(ctx, n, func(i int) (*sseStream, error) {
		as := &agentStream{}
		astreams[i] = as
		return openSSE(ctx, l.base, "/app/events", http.Header{"Cookie": {cookie}}, as.on)
	})
	defer closeStreams(conns)
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	fmt.Fprintf(w, "agent streams: %d open beside %d widget streams; %.0f messages/s for %s (load average %s)\n", len(conns), widgets, rate, d, loadavg())
	ingest := l
	if l.ingest != nil {
		ingest = l.ingest
		fmt.Fprintf(w, "  messages go to %s, streams listen on %s\n", ingest.base, l.base)
	}
	run := make([]byte, 4)
	rand.Read(run)
	var mu sync.Mutex
	sent := map[int64]bool{}
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	interval := time.Duration(float64(time.Second) / rate)
	deadline := time.Now().Add(d)
	seq := 0
	for next := time.Now(); next.Before(deadline) && ctx.Err() == nil; next = next.Add(interval) {
		time.Sleep(time.Until(next))
		sem <- struct{}{}
		seq++
		body := map[string]any{"contact": map[string]string{"external_id": "agent-load-" + hex.EncodeToString(run)},
			"external_message_id": fmt.Sprintf("al-%x-%d", run, seq), "text": "Where is my order?"}
		wg.Go(func() {
			defer func() { <-sem }()
			var res struct {
				MessageID int64 `json:"message_id"`
			}
			if err := ingest.call(ctx, "POST", fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID), nil, body, &res); err != nil {
				failed.Add(1)
				return
			}
			mu.Lock()
			sent[res.MessageID] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	want := len(sent) * len(conns)
	count := func() (got int) {
		for _, s := range astreams[:len(conns)] {
			s.mu.Lock()
			got += len(s.ids)
			s.mu.Unlock()
		}
		return got
	}
	for wait := time.Now().Add(10 * time.Second); count() < want && time.Now().Before(wait); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	var delivered, dup, missingStreams int
	var lat []time.Duration
	for _, s := range astreams[:len(conns)] {
		s.mu.Lock()
		seen := make(map[int64]bool, len(sent))
		for i, id := range s.ids {
			if !sent[id] {
				continue // another message (none is expected)
			}
			if seen[id] {
				dup++
				continue
			}
			seen[id] = true
			delivered++
			lat = append(lat, s.lat[i])
		}
		if len(seen) < len(sent) {
			missingStreams++
		}
		s.mu.Unlock()
	}
	slices.Sort(lat)
	fmt.Fprintf(w, "  %d messages (%d failed) × %d streams: %d deliveries of %d (%.2f%%), %d duplicates, %d streams missing some (load average %s)\n",
		len(sent), failed.Load(), len(conns), delivered, want, 100*float64(delivered)/float64(max(want, 1)), dup, missingStreams, loadavg())
	fmt.Fprintf(w, "  commit → agent p50 %s  p90 %s  p99 %s  max %s\n", latency(lat, 0.5), latency(lat, 0.9), latency(lat, 0.99), latency(lat, 1))
	if delivered < want || dup > 0 {
		return fmt.Errorf("agent deliveries: %d of %d, %d duplicates", delivered, want, dup)
	}
	return nil
}

// agentStream records the message.created events one agent stream got.
type agentStream struct {
	mu  sync.Mutex
	ids []int64
	lat []time.Duration
}

func (as *agentStream) on(m sseMessage) {
	if m.Event != "message.created" {
		return
	}
	// Two fields found by hand, not a JSON decode: a thousand streams
	// receive every event, and this process shares the server's cores.
	id, err := strconv.ParseInt(jsonField(m.Data, `"message_id":`, ",}"), 10, 64)
	if err != nil {
		return
	}
	at, err := time.Parse(time.RFC3339Nano, jsonField(m.Data, `"created_at":"`, `"`))
	if err != nil {
		return
	}
	d := time.Since(at)
	as.mu.Lock()
	as.ids = append(as.ids, id)
	as.lat = append(as.lat, d)
	as.mu.Unlock()
}

// jsonField returns what follows key in data up to the first of ends.
func jsonField(data, key, ends string) string {
	i := strings.Index(data, key)
	if i < 0 {
		return ""
	}
	rest := data[i+len(key):]
	if j := strings.IndexAny(rest, ends); j >= 0 {
		return rest[:j]
	}
	return ""
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signInNewAgent creates an agent through the API, signs in on /login as
// a browser would, sets the password the first sign-in demands, and
// returns the session cookie ("parley_session=…").
func (l *loadClient) signInNewAgent(ctx context.Context) (string, error) {
	b := make([]byte, 4)
	rand.Read(b)
	email := "load-" + hex.EncodeToString(b) + "@parley.local"
	var a struct {
		Password string `json:"password"`
	}
	if err := l.call(ctx, "POST", "/api/v1/agents", nil, map[string]string{"email": email, "name": "Load agent"}, &a); err != nil {
		return "", err
	}
	noRedirect := &http.Client{Transport: l.http.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := func(path, cookie string, v url.Values) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", l.base+path, strings.NewReader(v.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", l.base)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := noRedirect.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := form("/login", "", url.Values{"email": {email}, "password": {a.Password}})
	if err != nil {
		return "", err
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "parley_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		return "", fmt.Errorf("POST /login: %s, no session cookie", resp.Status)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", l.base+"/app/password", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Cookie", cookie)
	page, err := noRedirect.Do(req)
	if err != nil {
		return "", err
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := csrfField.FindSubmatch(html)
	if m == nil {
		return "", fmt.Errorf("GET /app/password: %s, no CSRF token", page.Status)
	}
	pw := "load-" + hex.EncodeToString(b) + "-password"
	resp, err = form("/app/password", cookie, url.Values{"csrf_token": {string(m[1])}, "current_password": {a.Password}, "new_password": {pw}, "confirm_password": {pw}})
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("POST /app/password: %s", resp.Status)
	}
	return cookie, nil
}

// agentsCmd measures commit → agent screen alone, optionally across nodes:
// agent streams on --url, messages ingested through --ingest-url (another
// Parley on the same PostgreSQL database).
func agentsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load agents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "base URL of the Parley the agent streams connect to (loopback)")
	ingestURL := fs.String("ingest-url", "", "base URL of the Parley messages are sent to (default --url)")
	token := fs.String("token", os.Getenv("PARLEY_TOKEN"), "API token, full scope (env PARLEY_TOKEN)")
	agents := fs.Int("agents", 200, "agent streams (/app/events) that receive every event")
	rate := fs.Float64("rate", 100, "incoming messages per second")
	duration := fs.Duration("duration", 10*time.Second, "how long messages are sent")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *base == "" || *token == "" {
		return fmt.Errorf("give --url and --token of a running Parley")
	}
	if *agents < 1 || *agents > 10000 || *rate <= 0 || *rate > 10000 || *duration <= 0 {
		return fmt.Errorf("--agents must be in [1, 10000], --rate in (0, 10000], --duration positive")
	}
	l := &loadClient{base: strings.TrimRight(*base, "/"), token: *token, http: newClient(16)}
	for _, u := range []string{*base, *ingestURL} {
		if u == "" {
			continue
		}
		if err := checkLoopback(u); err != nil {
			return err
		}
	}
	if *ingestURL != "" {
		l.ingest = &loadClient{base: strings.TrimRight(*ingestURL, "/"), token: *token, http: newClient(16)}
	}
	return l.agentRun(ctx, *agents, *rate, *duration, 0, stdout)
}
