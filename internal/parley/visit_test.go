package parley

import (
	"strings"
	"testing"
)

// TestCleanVisit: addresses lose their query and credentials, junk is
// dropped (not refused: a visit only helps the agent), lists are
// bounded, and the browser is named from its User-Agent.
func TestCleanVisit(t *testing.T) {
	if CleanVisit(nil, "") != nil || CleanVisit(&Visit{Page: VisitPage{URL: "javascript:alert(1)"}}, "") != nil {
		t.Fatal("a visit with no page is kept")
	}
	trail := []VisitPage{{URL: "ftp://x/"}}
	for range 15 {
		trail = append(trail, VisitPage{URL: "https://shop.example/p", Title: "P"})
	}
	attrs := map[string]string{"plan": "pro\x00", "bad key!": "x", "note": strings.Repeat("y", 300)}
	v := CleanVisit(&Visit{Page: VisitPage{URL: "https://u:p@shop.example/cart?token=abc#x", Title: "Cart\n<b>"}, Trail: trail, Attributes: attrs},
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
	if v.Page.URL != "https://shop.example/cart" || v.Page.Title != "Cart <b>" || len(v.Trail) != 10 || v.Attributes["plan"] != "pro" ||
		len(v.Attributes) != 2 || len([]rune(v.Attributes["note"])) != 200 || v.Browser != "Safari 17 on iOS" || v.Device != "phone" {
		t.Fatalf("%+v", v)
	}
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":               "Chrome 131 on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0":                                          "Firefox 133 on macOS",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36":         "Chrome 131 on Android",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0": "Edge 131 on Windows",
		"curl/8.5": "",
	} {
		if got, _ := Browser(ua); got != want {
			t.Errorf("%s: %q, want %q", ua, got, want)
		}
	}
}
