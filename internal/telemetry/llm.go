package telemetry

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Language model calls are counted by feature, inbox and outcome. The
// labels stay bounded: a feature is one of Parley's own short names (at
// most maxLLMFeatures of them; anything else is "other"), an inbox is its
// id (a workspace has few; past maxLLMInboxes they share "other"), and
// kind and outcome are fixed sets.
const (
	maxLLMFeatures = 32
	maxLLMInboxes  = 1000
)

var featureName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// llmMetrics holds the model counters.
type llmMetrics struct {
	tokens   *prometheus.CounterVec // feature, inbox, kind
	requests *prometheus.CounterVec // feature, outcome

	mu       sync.Mutex
	features map[string]bool
	inboxes  map[int64]bool
}

func newLLMMetrics() *llmMetrics {
	return &llmMetrics{
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_llm_tokens_total",
			Help: "Tokens sent to and received from the language model, by feature (summary, drafts, rewrite...), inbox id (\"none\" for calls outside an inbox) and kind (prompt or completion). Estimated at four bytes a token when the provider reports none.",
		}, []string{"feature", "inbox", "kind"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_llm_requests_total",
			Help: "Calls to the language model, by feature and outcome: ok, timeout, malformed (an empty, cut-off or invalid answer) or error (the provider refused or could not be reached). Every outcome but ok means the offline engine answered.",
		}, []string{"feature", "outcome"}),
		features: map[string]bool{},
		inboxes:  map[int64]bool{},
	}
}

// labels returns the bounded feature and inbox labels.
func (m *llmMetrics) labels(feature string, inboxID int64) (string, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !featureName.MatchString(feature) || (!m.features[feature] && len(m.features) >= maxLLMFeatures) {
		feature = "other"
	} else {
		m.features[feature] = true
	}
	inbox := "none"
	switch {
	case inboxID <= 0:
	case m.inboxes[inboxID] || len(m.inboxes) < maxLLMInboxes:
		m.inboxes[inboxID] = true
		inbox = strconv.FormatInt(inboxID, 10)
	default:
		inbox = "other"
	}
	return feature, inbox
}

// LLMCall records one call to the language model: it is what llm.Meter
// asks for, so the model client knows nothing of Prometheus.
func (r *Registry) LLMCall(feature string, inboxID int64, outcome string, promptTokens, completionTokens int) {
	switch outcome {
	case "ok", "timeout", "malformed", "error":
	default:
		outcome = "error"
	}
	f, inbox := r.llm.labels(feature, inboxID)
	r.llm.requests.WithLabelValues(f, outcome).Inc()
	if promptTokens > 0 {
		r.llm.tokens.WithLabelValues(f, inbox, "prompt").Add(float64(promptTokens))
	}
	if completionTokens > 0 {
		r.llm.tokens.WithLabelValues(f, inbox, "completion").Add(float64(completionTokens))
	}
}
