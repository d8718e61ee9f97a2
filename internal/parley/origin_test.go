package parley

import (
	"strings"
	"testing"
)

func TestNormalizeOrigin(t *testing.T) {
	good := map[string]string{
		"https://www.example.com":       "https://www.example.com",
		" HTTPS://WWW.Example.COM/ ":    "https://www.example.com",
		"https://example.com:443":       "https://example.com",
		"http://example.com:80":         "http://example.com",
		"http://localhost:8080":         "http://localhost:8080",
		"https://example.com:8443/":     "https://example.com:8443",
		"http://127.0.0.1:3000":         "http://127.0.0.1:3000",
		"http://[::1]:3000":             "http://[::1]:3000",
		"https://*.example.com":         "https://*.example.com",
		"https://*.Example.com:8443":    "https://*.example.com:8443",
		"https://xn--bcher-kva.example": "https://xn--bcher-kva.example",
		"https://shop_1.example.com":    "https://shop_1.example.com",
	}
	for in, want := range good {
		got, err := NormalizeOrigin(in)
		if err != nil || got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "example.com", "www.example.com/", "ftp://example.com", "javascript:alert(1)", "data:text/html,x",
		"https://example.com/path", "https://example.com?x=1", "https://example.com#top", "https://example.com/?",
		"https://user:pw@example.com", "https://example.com:0", "https://example.com:65536", "https://example.com:",
		"https://example.com:08", "https://exa mple.com", "https://example.com; script-src *", "https://a.com https://b.com",
		"https://bücher.example", "https://*.com", "https://*", "https://*.*.example.com", "https://ex*ample.com",
		"https://-bad.example.com", "https://example..com", "https://example.com.", "https://'self'", "https://",
		"https://*.127.0.0.1", "https://example.com\x00", "null", "*", "'none'", "https://" + strings.Repeat("a", 300) + ".com",
	} {
		if got, err := NormalizeOrigin(in); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want EINVALID", in, got, err)
		}
	}
}

func TestNormalizeOrigins(t *testing.T) {
	got, err := NormalizeOrigins([]string{"https://Example.com/", "", "https://example.com", "https://*.example.com"})
	if err != nil || strings.Join(got, " ") != "https://example.com https://*.example.com" {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, err := NormalizeOrigins([]string{" * "}); err != nil || !AnyOriginAllowed(got) {
		t.Fatalf("any: %q, %v", got, err)
	}
	if got, err := NormalizeOrigins(nil); err != nil || got != nil {
		t.Fatalf("none: %q, %v", got, err)
	}
	if _, err := NormalizeOrigins([]string{"*", "https://example.com"}); ErrorCode(err) != EINVALID {
		t.Fatalf("* with others: %v", err)
	}
	many := make([]string, MaxAllowedOrigins+1)
	for i := range many {
		many[i] = "https://s" + strings.Repeat("x", i+1) + ".example.com"
	}
	if _, err := NormalizeOrigins(many); ErrorCode(err) != EINVALID {
		t.Fatalf("too many: %v", err)
	}
}

func TestOriginAllowed(t *testing.T) {
	list := []string{"https://example.com", "https://*.shop.example", "http://localhost:8080"}
	for origin, want := range map[string]bool{
		"https://example.com":         true,
		"https://EXAMPLE.com:443":     true,
		"http://example.com":          false, // another scheme is another origin
		"https://www.example.com":     false,
		"https://example.com:8443":    false,
		"https://a.shop.example":      true,
		"https://a.b.shop.example":    true,
		"https://shop.example":        false, // a wildcard is subdomains only
		"http://a.shop.example":       false,
		"https://a.shop.example:8443": false,
		"https://evilshop.example":    false,
		"https://a.shop.example.evil": false,
		"http://localhost:8080":       true,
		"http://localhost:8081":       false,
		"null":                        false,
		"":                            false,
		"https://*.shop.example":      false, // a pattern is not an origin
	} {
		if got := OriginAllowed(list, origin); got != want {
			t.Errorf("OriginAllowed(%q) = %v, want %v", origin, got, want)
		}
	}
	if !OriginAllowed([]string{AnyOrigin}, "https://anything.test") || OriginAllowed(nil, "https://example.com") {
		t.Fatal("any / none")
	}
}

func TestInboxAllowedOrigins(t *testing.T) {
	in := Inbox{Name: "Site", ChannelType: ChannelWidget, AllowedOrigins: []string{"https://Example.com/"}}
	if err := in.Validate(); err != nil || len(in.AllowedOrigins) != 1 || in.AllowedOrigins[0] != "https://example.com" {
		t.Fatalf("%v %q", err, in.AllowedOrigins)
	}
	bad := Inbox{Name: "Site", ChannelType: ChannelWidget, AllowedOrigins: []string{"https://example.com/page"}}
	if err := bad.Validate(); ErrorCode(err) != EINVALID {
		t.Fatalf("bad origin: %v", err)
	}
	api := Inbox{Name: "API", ChannelType: ChannelAPI, AllowedOrigins: []string{"*"}}
	if err := api.Validate(); ErrorCode(err) != EINVALID {
		t.Fatalf("origins on an API inbox: %v", err)
	}
}
