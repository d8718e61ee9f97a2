package twiliotest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// spy records the fake's complaints instead of failing the test.
type spy struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (s *spy) Errorf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, fmt.Sprintf(format, args...))
}

func TestFakeRejectsMalformedRequests(t *testing.T) {
	good := url.Values{"To": {"+15551234567"}, "From": {"+15557654321"}, "Body": {"hi"}}
	with := func(k string, v ...string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == nil {
			f.Del(k)
		} else {
			f[k] = v
		}
		return f
	}
	tests := []struct {
		name, method, path, user, pass, ctype string
		form                                  url.Values
		status                                int
		complaint                             string
	}{
		{"ok", "POST", "", "AC1", "tok", "", good, 201, ""},
		{"wrong account in path", "POST", "/2010-04-01/Accounts/AC2/Messages.json", "AC1", "tok", "", good, 404, "path"},
		{"GET", "GET", "", "AC1", "tok", "", good, 405, "method"},
		{"bad password", "POST", "", "AC1", "nope", "", good, 401, "auth"},
		{"json body", "POST", "", "AC1", "tok", "application/json", good, 400, "Content-Type"},
		{"unknown field", "POST", "", "AC1", "tok", "", with("Bodyy", "x"), 400, "unknown field"},
		{"no To", "POST", "", "AC1", "tok", "", with("To"), 400, "'To'"},
		{"From and service", "POST", "", "AC1", "tok", "", with("MessagingServiceSid", "MG1"), 400, "exactly one"},
		{"neither sender", "POST", "", "AC1", "tok", "", with("From"), 400, "exactly one"},
		{"no body", "POST", "", "AC1", "tok", "", with("Body"), 400, "body is required"},
		{"repeated Body", "POST", "", "AC1", "tok", "", with("Body", "a", "b"), 400, "repeated"},
		{"bad media url", "POST", "", "AC1", "tok", "", with("MediaUrl", "ftp://x"), 400, "media URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := &spy{TB: t}
			s := New(sp, "AC1", "tok")
			path := tt.path
			if path == "" {
				path = "/2010-04-01/Accounts/AC1/Messages.json"
			}
			req, _ := http.NewRequest(tt.method, s.URL+path, strings.NewReader(tt.form.Encode()))
			ct := tt.ctype
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ct)
			req.SetBasicAuth(tt.user, tt.pass)
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			sp.mu.Lock()
			defer sp.mu.Unlock()
			if tt.complaint == "" && len(sp.msgs) != 0 || tt.complaint != "" && (len(sp.msgs) != 1 || !strings.Contains(sp.msgs[0], tt.complaint)) {
				t.Errorf("complaints %q, want one about %q", sp.msgs, tt.complaint)
			}
			if n := len(s.Requests()); (tt.status == 201) != (n == 1) {
				t.Errorf("%d requests recorded", n)
			}
		})
	}
}
