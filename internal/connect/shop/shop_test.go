package shop

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestIdempotency: a repeated POST with the same key and body is answered
// as the first time and acts once; the same key with another body is
// refused; without a key every POST acts.
func TestIdempotency(t *testing.T) {
	s := New()
	post := func(body, key string) (int, string) {
		req := httptest.NewRequest("POST", "/returns", strings.NewReader(body))
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	c1, b1 := post(`{"order_id":"A1001"}`, "k1")
	c2, b2 := post(`{"order_id":"A1001"}`, "k1")
	if c1 != http.StatusCreated || c2 != c1 || b2 != b1 || s.Counts().Labels != 1 || s.Counts().Replays != 1 {
		t.Fatalf("a repeat: %d %s / %d %s, counts %+v", c1, b1, c2, b2, s.Counts())
	}
	if c, _ := post(`{"order_id":"A1003"}`, "k1"); c != http.StatusUnprocessableEntity || s.Counts().Labels != 1 {
		t.Fatalf("the key with another body: %d, counts %+v", c, s.Counts())
	}
	post(`{"order_id":"A1001"}`, "")
	post(`{"order_id":"A1001"}`, "")
	if s.Counts().Labels != 3 {
		t.Fatalf("without keys: %+v", s.Counts())
	}
	if c, body := post(`{"order_id":"Z9"}`, "k2"); c != http.StatusNotFound || !strings.Contains(body, "no order") {
		t.Fatalf("an unknown order: %d %s", c, body)
	}
	req := httptest.NewRequest("POST", "/refunds", strings.NewReader(`{"order_id":"A1001","amount":500}`))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || s.Counts().Refunds != 0 {
		t.Fatalf("a refund above the order: %d %+v", w.Code, s.Counts())
	}
}
