package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/mail/mailtest"

	pmail "github.com/parleyhq/parley/internal/mail"
)

func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestSend(t *testing.T) {
	cert, pool := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	clientTLS := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	for _, tc := range []struct {
		security string
		auth     bool
	}{{"none", false}, {"none", true}, {"starttls", true}, {"tls", true}} {
		t.Run(tc.security, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{TLS: serverTLS, ImplicitTLS: tc.security == "tls", User: "u", Pass: "p"})
			cfg := pmail.Config{Host: "127.0.0.1", Port: srv.Port, Security: tc.security, TLS: clientTLS, Timeout: 5 * time.Second, Dial: srv.Dial}
			if tc.auth {
				cfg.Username, cfg.Password = "u", "p"
			}
			m := pmail.Message{From: "Acme Support <help@acme.test>", To: "Ann Ärger <ann@example.com>",
				Subject: "Réponse à votre question", Text: "Hello Ann,\n\n<b>Yes</b> — it ships tomorrow. A very long line " + strings.Repeat("x", 120) + "\n",
				Link: "https://parley.test/widget/1/resume?token=a.b", LinkText: "Continue the conversation",
				Date: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			if err := pmail.Send(context.Background(), cfg, m); err != nil {
				t.Fatal(err)
			}
			got := srv.Wait(t, 1)[0]
			if got.From != "help@acme.test" || len(got.To) != 1 || got.To[0] != "ann@example.com" {
				t.Fatalf("envelope = %q %q", got.From, got.To)
			}
			if tc.auth && got.User != "u" {
				t.Fatalf("auth user = %q", got.User)
			}
			if tc.security != "none" && !got.TLS {
				t.Fatal("message was not sent over TLS")
			}
			msg, err := mail.ReadMessage(strings.NewReader(got.Data))
			if err != nil {
				t.Fatal(err)
			}
			dec := new(mime.WordDecoder)
			if s, _ := dec.DecodeHeader(msg.Header.Get("Subject")); s != m.Subject {
				t.Fatalf("subject = %q", s)
			}
			for _, h := range []string{"Date", "Message-ID", "From", "To", "MIME-Version"} {
				if msg.Header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
			}
			if d, _ := msg.Header.Date(); !d.Equal(m.Date) {
				t.Errorf("date = %v", d)
			}
			text, html := mailtest.Parts(t, got.Data)
			if !strings.Contains(text, "<b>Yes</b> — it ships tomorrow") || !strings.Contains(text, m.Link) || !strings.Contains(text, strings.Repeat("x", 120)) {
				t.Errorf("text part = %q", text)
			}
			if strings.Contains(html, "<b>Yes") || !strings.Contains(html, "&lt;b&gt;Yes&lt;/b&gt;") || !strings.Contains(html, `href="https://parley.test/widget/1/resume?token=a.b"`) {
				t.Errorf("html part = %q", html)
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{RejectRcpt: "nobody@example.com"})
	cfg := pmail.Config{Host: "127.0.0.1", Port: srv.Port, Security: "none", Timeout: 5 * time.Second, Dial: srv.Dial}
	m := pmail.Message{From: "help@acme.test", To: "nobody@example.com", Subject: "x", Text: "y"}
	var perm *pmail.PermanentError
	if err := pmail.Send(context.Background(), cfg, m); !errors.As(err, &perm) {
		t.Fatalf("rejected recipient: err = %v, want permanent", err)
	}
	// STARTTLS demanded of a server that does not offer it: permanent.
	cfg.Security = "starttls"
	m.To = "ann@example.com"
	if err := pmail.Send(context.Background(), cfg, m); !errors.As(err, &perm) {
		t.Fatalf("no STARTTLS: err = %v, want permanent", err)
	}
	// Nobody listening: temporary.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg = pmail.Config{Host: "127.0.0.1", Port: port, Security: "none", Timeout: 2 * time.Second, Dial: srv.Dial}
	if err := pmail.Send(context.Background(), cfg, m); err == nil || errors.As(err, &perm) {
		t.Fatalf("connection refused: err = %v, want temporary", err)
	}
	if _, err := (pmail.Message{From: "bad", To: "a@b.c"}).Bytes(); err == nil {
		t.Fatal("bad from address accepted")
	}
}

func TestSendRaw(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{RejectRcpt: "nobody@example.com"})
	cfg := pmail.Config{Host: "127.0.0.1", Port: srv.Port, Security: "none", Timeout: 5 * time.Second, Dial: srv.Dial}
	raw := "From: Acme <help@acme.test>\r\nTo: ann@example.com\r\nCc: bob@example.com\r\nSubject: hi\r\n\r\nBody line\r\n.leading dot\r\n"
	if err := pmail.SendRaw(context.Background(), cfg, "Acme <help@acme.test>", "ann@example.com, Bob <bob@example.com>", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1)[0]
	if got.From != "help@acme.test" || strings.Join(got.To, " ") != "ann@example.com bob@example.com" {
		t.Fatalf("envelope = %q → %q", got.From, got.To)
	}
	if got.Data != raw {
		t.Fatalf("data changed in transit:\n%q\nwant\n%q", got.Data, raw)
	}
	var perm *pmail.PermanentError
	for name, err := range map[string]error{
		"bad sender":       pmail.SendRaw(context.Background(), cfg, "not an address", "ann@example.com", []byte(raw)),
		"no recipient":     pmail.SendRaw(context.Background(), cfg, "help@acme.test", "", []byte(raw)),
		"refused rcpt":     pmail.SendRaw(context.Background(), cfg, "help@acme.test", "ann@example.com, nobody@example.com", []byte(raw)),
		"unknown security": pmail.SendRaw(context.Background(), pmail.Config{Host: "127.0.0.1", Port: srv.Port, Security: "ssl"}, "help@acme.test", "ann@example.com", []byte(raw)),
	} {
		if !errors.As(err, &perm) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
}
