package telemetry_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/telemetry"
)

// TestLLMCall: model calls are counted by feature, inbox and outcome,
// with labels that stay bounded whatever callers pass.
func TestLLMCall(t *testing.T) {
	reg := telemetry.New(telemetry.Sources{})
	reg.LLMCall("summary", 3, "ok", 120, 40)
	reg.LLMCall("summary", 3, "ok", 80, 10)
	reg.LLMCall("drafts", 0, "malformed", 200, 5)
	reg.LLMCall("drafts", 0, "timeout", 0, 0)
	reg.LLMCall("Not A Feature {}", 3, "weird", 1, 1)
	text := scrape(t, reg)
	want(t, text, `parley_llm_tokens_total{feature="summary",inbox="3",kind="prompt"}`, 200)
	want(t, text, `parley_llm_tokens_total{feature="summary",inbox="3",kind="completion"}`, 50)
	want(t, text, `parley_llm_tokens_total{feature="drafts",inbox="none",kind="prompt"}`, 200)
	want(t, text, `parley_llm_requests_total{feature="summary",outcome="ok"}`, 2)
	want(t, text, `parley_llm_requests_total{feature="drafts",outcome="malformed"}`, 1)
	want(t, text, `parley_llm_requests_total{feature="drafts",outcome="timeout"}`, 1)
	want(t, text, `parley_llm_requests_total{feature="other",outcome="error"}`, 1)

	// Many features: past the cap they share "other".
	for i := range 100 {
		reg.LLMCall(fmt.Sprintf("f%d", i), 1, "ok", 1, 1)
	}
	text = scrape(t, reg)
	features := map[string]bool{}
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, `parley_llm_requests_total{feature="`); ok {
			features[rest[:strings.IndexByte(rest, '"')]] = true
		}
	}
	if len(features) != 33 || !features["other"] || !features["f29"] || features["f30"] {
		t.Errorf("%d feature labels after 100 features: %v", len(features), features)
	}
}
