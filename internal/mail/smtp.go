package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/outbound"
)

// Config is how to reach the outgoing mail server.
type Config struct {
	Host     string
	Port     int
	Username string // empty: no AUTH
	Password string
	// Security is "starttls" (required, not opportunistic), "tls" (implicit
	// TLS, usually port 465) or "none" (a server on this machine only:
	// refused after connecting to any other address).
	Security string
	// TLS overrides the TLS settings (tests trust their own certificate).
	TLS *tls.Config
	// HelloName is sent in EHLO; empty: "localhost".
	HelloName string
	// Timeout bounds the whole exchange; zero: 30 seconds.
	Timeout time.Duration
	// Dial connects to the server; nil: outbound.Strict's, which reaches
	// public addresses only. Parley passes its outbound.Guard, so a mail
	// host on a private network needs an allow-list entry.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ErrClearOffLoopback refuses security "none" to a server that is not on
// this machine: the password and the mail would cross the network in
// clear, which is what choosing "none" was documented never to do.
var ErrClearOffLoopback = errors.New(`mail: security "none" is only for a mail server on this machine (loopback); use starttls or tls`)

// PermanentError is a refusal that sending again will not fix: a 5xx
// answer from the server (a bad recipient, authentication refused) or a
// message that cannot be built.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent tells job runners not to retry.
func (e *PermanentError) Permanent() bool { return true }

// Send delivers m through the server in cfg. Errors are wrapped in
// *PermanentError when retrying cannot help; others (network trouble, 4xx
// answers) are worth retrying later.
func Send(ctx context.Context, cfg Config, m Message) error {
	from, to, err := m.Addresses()
	if err != nil {
		return &PermanentError{err}
	}
	body, err := m.Bytes()
	if err != nil {
		return &PermanentError{err}
	}
	return SendRaw(ctx, cfg, from.Address, to.Address, body)
}

// SendRaw delivers an already built RFC 5322 message (CRLF line ends)
// through the server in cfg. from is the envelope sender and to one or
// more recipients separated by commas; both may be bare addresses or
// "Name <addr>". The message itself is sent as it is, so its headers need
// not match the envelope (a reply can be sent to an address that is only
// in Cc, say). Errors are classified as in Send.
func SendRaw(ctx context.Context, cfg Config, from, to string, raw []byte) error {
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return &PermanentError{fmt.Errorf("mail: envelope sender %q: %w", from, err)}
	}
	rcpts, err := mail.ParseAddressList(to)
	if err != nil {
		return &PermanentError{fmt.Errorf("mail: envelope recipients %q: %w", to, err)}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	tlsConf := cfg.TLS
	if tlsConf == nil {
		tlsConf = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	switch cfg.Security {
	case "tls", "starttls", "", "none":
	default:
		return &PermanentError{fmt.Errorf("mail: security %q is not starttls, tls or none", cfg.Security)}
	}
	dial := cfg.Dial
	if dial == nil {
		dial = outbound.Strict().DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	var refused *outbound.RefusedError
	if errors.As(err, &refused) {
		return &PermanentError{fmt.Errorf("mail: %w", err)}
	}
	if err != nil {
		// The guard's error names the host without the network's detail.
		return fmt.Errorf("mail: %w", err)
	}
	defer conn.Close()
	// Checked on the address reached, not the name: a name that resolves
	// off this machine does not get the password in clear.
	if cfg.Security == "none" && !outbound.IsLoopbackConn(conn) {
		return &PermanentError{ErrClearOffLoopback}
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	switch cfg.Security {
	case "tls":
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("mail: TLS with %s: %w", addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		return classify("greeting", err)
	}
	defer c.Close()
	hello := cfg.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return classify("EHLO", err)
	}
	if cfg.Security == "starttls" || cfg.Security == "" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &PermanentError{fmt.Errorf("mail: %s does not offer STARTTLS", addr)}
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return classify("STARTTLS", err)
		}
	}
	if cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return &PermanentError{fmt.Errorf("mail: %s does not offer AUTH", addr)}
		}
		if err := c.Auth(plainAuth{cfg.Username, cfg.Password}); err != nil {
			return classify("AUTH", err)
		}
	}
	if err := c.Mail(sender.Address); err != nil {
		return classify("MAIL FROM", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r.Address); err != nil {
			return classify("RCPT TO", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify("DATA", err)
	}
	return classify("QUIT", c.Quit())
}

// classify wraps an SMTP exchange error, marking 5xx answers permanent.
func classify(step string, err error) error {
	if err == nil {
		return nil
	}
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 {
		return &PermanentError{fmt.Errorf("mail: %s: %w", step, err)}
	}
	return fmt.Errorf("mail: %s: %w", step, err)
}

// plainAuth is AUTH PLAIN. Send only uses it after TLS, or with security
// "none" to a server on this machine (checked after connecting); the
// standard library's PlainAuth would refuse the latter.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("mail: unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}
