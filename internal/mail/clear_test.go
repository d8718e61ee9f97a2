package mail_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	pmail "github.com/parleyhq/parley/internal/mail"
	"github.com/parleyhq/parley/internal/mail/mailtest"
)

// localAddr returns an address of this machine that is not loopback, or
// skips: a server there is "remote" as far as the dialled address goes.
func localAddr(t *testing.T) string {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback address on this machine")
	return ""
}

// TestSendClearOnlyToLoopback: security "none" with a server that is not
// on this machine is refused after connecting, before the password is
// sent, even when the guard allows the address; the same server on
// loopback takes the mail.
func TestSendClearOnlyToLoopback(t *testing.T) {
	ip := localAddr(t)
	srv := mailtest.Start(t, mailtest.Options{Addr: ip + ":0", User: "u", Pass: "p"})
	m := pmail.Message{From: "help@acme.test", To: "ann@example.com", Subject: "x", Text: "y"}
	cfg := pmail.Config{Host: ip, Port: srv.Port, Security: "none", Username: "u", Password: "p", Timeout: 5 * time.Second, Dial: srv.Dial}
	err := pmail.Send(context.Background(), cfg, m)
	var perm *pmail.PermanentError
	if !errors.As(err, &perm) || !errors.Is(err, pmail.ErrClearOffLoopback) {
		t.Fatalf("none to %s: err = %v, want ErrClearOffLoopback, permanent", ip, err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := srv.Messages(); len(got) != 0 {
		t.Fatalf("the server received %d messages", len(got))
	}
	// A name is judged by where it leads: "localhost" is fine.
	local := mailtest.Start(t, mailtest.Options{User: "u", Pass: "p"})
	cfg = pmail.Config{Host: "localhost", Port: local.Port, Security: "none", Username: "u", Password: "p", Timeout: 5 * time.Second, Dial: local.Dial}
	if err := pmail.Send(context.Background(), cfg, m); err != nil {
		t.Fatalf("none to localhost: %v", err)
	}
	local.Wait(t, 1)
}

// TestSendGuarded: without an allow-list entry, a mail server on a
// private or loopback address is not contacted, and the error says why
// in plain words.
func TestSendGuarded(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	m := pmail.Message{From: "help@acme.test", To: "ann@example.com", Subject: "x", Text: "y"}
	err := pmail.Send(context.Background(), pmail.Config{Host: "127.0.0.1", Port: srv.Port, Security: "none", Timeout: 5 * time.Second}, m)
	var perm *pmail.PermanentError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "which Parley does not call unless an admin allows it") {
		t.Fatalf("err = %v, want a permanent refusal in plain words", err)
	}
	if strings.Contains(err.Error(), "dial") || strings.Contains(err.Error(), "connect:") {
		t.Errorf("err = %q carries the raw dial error", err)
	}
}
