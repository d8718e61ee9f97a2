package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Options configure a Guard.
type Options struct {
	// Allow is the operator's allow-list (PARLEY_OUTBOUND_ALLOW), in the
	// syntax of ParseAllowList.
	Allow string
	// Admin, when set, returns the admin's allow-list (a workspace
	// setting). It is read at most every AdminTTL, so a saved change
	// reaches every process on a shared database within that time;
	// Forget makes this process read it at once.
	Admin func(ctx context.Context) (string, error)
	// AdminTTL bounds how stale the admin's list may be; zero: 2 seconds.
	AdminTTL time.Duration
	// Resolver looks names up; nil: the system's. Tests point it at a
	// fake DNS server to play a name that resolves to loopback.
	Resolver *net.Resolver
	// Logger receives the detail of refused and failed connections,
	// which errors do not carry; nil: slog.Default().
	Logger *slog.Logger
}

// Guard makes outbound connections that only reach public addresses or
// allowed ones. It is safe for concurrent use.
type Guard struct {
	static   AllowList
	admin    func(ctx context.Context) (string, error)
	ttl      time.Duration
	resolver *net.Resolver
	log      *slog.Logger

	// base, when set, is the guard this one extends (see With): its
	// lists, admin list included, apply here too.
	base *Guard

	mu       sync.Mutex
	cached   AllowList
	cachedAt time.Time
	cachedOK bool
}

// New returns a Guard, or an error naming a bad entry of o.Allow.
func New(o Options) (*Guard, error) {
	static, err := ParseAllowList(o.Allow)
	if err != nil {
		return nil, err
	}
	g := &Guard{static: static, admin: o.Admin, ttl: o.AdminTTL, resolver: o.Resolver, log: o.Logger}
	if g.ttl <= 0 {
		g.ttl = 2 * time.Second
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	return g, nil
}

// Strict returns a Guard that allows nothing beyond public addresses: the
// fallback of packages whose caller passed no client, so forgetting to
// wire one in never means an unguarded call.
var Strict = sync.OnceValue(func() *Guard {
	g, _ := New(Options{})
	return g
})

// With returns a guard that also allows extra (entries in the syntax of
// ParseAllowList), on top of everything g allows, and an error naming a
// bad entry. It is for one client that an admin pointed at one host
// explicitly (the language model's base URL, often Ollama on loopback):
// that host becomes reachable by that client only, not by webhooks or
// mail, and nothing else is opened.
func (g *Guard) With(extra string) (*Guard, error) {
	l, err := ParseAllowList(extra)
	if err != nil {
		return nil, err
	}
	return &Guard{static: l, ttl: g.ttl, resolver: g.resolver, log: g.log, base: g}, nil
}

// Static returns the operator's allow-list, in normal form.
func (g *Guard) Static() string { return g.static.String() }

// Forget drops the cached admin allow-list, after this process saved it.
func (g *Guard) Forget() {
	g.mu.Lock()
	g.cachedOK = false
	g.mu.Unlock()
}

// adminList returns the admin's allow-list, cached for g.ttl. A list that
// cannot be read allows nothing extra: failing closed is the safe side.
func (g *Guard) adminList(ctx context.Context) AllowList {
	if g.admin == nil {
		return AllowList{}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cachedOK && time.Since(g.cachedAt) < g.ttl {
		return g.cached
	}
	s, err := g.admin(ctx)
	if err != nil {
		g.log.Warn("outbound: cannot read the admin allow-list; allowing public addresses only", "err", err)
		return AllowList{}
	}
	l, err := ParseAllowList(s)
	if err != nil {
		g.log.Warn("outbound: the admin allow-list has a bad entry; ignoring it", "err", err)
	}
	g.cached, g.cachedAt, g.cachedOK = l, time.Now(), true
	return l
}

// Check returns a *RefusedError when Parley may not call address a,
// reached by the name host (which may be the address itself), and nil
// when it may: a is public, or allowed by address or by host name.
func (g *Guard) Check(ctx context.Context, host string, a netip.Addr) error {
	kind := Classify(a)
	if kind == "" {
		return nil
	}
	if g.static.allowsAddr(a) || g.static.allowsHost(host) {
		return nil
	}
	if g.base != nil {
		return g.base.Check(ctx, host, a)
	}
	if admin := g.adminList(ctx); admin.allowsAddr(a) || admin.allowsHost(host) {
		return nil
	}
	return &RefusedError{Host: host, Kind: kind}
}

// hostKey carries the name being dialled to the dialer's Control hook,
// which only sees the resolved address.
type hostKey struct{}

// DialContext connects like net.Dialer.DialContext, but only to allowed
// addresses (see Check), checked on each resolved address just before
// connecting. Errors are a *RefusedError or a *ConnectError, whose text
// says what happened in plain words; the underlying error is logged.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &ConnectError{Host: addr, Err: err}
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return nil, &ConnectError{Host: addr, Err: fmt.Errorf("network %q is not allowed", network)}
	}
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second, Resolver: g.resolver, ControlContext: g.control}
	conn, err := d.DialContext(context.WithValue(ctx, hostKey{}, host), network, addr)
	if err == nil {
		return conn, nil
	}
	var refused *RefusedError
	if errors.As(err, &refused) {
		g.log.Warn("outbound: connection refused by the guard", "addr", addr, "kind", refused.Kind, "err", err)
		return nil, refused
	}
	g.log.Warn("outbound: connection failed", "addr", addr, "err", err)
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return nil, &ConnectError{Host: host, Err: err, lookup: true}
	}
	return nil, &ConnectError{Host: addr, Err: err}
}

// control runs after resolution, once per address tried.
func (g *Guard) control(ctx context.Context, network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Host: address, Kind: KindReserved}
	}
	host, _ := ctx.Value(hostKey{}).(string)
	if host == "" {
		host = ap.Addr().String()
	}
	return g.Check(ctx, host, ap.Addr())
}

// RefusedError is a connection the guard did not make.
type RefusedError struct {
	Host string // the name (or address) asked for
	Kind string // one of the Kind constants
}

func (e *RefusedError) Error() string {
	verb := "resolves to"
	if _, err := netip.ParseAddr(e.Host); err == nil {
		verb = "is"
	}
	return fmt.Sprintf("%s %s %s, which Parley does not call unless an admin allows it (Settings → Outbound)", e.Host, verb, e.Kind)
}

// Permanent tells job runners that trying again will not help until an
// admin changes the allow-list (and then Retry does).
func (e *RefusedError) Permanent() bool { return true }

// ConnectError is a connection that failed: no answer, refused, reset,
// or a name that does not resolve. Its text does not say which, so a
// caller cannot tell a closed port from a filtered one; Err has the
// detail for logs and for timeouts (errors.Is(err, os.ErrDeadlineExceeded)).
type ConnectError struct {
	Host   string
	Err    error
	lookup bool
}

func (e *ConnectError) Error() string {
	if e.lookup {
		return fmt.Sprintf("could not look up %s", e.Host)
	}
	return fmt.Sprintf("could not connect to %s", e.Host)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// ErrRedirect is what an HTTP client of the guard returns for a redirect
// it does not follow.
var ErrRedirect = errors.New("the server answered with a redirect, which Parley does not follow")

// HTTPClient returns a client whose connections go through the guard,
// that ignores proxy variables (a proxy would dial on our behalf,
// unchecked), does not follow redirects (a webhook or API that moved
// must be updated where it is configured) and gives up after timeout
// (zero: 30 seconds).
func (g *Guard) HTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Transport: g.transport(), Timeout: orDefault(timeout),
		CheckRedirect: func(*http.Request, []*http.Request) error { return ErrRedirect }}
}

// DownloadClient is HTTPClient for fetching files that providers serve
// through redirects (Twilio's media URLs answer 307 to a storage
// bucket). It follows up to five, never from https to http, and each hop
// connects through the guard like the first; net/http drops credentials
// when a redirect leaves the original host.
func (g *Guard) DownloadClient(timeout time.Duration) *http.Client {
	return &http.Client{Transport: g.transport(), Timeout: orDefault(timeout),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return errors.New("a redirect from https to http")
			}
			return nil
		}}
}

func (g *Guard) transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func orDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return 30 * time.Second
	}
	return d
}

// Reason turns an outbound error into words an agent may read: what the
// guard refused, that a redirect was not followed, that the host could
// not be reached, or that it timed out. It never includes the raw
// network error. ok is false when err is not an outbound failure (an
// HTTP status, say), which the caller describes itself.
func Reason(err error) (reason string, ok bool) {
	var refused *RefusedError
	var conn *ConnectError
	switch {
	case err == nil:
		return "", false
	case errors.As(err, &refused):
		return refused.Error(), true
	case errors.Is(err, ErrRedirect):
		return ErrRedirect.Error(), true
	case errors.As(err, &conn):
		return conn.Error(), true
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "no answer in time", true
	}
	return "", false
}

// Describe is Reason for any error of an outbound HTTP request: a
// certificate that does not verify is named as such, and anything else
// (a reset, a malformed answer) is "the request failed", its detail left
// to the server's log.
func Describe(err error) string {
	if r, ok := Reason(err); ok {
		return r
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return "the server's TLS certificate is not valid for it"
	}
	return "the request failed"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
