package widget

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/secret"
)

// FuzzVisitorInput feeds arbitrary bodies and ids to the visitor input
// checks: they must never panic, and what they accept must be well formed.
func FuzzVisitorInput(f *testing.F) {
	f.Add(`{"id":"abcdefgh","text":"hi"}`, "pv_"+string(bytes.Repeat([]byte("A"), 43)))
	f.Add(`{"id":"x","text":`, "pv_")
	f.Add(`[]`, "")
	box, err := secret.New("fuzz: a key for this test only, 32+ characters")
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{Box: box}
	issued, _, err := s.newToken(1)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{}`, issued)
	f.Add(`{}`, issued[:len(issued)-1]+"A")
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
		// Only a token this server signed is signed; nothing the fuzzer
		// writes should be (it would have forged an HMAC).
		switch s.checkToken(1, token) {
		case tokenSigned:
			if token != issued {
				t.Fatalf("forged token %q accepted as issued", token)
			}
		case tokenLegacy:
			if len(hashToken(token)) != 64 {
				t.Fatal("bad hash")
			}
		}
	})
}
