package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
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
// it from X-Forwarded-Proto/Host, not from the request's own Host. Because
// Twilio is inconsistent about default ports, the URL is tried both with
// and without :443 / :80, as Twilio's own helper libraries do.
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

// urlVariants is fullURL as given, without its default port, and with it.
func urlVariants(fullURL string) []string {
	out := []string{fullURL}
	u, err := url.Parse(fullURL)
	if err != nil || u.Host == "" {
		return out
	}
	def := map[string]string{"https": "443", "http": "80"}[strings.ToLower(u.Scheme)]
	if def == "" {
		return out
	}
	switch u.Port() {
	case def:
		v := *u
		v.Host = strings.TrimSuffix(u.Host, ":"+def)
		out = append(out, v.String())
	case "":
		v := *u
		v.Host = u.Host + ":" + def
		out = append(out, v.String())
	}
	return out
}
