package gateway

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// Field is one setting or secret a channel takes. One list per channel
// drives validation, the admin form and the API's description of it.
type Field struct {
	Name      string `json:"name"`
	Label     string `json:"label"`
	Help      string `json:"help,omitempty"`
	Secret    bool   `json:"secret,omitempty"`
	Required  bool   `json:"required,omitempty"`
	Multiline bool   `json:"multiline,omitempty"`
	Kind      string `json:"kind,omitempty"` // "", "number", "bool", "url", "email"
}

// common settings every provider channel takes.
var common = []Field{
	{Name: "base_url", Label: "API base URL", Help: "Leave empty for the provider's own; set it to point at a test server.", Kind: "url"},
	{Name: "rate_per_second", Label: "Sends per second", Help: "Outgoing rate limit for this inbox; empty: the channel's default.", Kind: "number"},
}

// Fields returns the settings and secrets a channel type takes, or nil
// for types without a provider.
func Fields(t parley.ChannelType) []Field {
	d := drivers[t]
	if d == nil {
		return nil
	}
	return append(d.fields(), common...)
}

// Configure checks a provider inbox's settings and secrets and returns
// the secrets sealed for storing. Secrets left empty keep their stored
// value (old, sealed), so an admin can change a setting without typing
// every token again. Without PARLEY_SECRET_KEY nothing is sealed and the
// error says why.
func (g *Gateway) Configure(in *parley.Inbox, secrets map[string]string, old string) (string, error) {
	d := drivers[in.ChannelType]
	if d == nil {
		if len(in.Settings) > 0 || len(secrets) > 0 {
			return "", parley.Errorf(parley.EINVALID, "%s inboxes take no channel settings or secrets", in.ChannelType)
		}
		return "", nil
	}
	if !g.Box.HasKey() {
		return "", parley.Errorf(parley.EINVALID, "cannot store %s credentials: PARLEY_SECRET_KEY is not set; set it to a random string of at least 32 characters and restart Parley", in.ChannelType)
	}
	stored, err := g.open(old)
	if err != nil {
		return "", err
	}
	fields := Fields(in.ChannelType)
	known := map[string]Field{}
	for _, f := range fields {
		known[f.Name] = f
	}
	clean := map[string]string{}
	for k, v := range in.Settings {
		f, ok := known[k]
		if !ok || f.Secret {
			return "", parley.Errorf(parley.EINVALID, "%s inboxes have no setting %q", in.ChannelType, k)
		}
		v = strings.TrimSpace(v)
		if err := checkValue(f, v); err != nil {
			return "", err
		}
		if v != "" {
			clean[k] = v
		}
	}
	for k, v := range secrets {
		f, ok := known[k]
		if !ok || !f.Secret {
			return "", parley.Errorf(parley.EINVALID, "%s inboxes have no secret %q", in.ChannelType, k)
		}
		if v = strings.TrimSpace(v); v != "" {
			if len(v) > 8192 {
				return "", parley.Errorf(parley.EINVALID, "secret %s is longer than 8192 characters", k)
			}
			stored[k] = v
			if k == "access_token" {
				delete(stored, zaloExpiresKey) // a new token: its expiry is unknown until renewed
			}
		}
	}
	for _, f := range fields {
		if !f.Required {
			continue
		}
		if (f.Secret && stored[f.Name] == "") || (!f.Secret && clean[f.Name] == "") {
			return "", parley.Errorf(parley.EINVALID, "%s inboxes need %s (%s)", in.ChannelType, f.Label, f.Name)
		}
	}
	in.Settings = clean
	if err := d.check(in.Settings, stored); err != nil {
		return "", err
	}
	return g.seal(stored)
}

var emailish = regexp.MustCompile(`^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$`)

func checkValue(f Field, v string) error {
	if len(v) > 20000 {
		return parley.Errorf(parley.EINVALID, "setting %s is too long", f.Name)
	}
	if v == "" {
		return nil
	}
	switch f.Kind {
	case "number":
		if n, err := strconv.ParseFloat(v, 64); err != nil || n < 0 {
			return parley.Errorf(parley.EINVALID, "setting %s must be a number ≥ 0, not %q", f.Name, v)
		}
	case "bool":
		if v != "true" && v != "false" {
			return parley.Errorf(parley.EINVALID, "setting %s must be true or false", f.Name)
		}
	case "url":
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return parley.Errorf(parley.EINVALID, "setting %s must be an http(s) URL", f.Name)
		}
	case "email":
		if !emailish.MatchString(v) {
			return parley.Errorf(parley.EINVALID, "setting %s must be an email address", f.Name)
		}
	}
	return nil
}

// Template is a provider message template an inbox may send, configured
// one per line as name|language|body, with {{1}}, {{2}}… for variables.
type Template struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	Body     string `json:"body"`
	Params   int    `json:"params"`
}

var templateVar = regexp.MustCompile(`\{\{(\d+)\}\}`)

// Templates parses an inbox's templates setting.
func Templates(setting string) ([]Template, error) {
	var out []Template
	for i, line := range strings.Split(setting, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[1]) == "" {
			return nil, parley.Errorf(parley.EINVALID, "template line %d: want name|language|body, got %q", i+1, line)
		}
		t := Template{Name: strings.TrimSpace(parts[0]), Language: strings.TrimSpace(parts[1]), Body: strings.TrimSpace(parts[2])}
		for _, m := range templateVar.FindAllStringSubmatch(t.Body, -1) {
			n, _ := strconv.Atoi(m[1])
			t.Params = max(t.Params, n)
		}
		out = append(out, t)
	}
	return out, nil
}

// Render fills a template's variables.
func (t Template) Render(params []string) (string, error) {
	if len(params) != t.Params {
		return "", parley.Errorf(parley.EINVALID, "template %s takes %d values, got %d", t.Name, t.Params, len(params))
	}
	for i, p := range params {
		if strings.TrimSpace(p) == "" {
			return "", parley.Errorf(parley.EINVALID, "template %s: value %d is empty", t.Name, i+1)
		}
	}
	return templateVar.ReplaceAllStringFunc(t.Body, func(m string) string {
		n, _ := strconv.Atoi(m[2 : len(m)-2])
		if n < 1 || n > len(params) {
			return m
		}
		return params[n-1]
	}), nil
}

func fieldErr(t parley.ChannelType, format string, args ...any) error {
	return parley.Errorf(parley.EINVALID, "%s: %s", t, fmt.Sprintf(format, args...))
}

// StoredSecrets names the secrets an inbox has stored (never their
// values), so the settings page can say which are set.
func (g *Gateway) StoredSecrets(ctx context.Context, inboxID int64) (map[string]bool, error) {
	m, err := g.Secrets(ctx, inboxID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for k, v := range m {
		out[k] = v != ""
	}
	return out, nil
}

// HookURL is the webhook address to give a provider for an inbox.
func (g *Gateway) HookURL(in parley.Inbox) string {
	return fmt.Sprintf("%s/hooks/%s/%d", g.BaseURL(), in.ChannelType, in.ID)
}

// Secrets opens an inbox's stored secrets. Only the operator's tools use
// it (`parley simulate` signs webhooks with them); nothing serves them.
func (g *Gateway) Secrets(ctx context.Context, inboxID int64) (map[string]string, error) {
	sealed, err := g.DB.ChannelSecrets(ctx, inboxID)
	if err != nil {
		return nil, err
	}
	return g.open(sealed)
}
