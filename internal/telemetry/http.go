package telemetry

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parleyhq/parley/internal/clientip"
)

// Middleware counts and times every request that next answers. next must
// be the http.ServeMux itself (or call it with the same *http.Request):
// the mux records the pattern it matched in the request's Pattern field,
// which becomes the route label once next returns. A request no pattern
// matched (404, 405) counts as route "other", so a scan of random paths
// cannot grow the number of series.
//
// Server-Sent Events streams stay open for minutes; their duration says
// nothing about latency, so responses of type text/event-stream are left
// out of the histogram and counted in parley_live_streams_opened_total
// when they start. parley_http_requests_total counts them when they end.
func (r *Registry) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, req: req, reg: r}
		next.ServeHTTP(rec, req)
		code := rec.code
		if code == 0 {
			code = http.StatusOK // the handler wrote nothing: net/http sends 200
		}
		route, method := routeLabel(req), methodLabel(req.Method)
		r.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
		if !rec.stream {
			r.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}
	})
}

// routeLabel is the path part of the pattern the mux matched: with the
// method left out (it is its own label) it reads like "/api/v1/inboxes/{inbox_id}".
func routeLabel(req *http.Request) string {
	// The mux answers a CONNECT that needs a trailing-slash redirect with
	// the request's own path as its "pattern"; Parley serves no CONNECT.
	if req.Pattern == "" || req.Method == http.MethodConnect {
		return "other"
	}
	if i := strings.IndexByte(req.Pattern, '/'); i >= 0 {
		return req.Pattern[i:]
	}
	return "other"
}

// methodLabel keeps the standard methods; clients may send any token.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// recorder notes the status a handler sends and whether the response is an
// event stream. It passes flushes, deadlines and io.Copy's sendfile through
// to the connection (http.ResponseController finds them with Unwrap).
type recorder struct {
	http.ResponseWriter
	req    *http.Request
	reg    *Registry
	code   int
	stream bool
}

func (w *recorder) record(code int) {
	if w.code != 0 {
		return
	}
	w.code = code
	if strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
		w.stream = true
		w.reg.streams.WithLabelValues(routeLabel(w.req)).Inc()
	}
}

func (w *recorder) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols { // not 1xx informational
		w.record(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.record(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

func (w *recorder) ReadFrom(src io.Reader) (int64, error) {
	w.record(http.StatusOK)
	return io.Copy(w.ResponseWriter, src)
}

// FlushError is what http.ResponseController.Flush calls: an event stream
// learns from its error that the client left.
func (w *recorder) FlushError() error {
	w.record(http.StatusOK)
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recorder) Flush() { w.FlushError() }

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Handler serves the metrics in Prometheus's text format.
//
// With a token, a request must carry "Authorization: Bearer <token>"; any
// other gets 401. Without one, only a request from a loopback address that
// no proxy forwarded is answered, and any other gets 404, as if there were
// no metrics. Metrics hold no customer data, but they do tell the world
// how busy a Parley is and where it struggles, so by default they are for
// a Prometheus (or an agent) on the same host; to scrape across the
// network, set a token. A reverse proxy on the same host makes every
// request come from loopback; the forwarding headers it adds (Forwarded,
// X-Forwarded-For, X-Real-IP) are what tell those apart. A request from
// one of proxies (the operator's trusted proxies) counts as remote unless
// the client it forwards for is itself on loopback.
func (r *Registry) Handler(token string, proxies *clientip.Resolver) http.Handler {
	h := promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{},
		ErrorHandling: promhttp.ContinueOnError, // a failed job count leaves the rest served
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if token != "" {
			scheme, got, _ := strings.Cut(req.Header.Get("Authorization"), " ")
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="parley metrics"`)
				http.Error(w, "a metrics token is required", http.StatusUnauthorized)
				return
			}
		} else if !fromLoopback(req, proxies) {
			http.NotFound(w, req)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// fromLoopback reports whether req came straight from this host, or
// through a trusted proxy for a client on this host.
func fromLoopback(req *http.Request, proxies *clientip.Resolver) bool {
	if proxies.Trusts(clientip.Peer(req)) {
		client, forwarded := proxies.Client(req)
		return forwarded && client.IsLoopback()
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if req.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// promLogger sends the metrics handler's errors to the log.
type promLogger struct{}

func (promLogger) Println(v ...any) {
	slog.Error("telemetry: serve metrics", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
