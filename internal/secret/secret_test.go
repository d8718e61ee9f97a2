package secret

import (
	"errors"
	"strings"
	"testing"
)

const testKey = "a test key that is long enough to be accepted"

func TestSealOpen(t *testing.T) {
	b, err := New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := b.Seal([]byte(`{"access_token":"EAAG"}`))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal([]byte(`{"access_token":"EAAG"}`))
	if s1 == s2 {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if strings.Contains(s1, "EAAG") {
		t.Error("sealed value shows the plain text")
	}
	got, err := b.Open(s1)
	if err != nil || string(got) != `{"access_token":"EAAG"}` {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if v, err := b.Seal(nil); v != "" || err != nil {
		t.Errorf("Seal(nil) = %q, %v; want empty", v, err)
	}
}

func TestWrongKeyOrTampered(t *testing.T) {
	a, _ := New(testKey)
	b, _ := New(testKey + "!")
	s, _ := a.Seal([]byte("token"))
	if _, err := b.Open(s); !errors.Is(err, ErrOpen) {
		t.Errorf("other key: err = %v, want ErrOpen", err)
	}
	bad := s[:len(s)-2] + "AA"
	if _, err := a.Open(bad); !errors.Is(err, ErrOpen) {
		t.Errorf("tampered: err = %v, want ErrOpen", err)
	}
	if _, err := a.Open("plain"); !errors.Is(err, ErrOpen) {
		t.Errorf("unsealed: err = %v, want ErrOpen", err)
	}
}

func TestNoKeyRefuses(t *testing.T) {
	b, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Seal([]byte("x")); !errors.Is(err, ErrNoKey) {
		t.Errorf("Seal without key: %v", err)
	}
	if _, err := b.Open("v1:xx"); !errors.Is(err, ErrNoKey) {
		t.Errorf("Open without key: %v", err)
	}
	if _, err := New("short"); err == nil {
		t.Error("a short key was accepted")
	}
}
