package secret

import (
	"errors"
	"os"
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

func TestKeyFile(t *testing.T) {
	path := t.TempDir() + "/sub/" + KeyFileName
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) < MinKeyLength {
		t.Fatalf("first: %q %v %v", k1, created, err)
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || k2 != k1 {
		t.Fatalf("second: %q %v %v, want the same key", k2, created, err)
	}
	if _, err := New(k1); err != nil {
		t.Fatalf("the file's key is not accepted: %v", err)
	}
	short := t.TempDir() + "/short.key"
	os.WriteFile(short, []byte("too short\n"), 0o600)
	if _, _, err := LoadOrCreateKeyFile(short); err == nil {
		t.Error("a key file with a short key was accepted")
	}
	// Many processes starting at once on one directory agree on one key.
	dir := t.TempDir() + "/" + KeyFileName
	keys := make(chan string, 8)
	for range 8 {
		go func() {
			k, _, err := LoadOrCreateKeyFile(dir)
			if err != nil {
				t.Error(err)
			}
			keys <- k
		}()
	}
	first := <-keys
	for range 7 {
		if k := <-keys; k != first {
			t.Fatalf("two keys made for one file: %q and %q", first, k)
		}
	}
}

func TestCheckValue(t *testing.T) {
	a, _ := New(testKey)
	b, _ := New(testKey + " but another")
	ca, err := a.CheckValue()
	if err != nil || ca == "" || strings.Contains(ca, testKey) {
		t.Fatalf("CheckValue = %q, %v", ca, err)
	}
	if again, _ := a.CheckValue(); again != ca {
		t.Error("CheckValue is not stable for one key")
	}
	if cb, _ := b.CheckValue(); cb == ca {
		t.Error("two keys give one check value")
	}
	if !IsSealed("v1:abc") || IsSealed("clear secret") {
		t.Error("IsSealed")
	}
}
