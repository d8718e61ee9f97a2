// Package specialist is the two specialist agents Parley ships so that a
// customer's "where is my refund?" can be answered by a team out of the
// box: a payment agent that checks an order's payment, and a logistics
// agent that tracks its parcel. Each is an A2A v1.0 server (JSON-RPC
// binding, through the official a2a-go SDK) with its own agent card, and
// is backed by the shop's HTTP JSON APIs: `parley simulate shop`
// (internal/connect/shop) or a real service answering the same shapes.
//
// They only read. Neither calls POST /refunds or anything else with a
// side effect: where money moves, Parley's workflow proposes it and a
// person approves it. A retried SendMessage with the same messageId
// answers with the task the first one started (see once.go), because
// Parley's "ask an agent" step retries with the same messageId after a
// crash.
package specialist

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2asrv"

	"github.com/parleyhq/parley/internal/outbound"
)

// Kind names a specialist agent.
type Kind string

// The agents Parley ships.
const (
	Payment   Kind = "payment"
	Logistics Kind = "logistics"
)

// Kinds lists the agents, in the order the command's usage names them.
var Kinds = []Kind{Payment, Logistics}

// DefaultAddr is where `parley agent serve` listens for each agent, one
// port after the simulated shop's 8090.
func (k Kind) DefaultAddr() string {
	if k == Logistics {
		return "127.0.0.1:8092"
	}
	return "127.0.0.1:8091"
}

// CardPath is where each agent serves its card; the JSON-RPC endpoint is
// the handler's root, "/".
const CardPath = a2asrv.WellKnownAgentCardPath

// DefaultShop is `parley simulate shop`'s address.
const DefaultShop = "http://127.0.0.1:8090"

// maxBody bounds a JSON-RPC request: a message naming an order is tiny.
const maxBody = 1 << 20

// Config configures an agent.
type Config struct {
	// Shop is the base URL of the shop's APIs (GET {Shop}/payments/{order},
	// /orders/{id}, /tracking/{order}); empty: DefaultShop.
	Shop string
	// URL is the absolute URL callers reach the handler's root at: the
	// card's JSON-RPC interface (http://127.0.0.1:8091/). It is what the
	// card announces, so behind a proxy it is the proxy's URL.
	URL string
	// Token, when set, is the bearer token every JSON-RPC request must
	// carry (401 without it), and the card declares the bearer scheme.
	// Empty: no authentication, and the card declares none.
	Token string
	// Guard is Parley's outbound guard (nil: outbound.Strict). The
	// shop's host is allowed on top of it, for this agent's calls only:
	// the operator named it, so a shop on loopback is fine.
	Guard *outbound.Guard
	// Timeout bounds each call to the shop; zero: 10 seconds.
	Timeout time.Duration
	// Remember is how many messageIds are remembered for answering a
	// retry with its first task; zero: 10,000.
	Remember int
}

// NewPayment returns the payment agent: skill "check a payment".
func NewPayment(cfg Config) (http.Handler, error) { return New(Payment, cfg) }

// NewLogistics returns the logistics agent: skill "track a parcel".
func NewLogistics(cfg Config) (http.Handler, error) { return New(Logistics, cfg) }

// New returns the agent of kind k as an http.Handler serving its card at
// CardPath (GET, public, so callers can learn how to authenticate) and
// its JSON-RPC endpoint at "/" (POST, behind the token when set).
func New(k Kind, cfg Config) (http.Handler, error) {
	sk, ok := skills[k]
	if !ok {
		return nil, fmt.Errorf("no %q agent: use payment or logistics", k)
	}
	if cfg.Shop == "" {
		cfg.Shop = DefaultShop
	}
	base, err := ParseShopURL(cfg.Shop)
	if err != nil {
		return nil, err
	}
	self, err := url.Parse(cfg.URL)
	if err != nil || (self.Scheme != "http" && self.Scheme != "https") || self.Host == "" {
		return nil, fmt.Errorf("the agent's URL %q is not an absolute http(s) URL", cfg.URL)
	}
	guard := cfg.Guard
	if guard == nil {
		guard = outbound.Strict()
	}
	// Only the shop's host is opened, and only for this client: the
	// operator gave it, as an admin gives the model's host (llm).
	g, err := guard.With(base.Hostname())
	if err != nil {
		return nil, fmt.Errorf("the shop's host: %w", err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	remember := cfg.Remember
	if remember <= 0 {
		remember = 10000
	}
	l := newLedger(remember)
	ex := &executor{skill: sk, shop: &shopAPI{base: base, http: g.HTTPClient(timeout)}, ledger: l}
	c := card(sk, self.String(), cfg.Token != "")
	inner := a2asrv.NewHandler(ex,
		a2asrv.WithCapabilityChecks(&c.Capabilities),
		a2asrv.WithCallInterceptors(caller{named: cfg.Token != ""}))
	rpc := a2asrv.NewJSONRPCHandler(&onceHandler{RequestHandler: inner, ledger: l},
		a2asrv.WithTransportKeepAlive(15*time.Second),
		a2asrv.WithTransportPanicHandler(func(r any) error {
			slog.Error("specialist: handler panicked", "agent", k, "panic", r)
			return a2a.ErrInternalError
		}))
	cardHandler := a2asrv.NewStaticAgentCardHandler(c)
	mux := http.NewServeMux()
	mux.Handle("GET "+CardPath, cardHandler)
	mux.Handle("OPTIONS "+CardPath, cardHandler)
	mux.Handle("POST /{$}", bearer(cfg.Token, limitBody(rpc)))
	return mux, nil
}

// ParseShopURL checks a shop's base URL: absolute http(s), a host, no
// query, fragment or credentials. A trailing slash is dropped so paths
// join cleanly.
func ParseShopURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("the shop's URL %q is not an absolute http(s) URL such as %s", s, DefaultShop)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the shop's URL %q must have no credentials, query or fragment", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// bearer refuses a request without the token before any JSON-RPC is
// read. The comparison takes the same time whatever the guess.
func bearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley-agent"`)
			http.Error(w, "this agent needs Authorization: Bearer with its token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses a body over maxBody unread, on a connection that then
// closes, and bounds one that does not say its length.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			w.Header().Set("Connection", "close")
			http.Error(w, fmt.Sprintf("a request body is at most %d bytes", maxBody), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// caller names whoever calls: the SDK's in-memory task store lists only
// a named caller's tasks (ListTasks refuses an empty name). There is one
// identity per agent, the token's holder or anyone on loopback.
type caller struct{ named bool }

func (c caller) Before(ctx context.Context, cc *a2asrv.CallContext, _ *a2asrv.Request) (context.Context, any, error) {
	if c.named {
		cc.User = a2asrv.NewAuthenticatedUser("token", nil)
	} else {
		cc.User = &a2asrv.User{Name: "anyone"}
	}
	return ctx, nil, nil
}

func (caller) After(context.Context, *a2asrv.CallContext, *a2asrv.Response) error { return nil }

// card is the agent's card: one JSON-RPC interface at url, its skill,
// and the bearer scheme when a token is set.
func card(sk *skill, url string, token bool) *a2a.AgentCard {
	c := &a2a.AgentCard{
		Name:                sk.name,
		Description:         sk.description,
		Version:             "1.0",
		SupportedInterfaces: []*a2a.AgentInterface{a2a.NewAgentInterface(url, a2a.TransportProtocolJSONRPC)},
		Capabilities:        a2a.AgentCapabilities{Streaming: true},
		DefaultInputModes:   []string{"text/plain", "application/json"},
		DefaultOutputModes:  []string{"application/json", "text/plain"},
		Skills:              []a2a.AgentSkill{sk.card},
	}
	if token {
		c.SecuritySchemes = a2a.NamedSecuritySchemes{"bearer": a2a.HTTPAuthSecurityScheme{Scheme: "Bearer",
			Description: "The token the agent was started with (--token or PARLEY_AGENT_TOKEN)."}}
		c.SecurityRequirements = a2a.SecurityRequirementsOptions{{"bearer": {}}}
	}
	return c
}

// Serve serves h on ln until ctx ends, then gives open requests (a
// stream, say) two seconds to finish before closing them.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shut, done := context.WithTimeout(context.Background(), 2*time.Second)
		defer done()
		if srv.Shutdown(shut) != nil {
			srv.Close()
		}
	}()
	err := srv.Serve(ln)
	cancel()
	<-stopped
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
