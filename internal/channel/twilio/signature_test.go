package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"

	"github.com/parleyhq/parley/internal/channel"
)

// The vector from twilio-go's client/request_validator_test.go (MIT
// licence), used as test data. "Reason" must sort before
// "ReasonConferenceEnded" (names are sorted, not name+value strings).
var (
	vectorToken  = "12345"
	vectorURL    = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vectorParams = url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"},
		"ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
)

func TestSignatureTwilioGoVector(t *testing.T) {
	if got := Signature(vectorToken, vectorURL, vectorParams); got != "vOEb5UThFn24KEfnOFLQY2AE5FY=" {
		t.Errorf("Signature = %s", got)
	}
	if got := Signature(vectorToken, "http://mycompany.com/myapp.php?foo=1&bar=2", vectorParams); got != "n2xBNyzSW7rfYStDtOFiFMv7qNo=" {
		t.Errorf("http Signature = %s", got)
	}
	if err := Verify(vectorToken, vectorURL, vectorParams, "vOEb5UThFn24KEfnOFLQY2AE5FY="); err != nil {
		t.Errorf("Verify: %v", err)
	}
	// Sorting name+value strings instead of names gives this wrong value.
	if err := Verify(vectorToken, vectorURL, vectorParams, "95+Bu0JVPi0r/SsESZCVf0dWAjw="); !errors.Is(err, channel.ErrBadSignature) {
		t.Errorf("wrong-order signature accepted: %v", err)
	}
}

// independent computes the signature spelled out by hand, for a form
// whose keys are given already sorted.
func independent(token, u string, kv ...string) string {
	msg := u
	for i := 0; i < len(kv); i += 2 {
		msg += kv[i] + kv[i+1]
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	const token = "f00dfeedf00dfeedf00dfeedf00dfeed"
	const hook = "https://parley.example.com/webhooks/twilio/inbox-7?x=1"
	form := url.Values{
		"MessageSid": {"SM1234567890abcdef1234567890abcdef"}, "From": {"+15551234567"},
		"To": {"+15557654321"}, "Body": {"Hello! ünïcode & = +"}, "NumMedia": {"0"},
	}
	sig := independent(token, hook, "Body", "Hello! ünïcode & = +", "From", "+15551234567",
		"MessageSid", "SM1234567890abcdef1234567890abcdef", "NumMedia", "0", "To", "+15557654321")
	if got := Signature(token, hook, form); got != sig {
		t.Fatalf("Signature = %s, independent = %s", got, sig)
	}
	withPort := "https://parley.example.com:443/webhooks/twilio/inbox-7?x=1"
	sigWithPort := independent(token, withPort, "Body", "Hello! ünïcode & = +", "From", "+15551234567",
		"MessageSid", "SM1234567890abcdef1234567890abcdef", "NumMedia", "0", "To", "+15557654321")

	mutated := url.Values{}
	for k, v := range form {
		mutated[k] = v
	}
	mutated.Set("Body", "Hello? ünïcode & = +")
	extra := url.Values{"Extra": {""}}
	for k, v := range form {
		extra[k] = v
	}

	tests := []struct {
		name  string
		token string
		url   string
		form  url.Values
		sig   string
		ok    bool
	}{
		{"good", token, hook, form, sig, true},
		{"signed with :443, configured without", token, hook, form, sigWithPort, true},
		{"signed without port, request URL has :443", token, withPort, form, sig, true},
		{"wrong token", "other", hook, form, sig, false},
		{"empty token", "", hook, form, sig, false},
		{"missing header", token, hook, form, "", false},
		{"mutated body", token, hook, mutated, sig, false},
		{"added param", token, hook, extra, sig, false},
		{"other path", token, "https://parley.example.com/webhooks/twilio/inbox-8?x=1", form, sig, false},
		{"query dropped", token, "https://parley.example.com/webhooks/twilio/inbox-7", form, sig, false},
		{"http instead of https", token, "http://parley.example.com/webhooks/twilio/inbox-7?x=1", form, sig, false},
		{"garbage header", token, hook, form, "not base64 at all", false},
		{"one char off", token, hook, form, sig[:len(sig)-2] + "A=", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.token, tt.url, tt.form, tt.sig)
			if tt.ok && err != nil {
				t.Errorf("Verify: %v", err)
			}
			if !tt.ok && !errors.Is(err, channel.ErrBadSignature) {
				t.Errorf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestVerifyGET(t *testing.T) {
	// A GET webhook carries its parameters in the URL and signs the URL alone.
	u := "https://parley.example.com/hook?From=%2B1555&Body=hi"
	if err := Verify("tok", u, nil, independent("tok", u)); err != nil {
		t.Error(err)
	}
}

func TestSignatureRepeatedKey(t *testing.T) {
	f := url.Values{"A": {"2", "1"}}
	if got, want := Signature("t", "https://x/", f), independent("t", "https://x/", "A", "1", "A", "2"); got != want {
		t.Errorf("got %s want %s", got, want)
	}
}

// The published vectors of twilio-go's client/request_validator_test.go
// (also in twilio-python's tests): auth token "12345", this URL and these
// parameters. Each signature below was computed by Twilio's libraries on
// the URL as noted; Verify must accept it for the URL Parley rebuilds.
var (
	sdkURL    = "https://mycompany.com/myapp.php?foo=1&bar=2"
	sdkParams = url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"}}
	sdkBody     = []byte(`{"property": "value", "boolean": true}`)
	sdkBodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
)

func TestVerifySDKVectors(t *testing.T) {
	if got := Signature("12345", sdkURL, sdkParams); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("Signature = %s, want the SDKs' RSOYDt4T1cUTdK1PDd93/VVr8B8=", got)
	}
	custom := "https://mycompany.com:1234/myapp.php?foo=1&bar=2"
	for _, tt := range []struct {
		name, url, sig string
		ok             bool
	}{
		{"as signed", sdkURL, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true},
		{"custom https port, signed without it", custom, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true},
		{"no port, signed with :443", sdkURL, "kvajT1Ptam85bY51eRf/AJRuM3w=", true},
		{"http, signed without a port", "http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=", true},
		{"custom http port, signed with it", "http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", true},
		{"another custom port", "http://mycompany.com:5678/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", false},
		{"wrong signature", custom, "WRONG SIGNATURE", false},
	} {
		err := Verify("12345", tt.url, sdkParams, tt.sig)
		if tt.ok && err != nil {
			t.Errorf("%s: Verify(%s) = %v", tt.name, tt.url, err)
		}
		if !tt.ok && !errors.Is(err, channel.ErrBadSignature) {
			t.Errorf("%s: Verify(%s) = %v, want ErrBadSignature", tt.name, tt.url, err)
		}
	}
	// Parley on a custom port, IPv6 literal: signed with or without the port.
	v6 := "https://[2001:db8::1]:8443/hooks/sms/1"
	for _, signed := range []string{v6, "https://[2001:db8::1]/hooks/sms/1"} {
		if err := Verify("tok", v6, sdkParams, Signature("tok", signed, sdkParams)); err != nil {
			t.Errorf("IPv6 %s: %v", signed, err)
		}
	}
}

func TestVerifyBodySDKVectors(t *testing.T) {
	withHash := sdkURL + "&bodySHA256=" + sdkBodyHash
	if err := VerifyBody("12345", withHash, sdkBody, "a9nBmqA0ju/hNViExpshrM61xv4="); err != nil {
		t.Errorf("VerifyBody: %v", err)
	}
	if err := VerifyBody("12345", "https://mycompany.com/myapp.php?bodySHA256="+sdkBodyHash, sdkBody, "y77kIzt2vzLz71DgmJGsen2scGs="); err != nil {
		t.Errorf("VerifyBody, hash alone: %v", err)
	}
	for name, f := range map[string]func() error{
		"no bodySHA256":   func() error { return VerifyBody("12345", sdkURL, sdkBody, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") },
		"body changed":    func() error { return VerifyBody("12345", withHash, []byte(`{}`), "a9nBmqA0ju/hNViExpshrM61xv4=") },
		"wrong signature": func() error { return VerifyBody("12345", withHash, sdkBody, "y77kIzt2vzLz71DgmJGsen2scGs=") },
	} {
		if err := f(); !errors.Is(err, channel.ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}
