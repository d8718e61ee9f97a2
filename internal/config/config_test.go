package config

import (
	"io"
	"testing"
)

func TestPrecedence(t *testing.T) {
	env := map[string]string{"PARLEY_ADDR": ":9000", "PARLEY_DATA_DIR": "/var/parley", "PARLEY_MAX_JSON_BYTES": "4096"}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.FlagSet("serve", io.Discard).Parse([]string{"-addr", ":7000"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7000" || c.DataDir != "/var/parley" || c.MaxJSONBytes != 4096 || c.MaxUploadBytes != 25<<20 {
		t.Fatalf("config = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.DSN(); got != "/var/parley/parley.db" {
		t.Fatalf("DSN = %q", got)
	}
}

func TestBadValues(t *testing.T) {
	if _, err := FromEnv(func(k string) string {
		if k == "PARLEY_MAX_UPLOAD_BYTES" {
			return "lots"
		}
		return ""
	}); err == nil {
		t.Fatal("want an error for a non-numeric limit")
	}
	c := Default()
	c.DatabaseURL = "mysql://x"
	if err := c.Validate(); err == nil {
		t.Fatal("want an error for a non-postgres database URL")
	}
	for _, tok := range []string{"short", "has a space in the middle"} {
		c = Default()
		c.MetricsToken = tok
		if err := c.Validate(); err == nil {
			t.Errorf("metrics token %q: want an error", tok)
		}
	}
	c = Default()
	if err := c.FlagSet("serve", io.Discard).Parse([]string{"-metrics-token", "0123456789abcdef"}); err != nil || c.MetricsToken != "0123456789abcdef" {
		t.Fatalf("-metrics-token: %q, %v", c.MetricsToken, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// The profiler shows the process's memory: loopback only.
	for addr, ok := range map[string]bool{"127.0.0.1:6060": true, "localhost:6060": true, "[::1]:6060": true,
		":6060": false, "0.0.0.0:6060": false, "10.0.0.5:6060": false, "example.com:6060": false, "127.0.0.1": false} {
		c = Default()
		c.DebugAddr = addr
		if err := c.Validate(); (err == nil) != ok {
			t.Errorf("debug-addr %q: %v, want ok=%v", addr, err, ok)
		}
	}
	c = Default()
	c.DatabaseURL = "postgres://u:secret@db:5432/parley"
	if r := c.Redacted(); r != "postgres://…@db:5432/parley" {
		t.Fatalf("Redacted = %q", r)
	}
}
