package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/llm/llmtest"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestAIModelSettings: an admin connects a model on this machine (the
// fake), tests it before and after saving, and never sees the key again;
// bad settings are refused and save nothing; agents can do none of it.
func TestAIModelSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		srv := llmtest.New(t)
		const key = "sk-web-5e4d3c2b1a0f9e8d7c6b"
		srv.Key = key
		cs := map[string]*client{"owner": e.login("owner@example.com"), "agent": e.login("agent@example.com")}
		form := func(kv ...string) url.Values {
			v := url.Values{"enabled": {"on"}, "base_url": {srv.URL}, "model": {"fake-model"}, "timeout_seconds": {"5"}, "mask_contacts": {"on"}}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "" {
					v.Del(kv[i])
				} else {
					v.Set(kv[i], kv[i+1])
				}
			}
			return v
		}
		runScenarios(t, e, cs, []scenario{
			{name: "page", who: "owner", method: "GET", path: "/app/admin/ai-model", status: 200,
				want: []string{"AI model", "API key: not set", `name="mask_contacts" checked`, `value="20"`}},
			{name: "agent page", who: "agent", method: "GET", path: "/app/admin/ai-model", status: 403},
			{name: "agent save", who: "agent", method: "POST", path: "/app/admin/ai-model", form: form("api_key", key), status: 403},
			{name: "agent test", who: "agent", method: "POST", path: "/app/admin/ai-model", form: form("action", "test"), status: 403},
			{name: "test before saving", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("api_key", key, "action", "test"), status: 200,
				want: []string{"Connected.", "fake-model", "OK", "Type the key again to save it", "API key: not set"}, forbid: []string{key}},
			{name: "test with a wrong key", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("api_key", "sk-wrong-0a1b2c3d4e5f6071", "action", "test"), status: 200,
				want: []string{"The test failed.", "401", "Incorrect API key"}, forbid: []string{"sk-wrong", "0a1b2c3d"}},
			{name: "bad URL", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("base_url", "javascript:alert(1)<b>", "api_key", key), status: 400,
				want: []string{"must be an http or https URL", "javascript:alert(1)&lt;b&gt;"}, forbid: []string{"alert(1)<b>", key}},
			{name: "no model", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("model", ""), status: 400, want: []string{"needs a base URL and a model name"}},
			{name: "save", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("api_key", key), status: 303},
			{name: "shown", who: "owner", method: "GET", path: "/app/admin/ai-model", status: 200,
				want: []string{"API key: set", srv.URL, "fake-model", `name="enabled" checked`}, forbid: []string{key}},
			{name: "test saved key", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("action", "test"), status: 200,
				want: []string{"Connected.", "API key: set"}, forbid: []string{key}},
			{name: "save without the key field", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("mask_contacts", ""), status: 303},
		})
		set, err := e.App.LLM.Settings(bg)
		if err != nil || set.APIKey != key || set.MaskContacts || !set.Configured() {
			t.Fatalf("stored = %+v, %v (the key kept, masking off)", set, err)
		}
		runScenarios(t, e, cs, []scenario{
			{name: "remove key", who: "owner", method: "POST", path: "/app/admin/ai-model", form: form("remove_key", "on"), status: 303},
			{name: "removed", who: "owner", method: "GET", path: "/app/admin/ai-model", status: 200, want: []string{"API key: not set"}},
		})
		for _, r := range srv.Requests() {
			if r.Status == 400 {
				t.Errorf("the fake refused a request's shape: %s", r.Problem)
			}
			if strings.Contains(string(r.Body), "Ana Pham") {
				t.Error("a connection test sent customer data")
			}
		}
	})
}
