package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Provider is the workspace's model, as the features reach it: the saved
// settings, kept until they change (this process's own Save drops them at
// once; another process's save reaches Changed through the event log,
// and TTL is only a safety net), and one Client kept while they do not change, so connections
// and compiled schemas are reused. Safe for concurrent use.
type Provider struct {
	DB *store.DB
	// Guard is Parley's outbound guard; nil: outbound.Strict. The
	// configured model host is added to it for the model client only.
	Guard *outbound.Guard
	// Meter records every call; nil records nothing.
	Meter Meter
	// TTL bounds how stale the settings may be should a change's event
	// be missed; zero: a minute.
	TTL time.Duration

	mu       sync.Mutex
	cur      Settings
	loadedAt time.Time
	loaded   bool
	client   *Client
	builtFor Settings
}

func (p *Provider) ttl() time.Duration {
	if p.TTL <= 0 {
		return time.Minute
	}
	return p.TTL
}

// Settings returns the saved settings (DefaultSettings when none were
// saved), the API key included: never show it.
func (p *Provider) Settings(ctx context.Context) (Settings, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settingsLocked(ctx)
}

func (p *Provider) settingsLocked(ctx context.Context) (Settings, error) {
	if p.loaded && time.Since(p.loadedAt) < p.ttl() {
		return p.cur, nil
	}
	s, err := loadSettings(ctx, p.DB)
	if err != nil {
		return s, err
	}
	p.cur, p.loadedAt, p.loaded = s, time.Now(), true
	return s, nil
}

// Client returns the model client and the settings it was made from.
// The client is nil when no model is configured and switched on: the
// caller then uses the offline engine. s.MaskContacts says whether
// contact details must be masked before anything is sent.
func (p *Provider) Client(ctx context.Context) (c *Client, s Settings, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err = p.settingsLocked(ctx)
	if err != nil || !s.Configured() {
		return nil, s, err
	}
	if p.client != nil && p.builtFor == s {
		return p.client, s, nil
	}
	hc, err := httpClient(p.Guard, s)
	if err != nil {
		return nil, s, fmt.Errorf("llm: the model's host: %w", err)
	}
	p.client, p.builtFor = New(s.Config(), hc, p.Meter), s
	return p.client, s, nil
}

// Forget drops the cached settings, so the next call reads them.
func (p *Provider) Forget() {
	p.mu.Lock()
	p.loaded = false
	p.mu.Unlock()
}

// Changed drops the settings when a change from any process (read from
// the event log) concerns them.
func (p *Provider) Changed(c parley.Change) {
	if c.What == parley.ChangeEverything || c.What == parley.ChangeSetting && c.Key == SettingKey {
		p.Forget()
	}
}

// Save stores new settings, sealed. keepKey keeps the stored API key
// (a form whose key field was left empty; an API call without api_key).
// Only owners and admins may: the settings decide where customer text is
// sent. Returns EFORBIDDEN or EINVALID (nothing saved), or the saved
// settings.
func (p *Provider) Save(ctx context.Context, role parley.Role, s Settings, keepKey bool) (Settings, error) {
	if !role.IsAdmin() {
		return Settings{}, parley.Errorf(parley.EFORBIDDEN, "only owners and admins may change the AI model")
	}
	if keepKey {
		old, err := loadSettings(ctx, p.DB)
		if err != nil {
			return Settings{}, err
		}
		s.APIKey = old.APIKey
	}
	if err := s.Normalize(); err != nil {
		return Settings{}, err
	}
	if err := p.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetSealedSetting(SettingKey, s) }); err != nil {
		return Settings{}, err
	}
	p.Forget()
	return s, nil
}

// TestResult is what "Test connection" shows.
type TestResult struct {
	OK        bool          `json:"ok"`
	Model     string        `json:"model,omitempty"` // as the provider named it
	Reply     string        `json:"reply,omitempty"` // the start of its answer
	Latency   time.Duration `json:"-"`
	LatencyMS int64         `json:"latency_ms"`        // time to the whole answer
	Error     string        `json:"error,omitempty"`   // why it failed, in plain words
	Status    int           `json:"status,omitempty"`  // the provider's HTTP status, if it answered one
	Outcome   string        `json:"outcome,omitempty"` // ok, timeout, malformed or error
}

// testPrompt is the one tiny request a connection test sends. It holds
// no customer data.
const testPrompt = "Parley is checking that it can reach this model. Answer with the single word OK."

// Test sends one tiny request with s (which need not be saved or
// switched on) and says what happened. Only owners and admins may: it
// calls the network. An empty s.APIKey with keepKey uses the stored one.
// Its error is EFORBIDDEN or EINVALID; the call's own failure is in the
// result.
func (p *Provider) Test(ctx context.Context, role parley.Role, s Settings, keepKey bool) (TestResult, error) {
	if !role.IsAdmin() {
		return TestResult{}, parley.Errorf(parley.EFORBIDDEN, "only owners and admins may test the AI model")
	}
	if keepKey && s.APIKey == "" {
		old, err := loadSettings(ctx, p.DB)
		if err != nil {
			return TestResult{}, err
		}
		s.APIKey = old.APIKey
	}
	if err := s.Normalize(); err != nil {
		return TestResult{}, err
	}
	if s.BaseURL == "" || s.Model == "" {
		return TestResult{}, parley.Errorf(parley.EINVALID, "%s: enter them first", errNotConfigured)
	}
	hc, err := httpClient(p.Guard, s)
	if err != nil {
		return TestResult{}, parley.Errorf(parley.EINVALID, "the base URL's host cannot be called")
	}
	c := New(s.Config(), hc, p.Meter)
	resp, err := c.Chat(ctx, Request{Feature: "test", MaxTokens: 0, Messages: []Message{
		{Role: RoleSystem, Content: testPrompt},
		{Role: RoleUser, Content: "OK?"},
	}})
	hc.CloseIdleConnections()
	res := TestResult{OK: err == nil, Model: resp.Model, Latency: resp.Duration, LatencyMS: resp.Duration.Milliseconds(), Outcome: OutcomeOK}
	if r := []rune(strings.TrimSpace(resp.Content)); len(r) > 200 {
		res.Reply = string(r[:200]) + "…"
	} else {
		res.Reply = string(r)
	}
	if err != nil {
		res.Error, res.Status, res.Outcome = describe(err, s), statusOf(err), outcomeOf(err)
	}
	return res, nil
}

// describe words a failed call for an admin.
func describe(err error, s Settings) string {
	var pe *ProviderError
	var me *MalformedError
	switch {
	case errors.Is(err, ErrTimeout):
		return fmt.Sprintf("No answer within %d seconds. A local model may need a longer timeout, or may still be loading.", s.TimeoutSeconds)
	case errors.As(err, &pe) && pe.Status == 0:
		return "Could not reach the model: " + pe.Message + "."
	case errors.As(err, &pe):
		return fmt.Sprintf("The provider answered %d: %s", pe.Status, pe.Message)
	case errors.As(err, &me):
		return "The model answered, but " + me.Reason + "."
	}
	return "The request failed."
}

func statusOf(err error) int {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}

// outcomeOf is how a call's error is metered.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrTimeout):
		return OutcomeTimeout
	case errors.Is(err, ErrMalformed):
		return OutcomeMalformed
	}
	return OutcomeError
}

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }
