package llm

import (
	"encoding/json"
	"regexp"
	"strings"
)

// The wire format of POST /chat/completions, as OpenAI documents it and
// Ollama, vLLM, llama.cpp's server and LocalAI accept it. Only the fields
// Parley uses are here; servers ignore none of them silently, so an
// unusual field is a request some server refuses.

type wireRequest struct {
	Model          string          `json:"model"`
	Messages       []wireMessage   `json:"messages"`
	Stream         bool            `json:"stream,omitempty"`
	StreamOptions  *wireStreamOpts `json:"stream_options,omitempty"`
	ResponseFormat *wireRespFormat `json:"response_format,omitempty"`
	Tools          []wireTool      `json:"tools,omitempty"`
	ToolChoice     string          `json:"tool_choice,omitempty"`
	Temperature    *float64        `json:"temperature,omitempty"`
	MaxTokens      int             `json:"max_tokens,omitempty"`
}

type wireStreamOpts struct {
	IncludeUsage bool `json:"include_usage"`
}

type wireRespFormat struct {
	Type       string          `json:"type"` // "json_schema"
	JSONSchema *wireJSONSchema `json:"json_schema,omitempty"`
}

type wireJSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict bool            `json:"strict"`
}

// wireMessage is a message both ways. Content is a pointer because an
// assistant message that only calls tools carries "content": null.
type wireMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	Refusal    *string        `json:"refusal,omitempty"`
}

type wireTool struct {
	Type     string       `json:"type"` // "function"
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// wireToolCall is a call in an answer; in a streamed chunk Index says
// which call a fragment belongs to, and the arguments arrive in pieces.
type wireToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// wireResponse is a whole answer, or one streamed chunk (whose choices
// carry Delta instead of Message).
type wireResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message      *wireMessage `json:"message"`
		Delta        *wireMessage `json:"delta"`
		FinishReason *string      `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	Error *wireError `json:"error"`
}

// wireError is the error body. OpenAI, Ollama and LocalAI nest it under
// "error"; llama.cpp sends a numeric code; older vLLM puts message and
// type at the top level. Code is kept raw for that reason.
type wireError struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

// wireErrorBody reads both shapes of error body.
type wireErrorBody struct {
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

// code renders a raw code ("rate_limit_exceeded", 429, null) as text.
func code(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if t := strings.TrimSpace(string(raw)); t != "null" {
		return t
	}
	return ""
}

// toWire builds the request body.
func (c *Client) toWire(req Request) wireRequest {
	w := wireRequest{Model: c.cfg.Model, ToolChoice: req.ToolChoice, Temperature: req.Temperature, MaxTokens: req.MaxTokens}
	for _, m := range req.Messages {
		wm := wireMessage{Role: m.Role, ToolCallID: m.ToolCallID}
		if m.Content != "" || len(m.ToolCalls) == 0 {
			content := m.Content
			wm.Content = &content
		}
		for _, tc := range m.ToolCalls {
			wt := wireToolCall{ID: tc.ID, Type: "function"}
			wt.Function.Name, wt.Function.Arguments = tc.Name, tc.Arguments
			wm.ToolCalls = append(wm.ToolCalls, wt)
		}
		w.Messages = append(w.Messages, wm)
	}
	for _, t := range req.Tools {
		w.Tools = append(w.Tools, wireTool{Type: "function", Function: wireFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	return w
}

// schemaName is the json_schema name the provider requires
// (^[a-zA-Z0-9_-]{1,64}$), made from the feature.
var nameInvalid = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

func schemaName(feature string) string {
	n := nameInvalid.ReplaceAllString(feature, "_")
	if n == "" {
		n = "answer"
	}
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}
