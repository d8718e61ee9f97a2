package llm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/llm/llmtest"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestProvider: settings saved by an admin, checked, read back with the
// key, and turned into a client that reaches a model on loopback because
// the admin named that host, and only then.
func TestProvider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db := storetest.Open(t, dialect)
		srv := llmtest.New(t)
		srv.Key = testKey
		m := &meter{}
		p := &llm.Provider{DB: db, Guard: outbound.Strict(), Meter: m}

		// Nothing saved: no model, masking on.
		if _, mask, ok, err := llm.Load(ctx, db); err != nil || ok || !mask {
			t.Fatalf("Load before any save: mask %v ok %v err %v", mask, ok, err)
		}
		if c, s, err := p.Client(ctx); err != nil || c != nil || !s.MaskContacts || s.TimeoutSeconds != 20 {
			t.Fatalf("Client before any save = %v, %+v, %v", c, s, err)
		}

		// Refusals save nothing.
		good := llm.Settings{Enabled: true, BaseURL: srv.URL + "/chat/completions", Model: "fake-model", APIKey: testKey, TimeoutSeconds: 5, MaskContacts: true}
		if _, err := p.Save(ctx, parley.RoleAgent, good, false); parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Fatalf("an agent saved: %v", err)
		}
		for _, bad := range []func(s *llm.Settings){
			func(s *llm.Settings) { s.BaseURL = "ftp://example.com/v1" },
			func(s *llm.Settings) { s.BaseURL = "https://user:pw@api.example.com/v1" },
			func(s *llm.Settings) { s.BaseURL = "https://api.example.com/v1?key=x" },
			func(s *llm.Settings) { s.BaseURL = "" },
			func(s *llm.Settings) { s.BaseURL = "http://169.254.169.254/v1" },
			func(s *llm.Settings) { s.Model = "" },
			func(s *llm.Settings) { s.Model = "m\nX-Injected: 1" },
			func(s *llm.Settings) { s.APIKey = "sk-abc\r\nX-Injected: 1" },
			func(s *llm.Settings) { s.TimeoutSeconds = 301 },
			func(s *llm.Settings) { s.TimeoutSeconds = -1 },
		} {
			s := good
			bad(&s)
			if _, err := p.Save(ctx, parley.RoleAdmin, s, false); parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("%+v: err = %v, want EINVALID", s, err)
			}
		}
		if _, _, ok, _ := llm.Load(ctx, db); ok {
			t.Fatal("a refused save was stored")
		}

		saved, err := p.Save(ctx, parley.RoleAdmin, good, false)
		if err != nil {
			t.Fatal(err)
		}
		if saved.BaseURL != srv.URL {
			t.Fatalf("base URL stored as %q", saved.BaseURL)
		}
		cfg, mask, ok, err := llm.Load(ctx, db)
		if err != nil || !ok || !mask || cfg.APIKey != testKey || cfg.Timeout != 5*time.Second || cfg.Model != "fake-model" {
			t.Fatalf("Load = %+v %v %v %v", cfg, mask, ok, err)
		}

		c, s, err := p.Client(ctx)
		if err != nil || c == nil || !s.MaskContacts {
			t.Fatalf("Client = %v %+v %v", c, s, err)
		}
		srv.Push(llmtest.Reply{Content: "Hello"})
		if resp, err := c.Chat(ctx, ask("summary", "hi")); err != nil || resp.Content != "Hello" {
			t.Fatalf("Chat through the provider: %+v %v", resp, err)
		}
		if again, _, _ := p.Client(ctx); again != c {
			t.Error("the client was rebuilt with unchanged settings")
		}

		// An empty key with keepKey keeps it; masking off is kept off.
		off := good
		off.APIKey, off.MaskContacts = "", false
		if _, err := p.Save(ctx, parley.RoleOwner, off, true); err != nil {
			t.Fatal(err)
		}
		if cfg, mask, _, _ := llm.Load(ctx, db); cfg.APIKey != testKey || mask {
			t.Fatalf("after keepKey save: key %q mask %v", cfg.APIKey, mask)
		}
		c2, _, _ := p.Client(ctx)
		if c2 == c {
			t.Error("the client was not rebuilt after a change")
		}

		// Switched off: no client, the settings stay.
		off.Enabled = false
		if _, err := p.Save(ctx, parley.RoleAdmin, off, true); err != nil {
			t.Fatal(err)
		}
		if c, s, _ := p.Client(ctx); c != nil || s.Model != "fake-model" {
			t.Fatalf("switched off: client %v settings %+v", c, s)
		}

		// Another process sees a change within its TTL.
		other := &llm.Provider{DB: db, TTL: 50 * time.Millisecond}
		if c, _, _ := other.Client(ctx); c != nil {
			t.Fatal("the other process has a client while switched off")
		}
		if _, err := p.Save(ctx, parley.RoleAdmin, good, false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond)
		if c, _, _ := other.Client(ctx); c == nil {
			t.Fatal("the other process did not see the model switched on")
		}
	})
}

// TestProviderTest: "Test connection" with good settings, the stored
// key, a wrong key and a slow model.
func TestProviderTest(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	srv := llmtest.New(t)
	srv.Key = testKey
	m := &meter{}
	p := &llm.Provider{DB: db, Meter: m}
	s := llm.Settings{BaseURL: srv.URL, Model: "fake-model", APIKey: testKey, TimeoutSeconds: 1}

	if _, err := p.Test(ctx, parley.RoleAgent, s, false); parley.ErrorCode(err) != parley.EFORBIDDEN {
		t.Fatalf("an agent tested: %v", err)
	}
	srv.Push(llmtest.Reply{Content: "OK"})
	res, err := p.Test(ctx, parley.RoleAdmin, s, false)
	if err != nil || !res.OK || res.Reply != "OK" || res.Model != "fake-model" || res.Error != "" {
		t.Fatalf("test = %+v, %v", res, err)
	}
	if sent := srv.Last(t).Request; len(sent.Messages) != 2 || sent.Model != "fake-model" {
		t.Fatalf("test request = %s", srv.Last(t).Body)
	}
	if got := m.last(t); got.feature != "test" || got.outcome != llm.OutcomeOK {
		t.Fatalf("metered %+v", got)
	}

	// The stored key is used when the form's is empty.
	if _, err := p.Save(ctx, parley.RoleAdmin, s, false); err != nil {
		t.Fatal(err)
	}
	noKey := s
	noKey.APIKey = ""
	if res, _ := p.Test(ctx, parley.RoleAdmin, noKey, true); !res.OK {
		t.Fatalf("test with the stored key = %+v", res)
	}

	wrong := s
	wrong.APIKey = "sk-wrong-0a1b2c3d4e5f60718293"
	res, _ = p.Test(ctx, parley.RoleAdmin, wrong, false)
	if res.OK || res.Status != 401 || !strings.Contains(res.Error, "Incorrect API key") || strings.Contains(res.Error, "sk-wrong") {
		t.Fatalf("wrong key = %+v", res)
	}

	srv.Push(llmtest.Reply{Content: "late", Delay: 10 * time.Second})
	start := time.Now()
	res, _ = p.Test(ctx, parley.RoleAdmin, s, false)
	if res.OK || res.Outcome != llm.OutcomeTimeout || !strings.Contains(res.Error, "No answer within 1 seconds") || time.Since(start) > 3*time.Second {
		t.Fatalf("slow model = %+v after %s", res, time.Since(start))
	}

	// Nothing configured: a clear refusal, nothing sent.
	if _, err := p.Test(ctx, parley.RoleAdmin, llm.Settings{}, false); parley.ErrorCode(err) != parley.EINVALID {
		t.Fatalf("empty settings: %v", err)
	}
}
