package gateway_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/simulate"
)

// TestSMSCustomPort: Parley served on a port of its own (PARLEY_BASE_URL
// https://parley.example.com:8443) accepts Twilio's webhooks whether
// Twilio signed the URL with that port or without it, as Twilio's own
// libraries do; a signature for another port is still refused.
func TestSMSCustomPort(t *testing.T) {
	const base = "https://parley.example.com:8443"
	s := startSMS(t, "sqlite", func(c *config.Config) { c.BaseURL = base })
	for i, signed := range []string{base, "https://parley.example.com", "https://parley.example.com:9443"} {
		sim := simulate.Twilio{AccountSID: twAccount, AuthToken: twToken, URL: signed + s.hook, Number: twNumber}
		status, body := s.post(s.hook, sim.Messages(simulate.Message{From: twCustomer, Text: "port " + signed}))
		if ok := i < 2; ok && status != 200 {
			t.Errorf("signed on %s = %d %s, want 200", signed, status, body)
		} else if !ok && status != 401 {
			t.Errorf("signed on %s = %d, want 401", signed, status)
		}
	}
	// A JSON body is checked against bodySHA256 and refused as no message.
	if status, _ := s.post(s.hook+"?bodySHA256="+strings.Repeat("0", 64), simulate.Webhook{Body: []byte(`{}`)}); status != 401 {
		t.Errorf("unsigned JSON body = %d, want 401", status)
	}
}
