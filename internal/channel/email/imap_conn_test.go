package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

func TestPollOnceTLS(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	for _, tc := range []struct {
		security string
		implicit bool
	}{{"tls", true}, {"starttls", false}} {
		t.Run(tc.security, func(t *testing.T) {
			srv := startIMAPTLS(t, serverTLS, tc.implicit)
			st := newStore()
			p := st.poller(srv)
			p.Config.Security = tc.security
			p.Config.TLS = clientTLS
			mustPoll(t, p, 0)
			srv.deliver(t, "over "+tc.security)
			mustPoll(t, p, 1)

			// The certificate is checked.
			p.Config.TLS = &tls.Config{ServerName: "127.0.0.1"}
			if _, err := p.PollOnce(context.Background()); err == nil {
				t.Error("untrusted certificate accepted")
			}
		})
	}
}

// testTLS returns a server configuration with a fresh self-signed
// certificate for 127.0.0.1 and a client configuration that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
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
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}}
	return server, &tls.Config{RootCAs: pool}
}

func TestPollOnceErrors(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	p := st.poller(srv)
	p.Config.Password = "wrong"
	if _, err := p.PollOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "login") {
		t.Errorf("bad password: err = %v", err)
	}
	p = st.poller(srv)
	p.Config.Mailbox = "Nope"
	if _, err := p.PollOnce(context.Background()); err == nil {
		t.Error("missing mailbox: no error")
	}
	p = st.poller(srv)
	p.Config.Security = "tls" // the server speaks plain text
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.PollOnce(ctx); err == nil {
		t.Error("TLS to a plain server: no error")
	}
}
