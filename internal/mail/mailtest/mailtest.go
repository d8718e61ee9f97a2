// Package mailtest runs a real SMTP server on loopback for tests (built
// with github.com/emersion/go-smtp) and records what it receives.
package mailtest

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/parleyhq/parley/internal/outbound"
)

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data string
	User string // who authenticated, if anyone
	TLS  bool   // whether the connection was encrypted
}

// Options shape the server.
type Options struct {
	TLS         *tls.Config // offered with STARTTLS (or used for implicit TLS)
	ImplicitTLS bool
	User, Pass  string // accepted credentials for AUTH PLAIN
	RejectRcpt  string // answered 550
	// Addr is the address to listen on; empty: a free port on 127.0.0.1.
	Addr string
}

// Server is a running test SMTP server.
type Server struct {
	Port int
	host string
	opt  Options
	mu   sync.Mutex
	msgs []Received
	got  chan struct{}
}

// Start runs a server on a free loopback port until the test ends.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	s := &Server{opt: opt, got: make(chan struct{}, 100)}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var l net.Listener
	var err error
	addr := opt.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if opt.ImplicitTLS {
		l, err = tls.Listen("tcp", addr, opt.TLS)
	} else {
		srv.TLSConfig = opt.TLS
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		tb.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	s.host = l.Addr().(*net.TCPAddr).IP.String()
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	return s
}

// Dial connects through an outbound guard that allows this server's
// address and nothing else private, as a mail.Config's Dial: the guard
// stays in the path of tests, with the server allowed explicitly.
func (s *Server) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	g, err := outbound.New(outbound.Options{Allow: s.host})
	if err != nil {
		return nil, err
	}
	return g.DialContext(ctx, network, addr)
}

// Messages returns what was received so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait waits up to 10 seconds for n messages and returns them.
func (s *Server) Wait(tb testing.TB, n int) []Received {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.got:
		case <-deadline:
			tb.Fatalf("mailtest: %d messages after 10s, want %d", len(s.Messages()), n)
		}
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: s, conn: c, tls: isTLS}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	tls  bool
	cur  Received
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.s.opt.User || pass != x.s.opt.Pass {
			return errors.New("invalid credentials")
		}
		x.cur.User = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.cur.From = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == x.s.opt.RejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	x.cur.To = append(x.cur.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, x.cur.TLS = x.conn.TLSConnectionState()
	x.cur.Data = string(b)
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.cur)
	x.s.mu.Unlock()
	select {
	case x.s.got <- struct{}{}:
	default:
	}
	x.cur = Received{User: x.cur.User}
	return nil
}

func (x *session) Reset()        { x.cur = Received{User: x.cur.User} }
func (x *session) Logout() error { return nil }

// Parts returns the decoded text/plain and text/html parts of a message.
func Parts(tb testing.TB, data string) (text, html string) {
	tb.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		tb.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
}
