package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// SettingKey is the settings row holding the workspace's model provider,
// sealed whole (the API key is in it) with store's SetSealedSetting.
const SettingKey = "ai_model"

// Limits on what an admin may save.
const (
	MaxTimeoutSeconds = 300
	maxURLLength      = 500
	maxModelLength    = 200
	maxKeyLength      = 1000
)

// Settings are the workspace's model provider, as an admin sets them
// under Settings → AI model.
type Settings struct {
	// Enabled switches the model on; off, every feature uses the offline
	// engine and nothing is sent anywhere, whatever else is set.
	Enabled bool   `json:"enabled"`
	BaseURL string `json:"base_url"`
	Model   string `json:"model"`
	APIKey  string `json:"api_key"`
	// TimeoutSeconds bounds each call (1 to MaxTimeoutSeconds).
	TimeoutSeconds int `json:"timeout_seconds"`
	// MaskContacts asks the features to replace emails, phone numbers,
	// card-like numbers and names with placeholders before anything is
	// sent. On unless an admin turns it off.
	MaskContacts bool `json:"mask_contacts"`
}

// DefaultSettings are what a workspace has before an admin saves any.
func DefaultSettings() Settings {
	return Settings{TimeoutSeconds: int(DefaultTimeout.Seconds()), MaskContacts: true}
}

// Configured reports whether a model should be called: switched on, with
// a base URL and a model.
func (s Settings) Configured() bool { return s.Enabled && s.BaseURL != "" && s.Model != "" }

// Config is the client configuration the settings make.
func (s Settings) Config() Config {
	cfg := Config{BaseURL: s.BaseURL, Model: s.Model, APIKey: s.APIKey}
	if s.TimeoutSeconds > 0 {
		cfg.Timeout = secondsDuration(s.TimeoutSeconds)
	}
	return cfg
}

// Host is the base URL's host name or address, which the model client
// may reach although it is not public (see Provider).
func (s Settings) Host() string {
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Normalize checks settings and puts them in their stored form: the base
// URL without a trailing "/" (nor "/chat/completions", which admins paste
// from provider docs), spaces trimmed. Returns EINVALID saying what is
// wrong.
func (s *Settings) Normalize() error {
	s.BaseURL, s.Model, s.APIKey = strings.TrimSpace(s.BaseURL), strings.TrimSpace(s.Model), strings.TrimSpace(s.APIKey)
	s.BaseURL = strings.TrimSuffix(strings.TrimRight(s.BaseURL, "/"), "/chat/completions")
	if s.TimeoutSeconds == 0 {
		s.TimeoutSeconds = int(DefaultTimeout.Seconds())
	}
	if s.TimeoutSeconds < 1 || s.TimeoutSeconds > MaxTimeoutSeconds {
		return parley.Errorf(parley.EINVALID, "the timeout must be between 1 and %d seconds", MaxTimeoutSeconds)
	}
	if s.Enabled && (s.BaseURL == "" || s.Model == "") {
		return parley.Errorf(parley.EINVALID, "a model needs a base URL and a model name to be switched on")
	}
	if s.BaseURL != "" {
		if err := checkBaseURL(s.BaseURL); err != nil {
			return err
		}
	}
	if len(s.Model) > maxModelLength || strings.IndexFunc(s.Model, unicode.IsControl) >= 0 {
		return parley.Errorf(parley.EINVALID, "the model name must be at most %d characters, without control characters", maxModelLength)
	}
	if len(s.APIKey) > maxKeyLength || strings.IndexFunc(s.APIKey, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return parley.Errorf(parley.EINVALID, "the API key must be at most %d characters, without spaces", maxKeyLength)
	}
	return nil
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxURLLength:
		return parley.Errorf(parley.EINVALID, "the base URL is longer than %d characters", maxURLLength)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		return parley.Errorf(parley.EINVALID, "the base URL must be an http or https URL such as https://api.openai.com/v1 or http://127.0.0.1:11434/v1")
	case u.User != nil:
		return parley.Errorf(parley.EINVALID, "the base URL must not hold a user name or password: put the key in the API key field")
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.Contains(raw, "#"):
		return parley.Errorf(parley.EINVALID, "the base URL must not have a query or fragment")
	}
	// A cloud metadata service is never a model, and naming its address
	// here would hand it whatever the model client sends.
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && outbound.Classify(a) == outbound.KindLinkLocal {
		return parley.Errorf(parley.EINVALID, "the base URL's host is %s: not a model server", outbound.KindLinkLocal)
	}
	if _, err := outbound.ParseAllowList(u.Hostname()); err != nil {
		return parley.Errorf(parley.EINVALID, "the base URL's host %q is not a host name or address Parley can call", u.Hostname())
	}
	return nil
}

// Load reads the workspace's model settings: the client configuration,
// whether contact details must be masked, and ok, false when no model is
// configured and switched on (then only the offline engine runs).
func Load(ctx context.Context, db *store.DB) (cfg Config, mask bool, ok bool, err error) {
	s, err := loadSettings(ctx, db)
	if err != nil {
		return Config{}, true, false, err
	}
	return s.Config(), s.MaskContacts, s.Configured(), nil
}

func loadSettings(ctx context.Context, db *store.DB) (Settings, error) {
	s := DefaultSettings()
	if _, err := db.SealedSetting(ctx, SettingKey, &s); err != nil {
		return DefaultSettings(), fmt.Errorf("llm: load settings: %w", err)
	}
	return s, nil
}

// httpClient returns a client through guard extended with the settings'
// host: the admin named that host, so it may be loopback or private (a
// local Ollama) without opening it to anything else in Parley. The
// transport waits for response headers as long as the call's own
// timeout allows: a local model may think for a minute before its first
// byte.
func httpClient(guard *outbound.Guard, s Settings) (*http.Client, error) {
	if guard == nil {
		guard = outbound.Strict()
	}
	g, err := guard.With(s.Host())
	if err != nil {
		return nil, err
	}
	c := g.HTTPClient(secondsDuration(s.TimeoutSeconds) + secondsDuration(5))
	if t, ok := c.Transport.(*http.Transport); ok {
		t = t.Clone()
		t.ResponseHeaderTimeout = 0
		c.Transport = t
	}
	return c, nil
}

// errNotConfigured is what Test says with nothing to test.
var errNotConfigured = errors.New("no base URL and model are set")
