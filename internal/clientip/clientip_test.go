package clientip_test

import (
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/clientip"
)

func TestClient(t *testing.T) {
	for _, tc := range []struct {
		name      string
		trusted   string
		remote    string
		xff       []string
		forwarded string
		want      string
		fromHdr   bool
	}{
		{"no proxies trusted: the peer", "", "203.0.113.5:4000", nil, "", "203.0.113.5", false},
		{"no proxies trusted: a forged header is ignored", "", "203.0.113.5:4000", []string{"198.51.100.1"}, "", "203.0.113.5", false},
		{"untrusted peer forging past a trusted list", "10.0.0.0/8", "203.0.113.5:4000", []string{"10.0.0.1"}, "", "203.0.113.5", false},
		{"trusted proxy, one client", "10.0.0.0/8", "10.0.0.2:4000", []string{"198.51.100.1"}, "", "198.51.100.1", true},
		{"trusted proxy without a header: the proxy", "10.0.0.0/8", "10.0.0.2:4000", nil, "", "10.0.0.2", false},
		{"client-written entries left of the real one are not believed", "10.0.0.0/8", "10.0.0.2:4000",
			[]string{"1.1.1.1, 198.51.100.1"}, "", "198.51.100.1", true},
		{"chain of trusted proxies is skipped", "10.0.0.0/8, 192.0.2.7", "10.0.0.2:4000",
			[]string{"1.1.1.1, 198.51.100.1, 192.0.2.7", "10.9.9.9"}, "", "198.51.100.1", true},
		{"every hop trusted: the leftmost", "10.0.0.0/8", "10.0.0.2:4000", []string{"10.1.1.1, 10.2.2.2"}, "", "10.1.1.1", true},
		{"garbage from the client stops at the proxy before it", "10.0.0.0/8", "10.0.0.2:4000",
			[]string{"evil, 10.3.3.3"}, "", "10.3.3.3", true},
		{"garbage as the rightmost entry: the peer", "10.0.0.0/8", "10.0.0.2:4000", []string{"unknown"}, "", "10.0.0.2", false},
		{"entries with ports and brackets", "10.0.0.0/8", "10.0.0.2:4000", []string{"[2001:db8::1]:443"}, "", "2001:db8::1", true},
		{"IPv4 with a port", "10.0.0.0/8", "10.0.0.2:4000", []string{"198.51.100.1:5555"}, "", "198.51.100.1", true},
		{"single trusted address", "127.0.0.1", "127.0.0.1:4000", []string{"198.51.100.1"}, "", "198.51.100.1", true},
		{"IPv4-mapped peer matches an IPv4 list", "127.0.0.1", "[::ffff:127.0.0.1]:4000", []string{"198.51.100.1"}, "", "198.51.100.1", true},
		{"IPv6 proxy", "::1", "[::1]:4000", []string{"2001:db8::7"}, "", "2001:db8::7", true},
		{"Forwarded is not honoured", "10.0.0.0/8", "10.0.0.2:4000", nil, "for=198.51.100.1", "10.0.0.2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clientip.MustParse(tc.trusted)
			req, _ := http.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if tc.forwarded != "" {
				req.Header.Set("Forwarded", tc.forwarded)
			}
			got, fromHdr := r.Client(req)
			if got.String() != tc.want || fromHdr != tc.fromHdr {
				t.Errorf("Client = %s, %v; want %s, %v", got, fromHdr, tc.want, tc.fromHdr)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/", "1.2.3"} {
		if _, err := clientip.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	r, err := clientip.Parse(" 10.0.0.0/8 , ,192.0.2.7,::1,::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"10.200.0.1": true, "192.0.2.7": true, "192.0.2.8": false, "::1": true,
		"172.16.5.5": true, "172.32.0.1": false, "8.8.8.8": false} {
		req := &http.Request{RemoteAddr: addr}
		if got := r.Trusts(clientip.Peer(req)); got != want {
			t.Errorf("Trusts(%s) = %v", addr, got)
		}
	}
	var none *clientip.Resolver
	req := &http.Request{RemoteAddr: "127.0.0.1:1", Header: http.Header{"X-Forwarded-For": {"1.2.3.4"}}}
	if a, _ := none.Client(req); a.String() != "127.0.0.1" {
		t.Errorf("nil resolver = %s", a)
	}
}

func TestKey(t *testing.T) {
	for addr, want := range map[string]string{
		"198.51.100.1:1":          "198.51.100.1",
		"[2001:db8:1:2:3::9]:1":   "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::]:1": "2001:db8:1:2::/64",
		"garbage":                 "unknown",
	} {
		if got := (*clientip.Resolver)(nil).Key(&http.Request{RemoteAddr: addr}); got != want {
			t.Errorf("Key(%s) = %s, want %s", addr, got, want)
		}
	}
}
