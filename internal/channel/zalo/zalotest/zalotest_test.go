package zalotest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The fake's own checks: malformed requests are refused and recorded.
func TestFakeRejectsMalformedSends(t *testing.T) {
	s := New("app", "secret", "tok", "ref")
	defer s.Close()
	tests := []struct {
		name, method, ctype, token, body string
		wantCode                         int
		problem                          bool
	}{
		{"good", "POST", "application/json", "tok", `{"recipient":{"user_id":"1"},"message":{"text":"hi"}}`, 0, false},
		{"bad token", "POST", "application/json", "nope", `{"recipient":{"user_id":"1"},"message":{"text":"hi"}}`, -216, false},
		{"form body", "POST", "application/x-www-form-urlencoded", "tok", `a=b`, -201, true},
		{"no user", "POST", "application/json", "tok", `{"recipient":{},"message":{"text":"hi"}}`, -201, true},
		{"unknown field", "POST", "application/json", "tok", `{"recipient":{"user_id":"1"},"message":{"text":"hi","foo":1}}`, -201, true},
		{"empty message", "POST", "application/json", "tok", `{"recipient":{"user_id":"1"},"message":{}}`, -201, true},
		{"bad media", "POST", "application/json", "tok", `{"recipient":{"user_id":"1"},"message":{"attachment":{"type":"template","payload":{"template_type":"media","elements":[{"media_type":"video","url":"u"}]}}}}`, -201, true},
		{"too long", "POST", "application/json", "tok", `{"recipient":{"user_id":"1"},"message":{"text":"` + strings.Repeat("a", 2001) + `"}}`, -201, true},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, s.URL+CSPath, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ctype)
		req.Header.Set("access_token", tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var ans struct {
			Error int `json:"error"`
		}
		if err := json.Unmarshal(b, &ans); err != nil || ans.Error != tc.wantCode {
			t.Errorf("%s: answer %s", tc.name, b)
		}
		reqs := s.Requests()
		if got := reqs[len(reqs)-1].Problem != ""; got != tc.problem {
			t.Errorf("%s: problem %q", tc.name, reqs[len(reqs)-1].Problem)
		}
	}
	resp, err := http.Get(s.URL + CSPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}
