// Package llm is Parley's client for a language model: any server that
// speaks the OpenAI chat-completions format (OpenAI, Ollama, vLLM,
// llama.cpp's server, LocalAI), reached at POST {base}/chat/completions.
// It asks for plain answers, streamed answers, tool calls and JSON that
// must match a schema (validated here, not trusted), meters every call
// per feature and inbox, and turns every failure into one of three typed
// errors (ErrTimeout, ErrMalformed, ErrProvider) that the assistant turns
// into "the offline engine answered instead".
//
// Customer text and tool output reach the model only as quoted data (see
// Data), never as instructions. The model's settings are a workspace
// setting with the key sealed at rest (settings.go), and connections go
// through Parley's outbound guard, extended with the one host the admin
// configured (see Provider).
//
// llmtest holds a fake server that checks every request's shape.
package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/outbound"
)

// DefaultTimeout bounds a call when Config.Timeout is zero. An agent
// waits for it with the offline answer already on screen, so it is short.
const DefaultTimeout = 20 * time.Second

// Config says which model to call and how.
type Config struct {
	// BaseURL is the API's base, the part before /chat/completions:
	// "https://api.openai.com/v1", "http://127.0.0.1:11434/v1".
	BaseURL string
	Model   string
	// APIKey is sent as "Authorization: Bearer <key>" when set; local
	// servers usually need none.
	APIKey string
	// Timeout bounds each call as a whole, streamed ones included; zero:
	// DefaultTimeout.
	Timeout time.Duration
}

// Meter records each call for accounting. telemetry.Registry implements
// it as Prometheus counters; the client calls it once per call, whatever
// the outcome, with the tokens the provider reported (or an estimate
// when it reported none).
type Meter interface {
	LLMCall(feature string, inboxID int64, outcome string, promptTokens, completionTokens int)
}

// Outcomes of a call, as metered.
const (
	OutcomeOK        = "ok"
	OutcomeTimeout   = "timeout"
	OutcomeMalformed = "malformed"
	OutcomeError     = "error"
)

// Roles of a message.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one message of the conversation sent to the model. Build
// the ones that carry customer text or tool output with Data and
// ToolResult, never by formatting that text into Content yourself.
type Message struct {
	Role    string
	Content string
	// ToolCalls are an assistant message's calls, sent back with the
	// tools' results on the next request.
	ToolCalls []ToolCall
	// ToolCallID is what a tool message answers.
	ToolCallID string
}

// Tool is a function the model may ask Parley to call. Parameters is a
// JSON Schema of its arguments (an object).
type Tool struct {
	Name        string
	Description string
	Parameters  []byte
}

// ToolCall is the model asking for a tool: Arguments is a JSON object
// as the model wrote it, which the caller must validate before use.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Request is one call. Feature ("summary", "drafts", "rewrite",
// "classify", "test") and InboxID are for accounting only; they are not
// sent.
type Request struct {
	Feature  string
	InboxID  int64
	Messages []Message
	Tools    []Tool
	// ToolChoice is "auto", "none" or "required"; empty: the server's
	// default.
	ToolChoice string
	// Temperature, when set, is sent; MaxTokens > 0 caps the answer.
	Temperature *float64
	MaxTokens   int
}

// Usage is what a call cost in tokens. Estimated is true when the
// provider reported nothing and the counts are Parley's estimate (four
// bytes a token).
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	Estimated        bool
}

// Response is the model's answer.
type Response struct {
	Content      string
	ToolCalls    []ToolCall
	FinishReason string // "stop", "length", "tool_calls", ...
	Model        string // the model that answered, as the provider names it
	Usage        Usage
	Duration     time.Duration
}

// The three ways a call fails. Test with errors.Is; errors.As gives the
// *ProviderError or *MalformedError with the detail.
var (
	// ErrTimeout: no complete answer within Config.Timeout (or the
	// caller's deadline).
	ErrTimeout = errors.New("llm: the model did not answer in time")
	// ErrMalformed: the answer is empty, cut off, not JSON, or JSON
	// that does not match the schema asked for.
	ErrMalformed = errors.New("llm: the model's answer is not usable")
	// ErrProvider: the provider answered with an error status, or could
	// not be reached.
	ErrProvider = errors.New("llm: the model provider answered with an error")
)

// ProviderError is an error status from the provider, or a connection
// that failed (Status 0). Message is the provider's own words, with
// anything that looks like the API key taken out; it never holds the
// raw network error either (see outbound.Describe).
type ProviderError struct {
	Status  int
	Message string
	Type    string
	Code    string
}

func (e *ProviderError) Error() string {
	if e.Status == 0 {
		return "llm: model provider unreachable: " + e.Message
	}
	return fmt.Sprintf("llm: model provider answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

func (e *ProviderError) Is(target error) bool { return target == ErrProvider }

// MalformedError says why an answer is not usable. Its text never quotes
// the answer (which may repeat customer text); Content holds it for
// callers that want to log it deliberately.
type MalformedError struct {
	Reason  string
	Content string
}

func (e *MalformedError) Error() string { return "llm: unusable answer: " + e.Reason }

func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// Client calls one model. It is safe for concurrent use.
type Client struct {
	cfg   Config
	url   string
	http  *http.Client
	meter Meter

	schemas sync.Map // schema text → *compiledSchema
}

// New returns a client for cfg. httpClient should come from Parley's
// outbound guard (Provider does this); nil means outbound.Strict's,
// public addresses only. Its own timeout is not relied on: each call is
// bounded by cfg.Timeout. meter may be nil.
func New(cfg Config, httpClient *http.Client, meter Meter) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if httpClient == nil {
		httpClient = outbound.Strict().HTTPClient(cfg.Timeout + 5*time.Second)
	}
	return &Client{cfg: cfg, url: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions", http: httpClient, meter: meter}
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Engine names the model for "which engine produced this": "model:" and
// the model's name.
func (c *Client) Engine() string { return "model:" + c.cfg.Model }
