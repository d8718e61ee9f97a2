package simulate

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/parleyhq/parley/internal/channel/email"
)

// SMTPServer plays a support address's outgoing mail server: it takes
// Parley's replies on loopback, without TLS or AUTH, and reports them on
// Sent.
type SMTPServer struct {
	Addr string
	Sent chan Sent
	srv  *smtp.Server
}

// StartSMTP listens on addr (host:port).
func StartSMTP(addr string) (*SMTPServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	m := &SMTPServer{Addr: l.Addr().String(), Sent: make(chan Sent, 64)}
	m.srv = smtp.NewServer(smtpBackend{m})
	m.srv.Domain = "localhost"
	m.srv.ReadTimeout, m.srv.WriteTimeout = 30*time.Second, 30*time.Second
	go m.srv.Serve(l)
	return m, nil
}

// Close stops the server.
func (m *SMTPServer) Close() { m.srv.Close() }

// Mail builds a customer's email to the support address.
func Mail(from, name, to, subject, text string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %q <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n",
		name, from, to, subject, time.Now().UTC().Format(time.RFC1123Z), email.NewMessageID(from))
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(text + "\r\n")
	return b.Bytes()
}

type smtpBackend struct{ m *SMTPServer }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{m: b.m}, nil }

type smtpSession struct {
	m  *SMTPServer
	to string
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, 30<<20))
	if err != nil {
		return err
	}
	sent := Sent{Channel: "email", To: s.to, Text: "(unreadable)"}
	if msg, err := email.Parse(raw); err == nil {
		sent.ID, sent.Text = msg.MessageID, msg.Subject+": "+msg.FullText
	}
	select {
	case s.m.Sent <- sent:
	default:
	}
	return nil
}
