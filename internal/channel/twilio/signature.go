package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"

	"github.com/parleyhq/parley/internal/channel"
)

// SignatureHeader is the header Twilio signs its webhooks with.
const SignatureHeader = "X-Twilio-Signature"

// Signature computes Twilio's request signature: base64 of HMAC-SHA1,
// keyed with the account's auth token, over the full URL Twilio was told
// to call (scheme, host, path and query, exactly as configured) followed
// by every POST parameter's name and value, in byte order of the names.
//
// Twilio never repeats a parameter in its webhooks; if one is repeated,
// each of its values is appended (name+value) in sorted order.
func Signature(authToken, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := form[k]
		if len(vs) > 1 {
			vs = append([]string(nil), vs...)
			sort.Strings(vs)
		}
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook's X-Twilio-Signature header value (signature)
// against the auth token, the public URL the request was sent to and its
// POST form (nil or empty for a GET webhook, whose parameters are in the
// URL). It returns channel.ErrBadSignature when the signature is missing
// or wrong.
//
// fullURL must be the URL as Twilio saw it: behind a reverse proxy, rebuild
// it from X-Forwarded-Proto/Host, not from the request's own Host. Twilio
// signs the URL with or without its port, inconsistently, so the URL is
// tried as given, with any port removed (a custom one too: Parley served
// on :8443 gets signatures computed without it), and with the scheme's
// default port added when it has none. These are the rules of Twilio's
// own helper libraries (twilio-go, twilio-python, twilio-node).
func Verify(authToken, fullURL string, form url.Values, signature string) error {
	if authToken == "" || signature == "" {
		return channel.ErrBadSignature
	}
	got := []byte(signature)
	for _, u := range urlVariants(fullURL) {
		if hmac.Equal(got, []byte(Signature(authToken, u, form))) {
			return nil
		}
	}
	return channel.ErrBadSignature
}

// VerifyBody checks a webhook whose body is not a form (JSON): Twilio
// then signs the URL alone, which carries the body's hex SHA-256 in its
// bodySHA256 query parameter. Both must match, as in Twilio's libraries;
// a URL without bodySHA256 is refused.
func VerifyBody(authToken, fullURL string, body []byte, signature string) error {
	u, err := url.Parse(fullURL)
	if err != nil {
		return channel.ErrBadSignature
	}
	want := u.Query().Get("bodySHA256")
	if want == "" {
		return channel.ErrBadSignature
	}
	if err := Verify(authToken, fullURL, nil, signature); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if !hmac.Equal([]byte(strings.ToLower(want)), []byte(hex.EncodeToString(sum[:]))) {
		return channel.ErrBadSignature
	}
	return nil
}

// urlVariants is fullURL as given, without its port, and with the
// scheme's default port when it has none.
func urlVariants(fullURL string) []string {
	out := []string{fullURL}
	u, err := url.Parse(fullURL)
	if err != nil || u.Host == "" {
		return out
	}
	if u.Port() != "" {
		v := *u
		v.Host = bracket(u.Hostname())
		return append(out, v.String())
	}
	def := map[string]string{"https": "443", "http": "80"}[strings.ToLower(u.Scheme)]
	if def == "" {
		return out
	}
	v := *u
	v.Host = bracket(u.Hostname()) + ":" + def
	return append(out, v.String())
}

// bracket puts an IPv6 address back in brackets for a URL's host.
func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
