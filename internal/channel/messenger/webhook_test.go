package messenger

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"

	"github.com/parleyhq/parley/internal/channel"
)

func TestWebhookSignature(t *testing.T) {
	raw, err := os.ReadFile("testdata/text.json")
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte("app-secret"))
	m.Write(raw)
	header := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if err := CheckSignature("app-secret", raw, header); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	if _, err := Parse(raw); err != nil {
		t.Fatal(err)
	}
	if err := CheckSignature("app-secret", append(raw, ' '), header); !errors.Is(err, channel.ErrBadSignature) {
		t.Fatalf("changed body: %v", err)
	}
	if err := CheckSignature("other", raw, header); !errors.Is(err, channel.ErrBadSignature) {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := CheckSignature("app-secret", raw, ""); !errors.Is(err, channel.ErrBadSignature) {
		t.Fatalf("missing header: %v", err)
	}
	// Meta's published vector.
	if err := CheckSignature("secret", []byte("test"), "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookHandshake(t *testing.T) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"tok"}, "hub.challenge": {"987654"}}
	if got, err := VerifyChallenge(q, "tok"); err != nil || got != "987654" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := VerifyChallenge(q, "other"); err == nil {
		t.Fatal("wrong token accepted")
	}
}
