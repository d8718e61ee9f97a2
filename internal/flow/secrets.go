package flow

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Secrets are what workflows authenticate with (an API token of the
// business's shop): kept in one setting sealed with the server's key,
// named in a header as {{ secrets.<name> }}, filled in only when a call
// is made, and never stored with a run or shown after they are saved.
const secretsSetting = "flow.secrets"

// SealedSettings names the settings the flow package keeps sealed, for
// start-up's key check (store.DB.CheckSecretKey).
var SealedSettings = []string{secretsSetting}

func (e *Engine) secrets(ctx context.Context) (map[string]string, error) {
	m := map[string]string{}
	if _, err := e.DB.SealedSetting(ctx, secretsSetting, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// SecretNames lists the saved secrets' names, never their values.
func (e *Engine) SecretNames(ctx context.Context) ([]string, error) {
	m, err := e.secrets(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(m)), nil
}

// SetSecret saves (or, with an empty value, removes) a secret.
func (e *Engine) SetSecret(ctx context.Context, name, value string) error {
	if !idPattern.MatchString(name) {
		return parley.Errorf(parley.EINVALID, "a secret's name is lower-case letters, digits and _, starting with a letter")
	}
	if len(value) > 4096 || strings.ContainsAny(value, "\r\n") {
		return parley.Errorf(parley.EINVALID, "a secret is one line of at most 4096 characters")
	}
	return e.DB.Write(ctx, func(tx *store.Tx) error {
		m := map[string]string{}
		if _, err := e.DB.SealedSetting(ctx, secretsSetting, &m); err != nil {
			return err
		}
		if value == "" {
			delete(m, name)
		} else {
			m[name] = value
		}
		return tx.SetSealedSetting(secretsSetting, m)
	})
}

// secretHeaders fills in the headers of r that name secrets.
func (e *Engine) secretHeaders(ctx context.Context, r request, env map[string]any) (map[string]string, error) {
	if len(r.SecretHeaders) == 0 {
		return nil, nil
	}
	m, err := e.secrets(ctx)
	if err != nil {
		return nil, err
	}
	senv := maps.Clone(env)
	sec := map[string]any{}
	for k, v := range m {
		sec[k] = v
	}
	senv["secrets"] = sec
	out := map[string]string{}
	for h, src := range r.SecretHeaders {
		t, err := parseHeaderTemplate(src)
		if err != nil {
			return nil, err
		}
		for _, name := range secretNames(src) {
			if _, ok := m[name]; !ok {
				return nil, permanentError{fmt.Sprintf("header %s names secrets.%s, which is not saved (Settings → Workflows)", h, name)}
			}
		}
		v, err := t.render(senv, nil)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, permanentError{fmt.Sprintf("header %s would hold a line break", h)}
		}
		out[h] = v
	}
	return out, nil
}

// secretNames lists the secrets.<name> a template names.
func secretNames(src string) []string {
	var out []string
	for rest := src; ; {
		i := strings.Index(rest, "secrets.")
		if i < 0 {
			return out
		}
		rest = rest[i+len("secrets."):]
		j := 0
		for j < len(rest) && (rest[j] == '_' || rest[j] >= 'a' && rest[j] <= 'z' || rest[j] >= '0' && rest[j] <= '9') {
			j++
		}
		out = append(out, rest[:j])
	}
}

// permanentError is a call that cannot succeed by trying again.
type permanentError struct{ msg string }

func (e permanentError) Error() string { return e.msg }

// Secret returns one saved secret's value ("" when there is none), for
// the API's check of signed events.
func (e *Engine) Secret(ctx context.Context, name string) (string, error) {
	m, err := e.secrets(ctx)
	if err != nil {
		return "", err
	}
	return m[name], nil
}
