package email

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/outbound"
)

// loopbackDial is the tests' outbound guard: loopback allowed explicitly,
// so the guard stays in the path.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	g, err := outbound.New(outbound.Options{Allow: "127.0.0.1"})
	if err != nil {
		return nil, err
	}
	return g.DialContext(ctx, network, addr)
}

// TestIMAPGuarded: without an allow-list entry the poller does not
// connect to a loopback server, and says why in plain words.
func TestIMAPGuarded(t *testing.T) {
	srv := startIMAP(t)
	p := newStore().poller(srv)
	p.Config.Dial = nil
	_, err := p.PollOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "which Parley does not call unless an admin allows it") {
		t.Fatalf("err = %v, want a refusal in plain words", err)
	}
}

// TestIMAPStartTLSRequired: "starttls" with a server that does not offer
// it fails; the password is never sent in clear instead.
func TestIMAPStartTLSRequired(t *testing.T) {
	srv := startIMAP(t) // no TLS configured
	p := newStore().poller(srv)
	p.Config.Security = "starttls"
	if _, err := p.PollOnce(context.Background()); err == nil {
		t.Fatal("starttls without STARTTLS on the server: no error")
	}
}

// TestIMAPClearOnlyToLoopback: "none" to an address off this machine is
// refused after connecting, before the login.
func TestIMAPClearOnlyToLoopback(t *testing.T) {
	var ip string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ip = n.IP.String()
			break
		}
	}
	if ip == "" {
		t.Skip("no non-loopback address on this machine")
	}
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("* OK IMAP4rev1 ready\r\n"))
		buf := make([]byte, 512)
		n, _ := c.Read(buf)
		got <- buf[:n]
		c.Close()
	}()
	g, _ := outbound.New(outbound.Options{Allow: ip})
	p := &Poller{Config: IMAPConfig{Host: ip, Port: l.Addr().(*net.TCPAddr).Port, Username: "ann", Password: "secret", Security: "none", Dial: g.DialContext}}
	if _, _, err := p.connect(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "only for a server on this machine") {
		t.Fatalf("err = %v, want refused as off loopback", err)
	}
	if b := <-got; strings.Contains(string(b), "secret") {
		t.Fatalf("the password was sent: %q", b)
	}
}
