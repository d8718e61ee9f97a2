package parley

import (
	"testing"
	"time"
)

func TestParseTokenLifetime(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "never": 0, "30d": 30 * 24 * time.Hour, "1.5d": 36 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute, " 7d ": 7 * 24 * time.Hour,
	} {
		if got, err := ParseTokenLifetime(in); err != nil || got != want {
			t.Errorf("ParseTokenLifetime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0d", "-1d", "soon", "30", "1y", "d", "3661d", "99999999999d", "1e9h"} {
		if got, err := ParseTokenLifetime(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseTokenLifetime(%q) = %v, %v; want EINVALID", in, got, err)
		}
	}
}

func TestAPITokenValidate(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	tok := APIToken{Name: "  CRM  "}
	if err := tok.Validate(now); err != nil || tok.Name != "CRM" || tok.Scope != ScopeFull {
		t.Fatalf("Validate = %v, %+v", err, tok)
	}
	for name, bad := range map[string]APIToken{
		"no name":      {Name: " "},
		"long name":    {Name: string(make([]byte, 101))},
		"control char": {Name: "a\nb"},
		"bad scope":    {Name: "x", Scope: "admin"},
		"past expiry":  {Name: "x", ExpiresAt: &past},
		"expiry now":   {Name: "x", ExpiresAt: &now},
	} {
		if err := bad.Validate(now); ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate = %v, want EINVALID", name, err)
		}
	}
	ok := APIToken{Name: "x", Scope: ScopeIngest, ExpiresAt: &future}
	if err := ok.Validate(now); err != nil || !ok.Usable(now) || ok.Usable(future) || ok.Status(future) != "expired" || ok.Status(now) != "active" {
		t.Errorf("ingest token with expiry: %v, usable %v/%v", err, ok.Usable(now), ok.Usable(future))
	}
}
