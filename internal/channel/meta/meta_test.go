package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
)

func TestVerifyChallenge(t *testing.T) {
	q := func(mode, token, challenge string) url.Values {
		v := url.Values{}
		if mode != "" {
			v.Set("hub.mode", mode)
		}
		if token != "" {
			v.Set("hub.verify_token", token)
		}
		if challenge != "" {
			v.Set("hub.challenge", challenge)
		}
		return v
	}
	tests := []struct {
		name     string
		query    url.Values
		token    string
		want     string
		wantFail bool
	}{
		{"ok", q("subscribe", "s3cret", "1158201444"), "s3cret", "1158201444", false},
		{"challenge echoed exactly", q("subscribe", "s3cret", "abc DEF+/="), "s3cret", "abc DEF+/=", false},
		{"wrong token", q("subscribe", "nope", "1"), "s3cret", "", true},
		{"token prefix", q("subscribe", "s3cre", "1"), "s3cret", "", true},
		{"wrong mode", q("unsubscribe", "s3cret", "1"), "s3cret", "", true},
		{"no mode", q("", "s3cret", "1"), "s3cret", "", true},
		{"no challenge", q("subscribe", "s3cret", ""), "s3cret", "", true},
		{"empty inbox token never matches", q("subscribe", "", "1"), "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyChallenge(tt.query, tt.token)
			if tt.wantFail {
				if !errors.Is(err, ErrHandshake) {
					t.Fatalf("err = %v, want ErrHandshake", err)
				}
				if got != "" {
					t.Fatalf("challenge %q returned on failure", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// independent computes the expected header without Sign.
func independent(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestSignKnownAnswer(t *testing.T) {
	// From the reference (§1a), recomputed: HMAC-SHA256(key "secret", "test").
	const want = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
	if got := Sign("secret", []byte("test")); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if got := independent("secret", "test"); got != want {
		t.Fatalf("independent = %s, want %s", got, want)
	}
	body := `{"object":"page","entry":[{"id":"1","messaging":[]}],"x":"\u00e9"}`
	if Sign("app-secret", []byte(body)) != independent("app-secret", body) {
		t.Fatal("Sign disagrees with crypto/hmac")
	}
}

func TestCheckSignature(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	good := independent("app-secret", string(body))
	mutated := append([]byte(nil), body...)
	mutated[3] ^= 1
	tests := []struct {
		name, secret, header string
		body                 []byte
		ok                   bool
	}{
		{"good", "app-secret", good, body, true},
		{"uppercase hex", "app-secret", "sha256=" + strings.ToUpper(good[7:]), body, true},
		{"prefix any case", "app-secret", "SHA256=" + good[7:], body, true},
		{"wrong secret", "other", good, body, false},
		{"mutated body", "app-secret", good, mutated, false},
		{"missing", "app-secret", "", body, false},
		{"no prefix", "app-secret", good[7:], body, false},
		{"sha1 prefix", "app-secret", "sha1=" + good[7:], body, false},
		{"prefix only", "app-secret", "sha256=", body, false},
		{"not hex", "app-secret", "sha256=zz" + good[9:], body, false},
		{"truncated", "app-secret", good[:len(good)-2], body, false},
		{"empty secret", "", independent("", string(body)), body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSignature(tt.secret, tt.body, tt.header)
			if tt.ok && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !tt.ok && !errors.Is(err, channel.ErrBadSignature) {
				t.Fatalf("err = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestDecodeGraphError(t *testing.T) {
	body := []byte(`{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
		"error_data":{"messaging_product":"whatsapp","details":"More than 24 hours have passed."},"fbtrace_id":"Axyz"}}`)
	ge := DecodeGraphError(400, http.Header{}, body)
	if ge.Code != 131047 || ge.HTTPStatus != 400 || ge.Type != "OAuthException" || ge.FBTraceID != "Axyz" ||
		ge.Details != "More than 24 hours have passed." {
		t.Fatalf("decoded %+v", ge)
	}
	if !strings.Contains(ge.Text(), "Re-engagement") || !strings.Contains(ge.Text(), "24 hours") {
		t.Fatalf("Text = %q", ge.Text())
	}

	ge = DecodeGraphError(400, http.Header{}, []byte(`{"error":{"message":"outside window","code":10,"error_subcode":2018278}}`))
	if ge.Code != 10 || ge.Subcode != 2018278 {
		t.Fatalf("decoded %+v", ge)
	}

	h := http.Header{}
	h.Set("Retry-After", "7")
	ge = DecodeGraphError(502, h, []byte("<html>Bad Gateway</html>"))
	if ge.Code != 0 || ge.RetryAfter != 7*time.Second || !strings.Contains(ge.Message, "Bad Gateway") {
		t.Fatalf("decoded %+v", ge)
	}
	ge = DecodeGraphError(503, http.Header{}, nil)
	if ge.Message != "Service Unavailable" {
		t.Fatalf("empty body message %q", ge.Message)
	}
	if !strings.Contains(ge.Error(), "503") {
		t.Fatalf("Error() = %q", ge.Error())
	}
}
