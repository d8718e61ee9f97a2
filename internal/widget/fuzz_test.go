package widget

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzVisitorInput feeds arbitrary bodies and ids to the visitor input
// checks: they must never panic, and what they accept must be well formed.
func FuzzVisitorInput(f *testing.F) {
	f.Add(`{"id":"abcdefgh","text":"hi"}`, "pv_"+string(bytes.Repeat([]byte("A"), 43)))
	f.Add(`{"id":"x","text":`, "pv_")
	f.Add(`[]`, "")
	f.Fuzz(func(t *testing.T, body, token string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/widget/1/messages", bytes.NewBufferString(body))
		var req sendRequest
		if err := decode(w, r, &req); err == nil && len(body) > MaxJSONBytes {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
		if validClientID(token) && (len(token) < 8 || len(token) > 64) {
			t.Fatalf("accepted id %q", token)
		}
		if validToken(token) && len(hashToken(token)) != 64 {
			t.Fatal("bad hash")
		}
	})
}
