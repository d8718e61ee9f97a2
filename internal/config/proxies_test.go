package config

import "testing"

func TestTrustedProxies(t *testing.T) {
	c, err := FromEnv(func(k string) string {
		if k == "PARLEY_TRUSTED_PROXIES" {
			return "10.0.0.0/8, 192.0.2.7"
		}
		return ""
	})
	if err != nil || c.TrustedProxies != "10.0.0.0/8, 192.0.2.7" {
		t.Fatalf("from env = %q, %v", c.TrustedProxies, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.TrustedProxies = "10.0.0.0/8, proxy.internal"
	if err := c.Validate(); err == nil {
		t.Fatal("a host name as a trusted proxy was accepted")
	}
}
