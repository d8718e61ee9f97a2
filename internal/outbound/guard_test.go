package outbound_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/parleyhq/parley/internal/outbound"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		addr, kind string
	}{
		{"127.0.0.1", outbound.KindLoopback},
		{"127.8.9.10", outbound.KindLoopback},
		{"::1", outbound.KindLoopback},
		{"::ffff:127.0.0.1", outbound.KindLoopback},
		{"10.1.2.3", outbound.KindPrivate},
		{"172.16.0.1", outbound.KindPrivate},
		{"172.31.255.255", outbound.KindPrivate},
		{"192.168.1.1", outbound.KindPrivate},
		{"::ffff:10.0.0.1", outbound.KindPrivate},
		{"fc00::1", outbound.KindPrivate},
		{"fd12:3456::1", outbound.KindPrivate},
		{"169.254.169.254", outbound.KindLinkLocal},
		{"::ffff:169.254.169.254", outbound.KindLinkLocal},
		{"fe80::1", outbound.KindLinkLocal},
		{"fe80::1%eth0", outbound.KindLinkLocal},
		{"100.64.0.1", outbound.KindShared},
		{"100.127.255.254", outbound.KindShared},
		{"224.0.0.1", outbound.KindLinkLocal}, // local network control block
		{"239.1.2.3", outbound.KindMulticast},
		{"ff02::1", outbound.KindLinkLocal},
		{"ff05::2", outbound.KindMulticast},
		{"0.0.0.0", outbound.KindReserved},
		{"0.1.2.3", outbound.KindReserved},
		{"::", outbound.KindReserved},
		{"255.255.255.255", outbound.KindReserved},
		{"192.0.2.10", outbound.KindReserved},
		{"198.18.0.1", outbound.KindReserved},
		{"2001:db8::1", outbound.KindReserved},
		{"::127.0.0.1", outbound.KindReserved},     // IPv4-compatible
		{"64:ff9b::7f00:1", outbound.KindLoopback}, // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", outbound.KindLinkLocal},
		{"2002:7f00:1::1", outbound.KindLoopback},      // 6to4 of 127.0.0.1
		{"2002:c0a8:101::1", outbound.KindPrivate},     // 6to4 of 192.168.1.1
		{"2001:0:4136:e378::1", outbound.KindReserved}, // Teredo
		{"fec0::1", outbound.KindReserved},
		// Public addresses are fine.
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"100.128.0.1", ""},
		{"172.32.0.1", ""},
		{"2606:4700::1111", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""},
	} {
		if got := outbound.Classify(netip.MustParseAddr(tc.addr)); got != tc.kind {
			t.Errorf("Classify(%s) = %q, want %q", tc.addr, got, tc.kind)
		}
	}
}

func TestParseAllowList(t *testing.T) {
	l, err := outbound.ParseAllowList(" 10.0.0.0/8, 192.168.1.7\nmail.Internal. ::ffff:127.0.0.1 ,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.String(); got != "10.0.0.0/8, 192.168.1.7, mail.internal, 127.0.0.1, fd00::/8" {
		t.Fatalf("String = %q", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "http://x", "a..b", "*", "10.0.0.1:25"} {
		if _, err := outbound.ParseAllowList(bad); err == nil {
			t.Errorf("ParseAllowList(%q) accepted", bad)
		}
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	admin := "192.168.50.0/24"
	g, err := outbound.New(outbound.Options{Allow: "10.9.0.0/16, smtp.corp", Admin: func(context.Context) (string, error) { return admin, nil }, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host, addr string
		ok         bool
	}{
		{"example.com", "93.184.216.34", true},
		{"10.9.1.1", "10.9.1.1", true},         // operator's CIDR
		{"x", "::ffff:10.9.1.1", true},         // mapped form of an allowed address
		{"smtp.corp", "10.200.0.5", true},      // operator's host name
		{"SMTP.corp.", "10.200.0.5", true},     // same name, other spelling
		{"other.corp", "10.200.0.5", false},    // same address, other name
		{"192.168.50.3", "192.168.50.3", true}, // admin's CIDR
		{"192.168.51.3", "192.168.51.3", false},
		{"meta", "169.254.169.254", false},
		{"localhost", "127.0.0.1", false},
	} {
		err := g.Check(ctx, tc.host, netip.MustParseAddr(tc.addr))
		if (err == nil) != tc.ok {
			t.Errorf("Check(%s, %s) = %v, want ok=%v", tc.host, tc.addr, err, tc.ok)
		}
	}
	// The admin's list is re-read after Forget.
	admin = ""
	g.Forget()
	if err := g.Check(ctx, "x", netip.MustParseAddr("192.168.50.3")); err == nil {
		t.Error("admin entry still allowed after it was removed")
	}
}

// fakeDNS answers every A query with addr, like a name an attacker
// points at an internal address.
func fakeDNS(t *testing.T, addr [4]byte) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: addr})
			}
			out, _ := b.Finish()
			pc.WriteTo(out, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

func TestDialRefusesResolvedAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	ctx := context.Background()

	// A public-looking name that resolves to loopback: refused at dial
	// time, by what it resolved to.
	g, _ := outbound.New(outbound.Options{Resolver: fakeDNS(t, [4]byte{127, 0, 0, 1}), Logger: quiet()})
	_, err = g.DialContext(ctx, "tcp", net.JoinHostPort("innocent.example", port))
	var refused *outbound.RefusedError
	if !errors.As(err, &refused) || refused.Host != "innocent.example" || refused.Kind != outbound.KindLoopback {
		t.Fatalf("dial innocent.example→127.0.0.1: err = %v, want refused as loopback", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "which Parley does not call unless an admin allows it") || strings.Contains(msg, "127.0.0.1") {
		t.Errorf("message = %q: want plain words, without the resolved address", msg)
	}
	// "localhost" through the system resolver, and literals.
	for _, addr := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::ffff:127.0.0.1]:" + port} {
		if _, err := outbound.Strict().DialContext(ctx, "tcp", addr); !errors.As(err, &refused) {
			t.Errorf("dial %s: err = %v, want refused", addr, err)
		}
	}
	// Allowed by name: the same name now connects.
	g, _ = outbound.New(outbound.Options{Allow: "innocent.example", Resolver: fakeDNS(t, [4]byte{127, 0, 0, 1}), Logger: quiet()})
	c, err := g.DialContext(ctx, "tcp", net.JoinHostPort("innocent.example", port))
	if err != nil {
		t.Fatalf("allowed by name: %v", err)
	}
	c.Close()
	// Allowed by CIDR.
	g, _ = outbound.New(outbound.Options{Allow: "127.0.0.0/8", Logger: quiet()})
	c, err = g.DialContext(ctx, "tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("allowed by CIDR: %v", err)
	}
	c.Close()
	if _, err := g.DialContext(ctx, "unix", "/tmp/x.sock"); err == nil {
		t.Error("unix socket dialled")
	}
}

// TestDialErrorsDoNotMapTheNetwork: a closed port and a port that never
// answers read the same, without the raw error's words.
func TestDialErrorsDoNotMapTheNetwork(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	g, _ := outbound.New(outbound.Options{Allow: "127.0.0.1", Logger: quiet()})
	_, err1 := g.DialContext(context.Background(), "tcp", closed)
	// No answer in time (this sandbox's network accepts connections to
	// any address, so an expired deadline stands in for a silent host).
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err2 := g.DialContext(ctx, "tcp", closed)
	for _, err := range []error{err1, err2} {
		var ce *outbound.ConnectError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want a ConnectError", err)
		}
		msg := err.Error()
		for _, leak := range []string{"refused", "timeout", "dial", "unreachable", "deadline"} {
			if strings.Contains(msg, leak) {
				t.Errorf("message %q says %q", msg, leak)
			}
		}
		if r, ok := outbound.Reason(err); !ok || !strings.HasPrefix(r, "could not connect to ") {
			t.Errorf("Reason = %q %v", r, ok)
		}
	}
}

func TestHTTPClient(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer redirect.Close()

	// Without an allow-list, loopback is refused before any request.
	_, err := outbound.Strict().HTTPClient(5 * time.Second).Get(target.URL)
	if r, ok := outbound.Reason(err); !ok || !strings.Contains(r, "loopback") || strings.Contains(r, "connect:") {
		t.Fatalf("loopback GET: err = %v, reason %q", err, r)
	}
	g, _ := outbound.New(outbound.Options{Allow: "127.0.0.1", Logger: quiet()})
	resp, err := g.HTTPClient(5 * time.Second).Get(target.URL)
	if err != nil {
		t.Fatalf("allowed GET: %v", err)
	}
	resp.Body.Close()
	// A redirect is not followed, and says so.
	resp, err = g.HTTPClient(5 * time.Second).Get(redirect.URL)
	if !errors.Is(err, outbound.ErrRedirect) {
		t.Fatalf("redirect: err = %v, want ErrRedirect", err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	if r, _ := outbound.Reason(err); r != outbound.ErrRedirect.Error() {
		t.Errorf("redirect reason = %q", r)
	}
	// The download client follows it, through the guard.
	resp, err = g.DownloadClient(5 * time.Second).Get(redirect.URL)
	if err != nil {
		t.Fatalf("download through a redirect: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "secret" {
		t.Fatalf("download body = %q", b)
	}
}

// TestDownloadRedirectIsGuarded: a public file server that redirects to
// an internal address does not get Parley to fetch it.
func TestDownloadRedirectIsGuarded(t *testing.T) {
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metadata") }))
	defer internal.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(internal.URL, "http://"))
	// The first hop is allowed by name; the redirect goes to the bare
	// loopback address, which is not.
	redirect := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:"+port+"/latest/meta-data", http.StatusFound))
	defer redirect.Close()
	_, rport, _ := net.SplitHostPort(strings.TrimPrefix(redirect.URL, "http://"))
	g, _ := outbound.New(outbound.Options{Allow: "files.example", Resolver: fakeDNS(t, [4]byte{127, 0, 0, 1}), Logger: quiet()})
	_, err := g.DownloadClient(5 * time.Second).Get("http://files.example:" + rport + "/f")
	var refused *outbound.RefusedError
	if !errors.As(err, &refused) || refused.Host != "127.0.0.1" {
		t.Fatalf("redirect to loopback: err = %v, want refused", err)
	}
}

// TestWith: a guard extended with one host reaches it, the guard it
// extends still does not, and the extension keeps the base's lists.
func TestWith(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "model") }))
	defer target.Close()
	base, _ := outbound.New(outbound.Options{Allow: "10.9.0.0/16", Logger: quiet()})
	ext, err := base.With("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ext.HTTPClient(5 * time.Second).Get(target.URL)
	if err != nil {
		t.Fatalf("extended guard: %v", err)
	}
	resp.Body.Close()
	if _, err := base.HTTPClient(5 * time.Second).Get(target.URL); err == nil {
		t.Fatal("the base guard reached loopback after With")
	}
	ctx := context.Background()
	if err := ext.Check(ctx, "10.9.1.1", netip.MustParseAddr("10.9.1.1")); err != nil {
		t.Errorf("the extension lost the base's list: %v", err)
	}
	if err := ext.Check(ctx, "10.8.1.1", netip.MustParseAddr("10.8.1.1")); err == nil {
		t.Error("the extension allows more than the base plus its entry")
	}
	if _, err := base.With("not a host!"); err == nil {
		t.Error("a bad entry was accepted")
	}
}
