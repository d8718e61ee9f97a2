package rbmtest

import (
	"fmt"
	"net/http"
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
	const id = "0f0e0d0c-0000-4000-8000-000000000001"
	const okPath = "/v1/phones/+447700900123/agentMessages?messageId=" + id
	tests := []struct {
		name, method, target, auth, ctype, body string
		status                                  int
		complaint                               string
	}{
		{"ok", "POST", okPath, "Bearer tok", "", `{"contentMessage":{"text":"hi"}}`, 200, ""},
		{"ok with agent and ttl", "POST", okPath + "&agentId=agent", "Bearer tok", "", `{"contentMessage":{"text":"hi","suggestions":[{"reply":{"text":"Yes","postbackData":"y"}}]},"ttl":"3600s"}`, 200, ""},
		{"not e164", "POST", "/v1/phones/447700900123/agentMessages?messageId=" + id, "Bearer tok", "", `{"contentMessage":{"text":"hi"}}`, 404, "path"},
		{"GET", "GET", okPath, "Bearer tok", "", ``, 405, "method"},
		{"no auth", "POST", okPath, "", "", `{"contentMessage":{"text":"hi"}}`, 401, "Bearer"},
		{"form body", "POST", okPath, "Bearer tok", "application/x-www-form-urlencoded", `text=hi`, 400, "Content-Type"},
		{"no messageId", "POST", "/v1/phones/+447700900123/agentMessages", "Bearer tok", "", `{"contentMessage":{"text":"hi"}}`, 400, "UUID"},
		{"extra query", "POST", okPath + "&foo=1", "Bearer tok", "", `{"contentMessage":{"text":"hi"}}`, 400, "query"},
		{"wrong agent", "POST", okPath + "&agentId=other", "Bearer tok", "", `{"contentMessage":{"text":"hi"}}`, 403, "agentId"},
		{"unknown field", "POST", okPath, "Bearer tok", "", `{"contentMessage":{"text":"hi"},"priority":1}`, 400, "unknown field"},
		{"no content", "POST", okPath, "Bearer tok", "", `{"ttl":"1s"}`, 400, "contentMessage is required"},
		{"two contents", "POST", okPath, "Bearer tok", "", `{"contentMessage":{"text":"hi","contentInfo":{"fileUrl":"https://x"}}}`, 400, "exactly one"},
		{"ttl and expire", "POST", okPath, "Bearer tok", "", `{"contentMessage":{"text":"hi"},"ttl":"1s","expireTime":"2026-01-01T00:00:00Z"}`, 400, "exclusive"},
		{"bad ttl", "POST", okPath, "Bearer tok", "", `{"contentMessage":{"text":"hi"},"ttl":"1h"}`, 400, "Duration"},
		{"long chip", "POST", okPath, "Bearer tok", "", `{"contentMessage":{"text":"hi","suggestions":[{"reply":{"text":"` + strings.Repeat("x", 26) + `","postbackData":"y"}}]}}`, 400, "25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := &spy{TB: t}
			s := New(sp, "tok")
			s.AgentID = "agent"
			req, _ := http.NewRequest(tt.method, s.URL+tt.target, strings.NewReader(tt.body))
			ct := tt.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
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
		})
	}
}
