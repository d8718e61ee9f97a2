package telemetry_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clientip"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/telemetry"
)

// scrape fetches the metrics as Prometheus does, from loopback.
func scrape(t *testing.T, reg *telemetry.Registry) string {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	w := httptest.NewRecorder()
	reg.Handler("", nil).ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("scrape = %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// value returns the sample of one series, written as in the exposition
// format: name{label="value",...} with the labels in alphabetical order.
func value(text, series string) (float64, bool) {
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func want(t *testing.T, text, series string, v float64) {
	t.Helper()
	got, ok := value(text, series)
	if !ok {
		t.Errorf("no series %s", series)
	} else if got != v {
		t.Errorf("%s = %v, want %v", series, got, v)
	}
}

func TestMiddlewareLabelsByPattern(t *testing.T) {
	reg := telemetry.New(telemetry.Sources{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("GET /quiet", func(w http.ResponseWriter, r *http.Request) {}) // writes nothing: a 200
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(30 * time.Millisecond) })
	srv := httptest.NewServer(reg.Middleware(mux))
	defer srv.Close()

	for _, rq := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/items/1", 200}, {"GET", "/items/2", 200}, {"GET", "/items/3", 200},
		{"POST", "/items", 201}, {"GET", "/quiet", 200}, {"GET", "/slow", 200},
		{"GET", "/random/path/1", 404}, {"GET", "/random/path/2", 404},
		{"DELETE", "/items/1", 405}, {"BREW", "/items/1", 405},
	} {
		req, _ := http.NewRequest(rq.method, srv.URL+rq.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != rq.code {
			t.Fatalf("%s %s = %d, want %d", rq.method, rq.path, resp.StatusCode, rq.code)
		}
	}
	text := scrape(t, reg)
	want(t, text, `parley_http_requests_total{code="200",method="GET",route="/items/{id}"}`, 3)
	want(t, text, `parley_http_request_duration_seconds_count{method="GET",route="/items/{id}"}`, 3)
	want(t, text, `parley_http_requests_total{code="201",method="POST",route="/items"}`, 1)
	want(t, text, `parley_http_requests_total{code="200",method="GET",route="/quiet"}`, 1)
	want(t, text, `parley_http_requests_total{code="404",method="GET",route="other"}`, 2)
	want(t, text, `parley_http_requests_total{code="405",method="DELETE",route="other"}`, 1)
	want(t, text, `parley_http_requests_total{code="405",method="other",route="other"}`, 1)
	// The slow request lands above 25 ms, not in the fast buckets.
	want(t, text, `parley_http_request_duration_seconds_bucket{method="GET",route="/slow",le="0.025"}`, 0)
	want(t, text, `parley_http_request_duration_seconds_bucket{method="GET",route="/slow",le="10"}`, 1)
	if sum, _ := value(text, `parley_http_request_duration_seconds_sum{method="GET",route="/slow"}`); sum < 0.03 || sum > 5 {
		t.Errorf("/slow took %vs by the histogram, want about 0.03", sum)
	}
	for _, raw := range []string{"/items/1", "/random", "BREW"} {
		if strings.Contains(text, `"`+raw) {
			t.Errorf("a raw path or method %q became a label", raw)
		}
	}
	// The standard collectors are there.
	for _, name := range []string{"go_goroutines ", "process_cpu_seconds_total "} {
		if !strings.Contains(text, "\n"+name) {
			t.Errorf("no %s", name)
		}
	}
}

// TestStreamsLeftOutOfLatency: an event stream counts as opened when it
// starts, flushes reach the client through the middleware, and its
// duration stays out of the latency histogram.
func TestStreamsLeftOutOfLatency(t *testing.T) {
	var open atomic.Int64
	reg := telemetry.New(telemetry.Sources{LiveStreams: func() int { return int(open.Load()) }})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events/{id}", func(w http.ResponseWriter, r *http.Request) {
		open.Add(1)
		defer open.Add(-1)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		io.WriteString(w, "data: hello\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the middleware: %v", err)
		}
		<-release
	})
	srv := httptest.NewServer(reg.Middleware(mux))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/events/7")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: hello\n" {
		t.Fatalf("first line %q, %v: the flush did not reach the client", line, err)
	}
	text := scrape(t, reg)
	want(t, text, `parley_live_streams_opened_total{route="/events/{id}"}`, 1)
	want(t, text, `parley_live_connections`, 1)
	close(release)
	io.Copy(io.Discard, resp.Body)
	var done bool
	for deadline := time.Now().Add(5 * time.Second); !done && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		_, done = value(scrape(t, reg), `parley_http_requests_total{code="200",method="GET",route="/events/{id}"}`)
	}
	text = scrape(t, reg)
	want(t, text, `parley_http_requests_total{code="200",method="GET",route="/events/{id}"}`, 1)
	want(t, text, `parley_live_connections`, 0)
	if strings.Contains(text, `parley_http_request_duration_seconds_count{method="GET",route="/events/{id}"}`) {
		t.Error("the stream is in the latency histogram")
	}
}

func TestMessagesAndJobs(t *testing.T) {
	counts := []store.JobCount{{Kind: "channel.send", Status: "pending", Count: 4}, {Kind: "channel.send", Status: "failed", Count: 1}}
	var countErr error
	reg := telemetry.New(telemetry.Sources{JobCounts: func(ctx context.Context) ([]store.JobCount, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the job count has no timeout")
		}
		return counts, countErr
	}})
	reg.MessageReceived(parley.ChannelWhatsApp, false)
	reg.MessageReceived(parley.ChannelWhatsApp, false)
	reg.MessageReceived(parley.ChannelWhatsApp, true)
	reg.MessageReceived("carrier-pigeon", false) // not a known channel: still counted
	reg.JobFinished("channel.send", errors.New("503"), true)
	reg.JobFinished("channel.send", errors.New("503"), false)
	reg.JobFinished("channel.send", nil, false)
	reg.JobFinished("sla.check", nil, false)

	text := scrape(t, reg)
	want(t, text, `parley_messages_received_total{channel="whatsapp"}`, 2)
	want(t, text, `parley_messages_received_total{channel="email"}`, 0)
	want(t, text, `parley_messages_received_total{channel="carrier-pigeon"}`, 1)
	want(t, text, `parley_messages_duplicate_total{channel="whatsapp"}`, 1)
	want(t, text, `parley_job_failures_total{kind="channel.send"}`, 2)
	if strings.Contains(text, `parley_job_failures_total{kind="sla.check"}`) {
		t.Error("a job that succeeded counted as a failure")
	}
	want(t, text, `parley_jobs{kind="channel.send",status="pending"}`, 4)
	want(t, text, `parley_jobs{kind="channel.send",status="running"}`, 0)
	want(t, text, `parley_jobs{kind="channel.send",status="failed"}`, 1)

	counts = nil // the queue drained: 0, not a vanished series
	want(t, scrape(t, reg), `parley_jobs{kind="channel.send",status="pending"}`, 0)

	countErr = errors.New("database is down")
	text = scrape(t, reg) // still 200, with everything else
	want(t, text, `parley_messages_received_total{channel="whatsapp"}`, 2)
	if strings.Contains(text, "parley_jobs{") {
		t.Error("job counts served after the count failed")
	}
}

func TestHandlerAccess(t *testing.T) {
	reg := telemetry.New(telemetry.Sources{})
	const token = "0123456789abcdef0123"
	for _, tc := range []struct {
		name, token, remote string
		header              map[string]string
		code                int
		proxies             string // trusted proxies
	}{
		{"loopback, no token set", "", "127.0.0.1:5000", nil, 200, ""},
		{"IPv6 loopback", "", "[::1]:5000", nil, 200, ""},
		{"another host, no token set", "", "203.0.113.9:5000", nil, 404, ""},
		{"through a proxy on this host", "", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 404, ""},
		{"through a proxy (Forwarded)", "", "127.0.0.1:5000", map[string]string{"Forwarded": "for=203.0.113.9"}, 404, ""},
		{"through a trusted proxy on this host", "", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 404, "127.0.0.1"},
		{"trusted proxy forwarding a forged loopback", "", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}, 404, "127.0.0.1"},
		{"trusted proxy without a forwarding header", "", "127.0.0.1:5000", nil, 404, "127.0.0.1"},
		{"trusted proxy for a loopback client", "", "10.0.0.2:5000", map[string]string{"X-Forwarded-For": "::1"}, 200, "10.0.0.0/8"},
		{"untrusted host claiming loopback", "", "203.0.113.9:5000", map[string]string{"X-Forwarded-For": "127.0.0.1"}, 404, "10.0.0.0/8"},
		{"loopback, other proxies trusted", "", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "127.0.0.1"}, 404, "10.0.0.0/8"},
		{"loopback, no header, other proxies trusted", "", "127.0.0.1:5000", nil, 200, "10.0.0.0/8"},
		{"token set, none sent", token, "127.0.0.1:5000", nil, 401, ""},
		{"token set, wrong one", token, "203.0.113.9:5000", map[string]string{"Authorization": "Bearer nope"}, 401, ""},
		{"token set, right one", token, "203.0.113.9:5000", map[string]string{"Authorization": "Bearer " + token}, 200, ""},
		{"token set, right one, any case of scheme", token, "203.0.113.9:5000", map[string]string{"Authorization": "bearer " + token}, 200, ""},
	} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = tc.remote
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		reg.Handler(tc.token, clientip.MustParse(tc.proxies)).ServeHTTP(w, req)
		if w.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.code)
		}
		if w.Code == 200 && !strings.Contains(w.Body.String(), "# TYPE parley_messages_received_total counter") {
			t.Errorf("%s: no metrics in %.200s", tc.name, w.Body)
		}
		if w.Code != 200 && strings.Contains(w.Body.String(), "parley_") {
			t.Errorf("%s: metrics leaked: %.200s", tc.name, w.Body)
		}
	}
}

// BenchmarkMiddleware is the cost the middleware adds to a request
// (compare "bare" with "measured"); the ingest path adds MessageReceived.
func BenchmarkMiddleware(b *testing.B) {
	reg := telemetry.New(telemetry.Sources{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/inboxes/{inbox_id}/incoming", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	req := httptest.NewRequest("POST", "/api/v1/inboxes/1/incoming", nil)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", mux}, {"measured", reg.Middleware(mux)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
	}
	b.Run("MessageReceived", func(b *testing.B) {
		for b.Loop() {
			reg.MessageReceived(parley.ChannelAPI, false)
		}
	})
}
