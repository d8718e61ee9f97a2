package app_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const metricsToken = "test-metrics-token-0123456789"

// getMetrics scrapes /metrics with the given headers.
func getMetrics(t *testing.T, e *apptest.Env, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.URL+"/metrics", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sample returns the value of one series in the exposition text, written
// name{label="value",...} with the labels in alphabetical order.
func sample(text, series string) (float64, bool) {
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestMetrics runs Parley, gives it a message, jobs and a live stream,
// and reads them back from /metrics, with and without a token.
func TestMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := apptest.StartWith(t, dialect, nil, func(c *config.Config) { c.MetricsToken = metricsToken })
		ctx := context.Background()

		// A message through the API, then the same one again.
		var in struct{ ID int64 }
		e.JSON("POST", "/api/v1/inboxes", map[string]any{"name": "Shop API"}, http.StatusCreated, &in)
		msg := map[string]any{"contact": map[string]string{"external_id": "cust-1", "name": "Ana"},
			"external_message_id": "m-1", "text": "Where is my order?"}
		path := fmt.Sprintf("/api/v1/inboxes/%d/incoming", in.ID)
		e.JSON("POST", path, msg, http.StatusCreated, nil)
		e.JSON("POST", path, msg, http.StatusOK, nil)

		// A job that runs and fails (no handler for its kind), and one
		// that waits an hour.
		var failing int64
		if err := e.App.DB.Write(ctx, func(tx *store.Tx) (err error) {
			if failing, err = tx.EnqueueJob("metrics.test", "{}", tx.Now(), 3); err != nil {
				return err
			}
			_, err = tx.EnqueueJob("metrics.later", "{}", tx.Now().Add(time.Hour), 3)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.App.Jobs.Wake()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			j, err := e.App.DB.Job(ctx, failing)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status == "failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job is %s after 10s", j.Status)
			}
		}

		// An agent's live stream, held open while we scrape.
		if _, _, err := e.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: "lan@example.com", Name: "Lan", Role: parley.RoleAgent}, "a long enough password"); err != nil {
			t.Fatal(err)
		}
		signed, err := e.App.Inbox.SignIn(ctx, "lan@example.com", "a long enough password", "test")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", e.URL+"/app/events", nil)
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: signed.Secret})
		stream, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Body.Close()
		if stream.StatusCode != 200 || stream.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("/app/events = %d %s", stream.StatusCode, stream.Header.Get("Content-Type"))
		}
		if line, err := bufio.NewReader(stream.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
			t.Fatalf("stream starts %q, %v", line, err)
		}

		// The token rule.
		for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": metricsToken}} {
			if code, body := getMetrics(t, e, h); code != http.StatusUnauthorized || strings.Contains(body, "parley_") {
				t.Errorf("/metrics with %v = %d, want 401 and no metrics", h, code)
			}
		}
		if err := report.Project(context.Background(), e.App.DB); err != nil {
			t.Fatal(err)
		}
		code, text := getMetrics(t, e, map[string]string{"Authorization": "Bearer " + metricsToken})
		if code != 200 {
			t.Fatalf("/metrics with the token = %d %s", code, text)
		}

		const incoming = `method="POST",route="/api/v1/inboxes/{inbox_id}/incoming"`
		for series, want := range map[string]float64{
			`parley_messages_received_total{channel="api"}`:                                1,
			`parley_messages_duplicate_total{channel="api"}`:                               1,
			`parley_messages_received_total{channel="whatsapp"}`:                           0,
			`parley_http_request_duration_seconds_count{` + incoming + `}`:                 2,
			`parley_http_requests_total{code="201",` + incoming + `}`:                      1,
			`parley_http_requests_total{code="200",` + incoming + `}`:                      1,
			`parley_http_requests_total{code="201",method="POST",route="/api/v1/inboxes"}`: 1,
			`parley_jobs{kind="metrics.test",status="failed"}`:                             1,
			`parley_jobs{kind="metrics.test",status="pending"}`:                            0,
			`parley_jobs{kind="metrics.later",status="pending"}`:                           1,
			`parley_job_failures_total{kind="metrics.test"}`:                               1,
			`parley_live_connections`:                                                      1,
			`parley_report_lag_events`:                                                     0,
			`parley_live_streams_opened_total{route="/app/events"}`:                        1,
		} {
			if got, ok := sample(text, series); !ok || got != want {
				t.Errorf("%s = %v (found %v), want %v", series, got, ok, want)
			}
		}
		if strings.Contains(text, `parley_http_request_duration_seconds_count{method="GET",route="/app/events"}`) {
			t.Error("the live stream is in the latency histogram")
		}
		if strings.Contains(text, fmt.Sprintf("/api/v1/inboxes/%d/", in.ID)) {
			t.Error("a raw path became a route label")
		}
		if !strings.Contains(text, "\ngo_goroutines ") || !strings.Contains(text, "\nprocess_resident_memory_bytes ") {
			t.Error("no Go or process metrics")
		}
	})
}

// TestMetricsLoopbackOnly: without a token, /metrics answers this host
// and nobody who comes through a proxy.
func TestMetricsLoopbackOnly(t *testing.T) {
	e := apptest.Start(t, "sqlite", nil)
	if code, text := getMetrics(t, e, nil); code != 200 || !strings.Contains(text, "parley_messages_received_total") {
		t.Fatalf("/metrics from loopback = %d %.200s", code, text)
	}
	for _, h := range []map[string]string{{"X-Forwarded-For": "203.0.113.7"}, {"X-Real-IP": "203.0.113.7"}, {"Forwarded": "for=203.0.113.7"}} {
		if code, body := getMetrics(t, e, h); code != http.StatusNotFound || strings.Contains(body, "parley_") {
			t.Errorf("/metrics with %v = %d, want 404", h, code)
		}
	}
	// A token sent to a Parley without one changes nothing.
	if code, _ := getMetrics(t, e, map[string]string{"Authorization": "Bearer " + metricsToken}); code != 200 {
		t.Errorf("/metrics from loopback with a stray token = %d", code)
	}
}
