package llmtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/llm"
)

// Request is a chat-completions request as the fake decoded it: every
// field the documented format allows (an unknown one is refused, as
// OpenAI refuses it).
type Request struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       *StreamOptions  `json:"stream_options"`
	ResponseFormat      *ResponseFormat `json:"response_format"`
	Tools               []Tool          `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Seed                *int            `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	User                string          `json:"user"`
}

// Message is one message; Text is its content decoded (Content must be a
// JSON string, or null for an assistant message that only calls tools).
type Message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []WireToolCall  `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	Text       string          `json:"-"`
}

// WireToolCall is a tool call in an assistant message.
type WireToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// StreamOptions is stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ResponseFormat is response_format.
type ResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	} `json:"json_schema"`
}

// Tool is one entry of tools.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

// SchemaName is the json_schema name asked for, "" when none: Parley names
// it after the feature ("summary", "drafts").
func (r Request) SchemaName() string {
	if r.ResponseFormat == nil || r.ResponseFormat.JSONSchema == nil {
		return ""
	}
	return r.ResponseFormat.JSONSchema.Name
}

// System returns the system messages' text, joined.
func (r Request) System() string {
	var parts []string
	for _, m := range r.Messages {
		if m.Role == "system" || m.Role == "developer" {
			parts = append(parts, m.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Data returns the data of the first data message (see llm.Data) with
// this label.
func (r Request) Data(label string) (json.RawMessage, bool) {
	for _, m := range r.Messages {
		var env struct {
			Label string          `json:"parley_data"`
			Data  json.RawMessage `json:"data"`
		}
		if (m.Role == "user" || m.Role == "tool") && json.Unmarshal([]byte(m.Text), &env) == nil && env.Label == label {
			return env.Data, true
		}
	}
	return nil, false
}

const maxRequestBytes = 8 << 20

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("could not read the body: %v", err)
	}
	if len(b) > maxRequestBytes {
		return nil, errors.New("the body is larger than 8 MiB")
	}
	return b, nil
}

var (
	nameOK  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	roles   = []string{"system", "developer", "user", "assistant", "tool"}
	choices = []string{"none", "auto", "required"}
)

// Check decodes a request body and says what is wrong with it against
// the documented format ("" when nothing is).
func Check(contentType string, body []byte) (Request, string) {
	var req Request
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return req, fmt.Sprintf("Content-Type must be application/json, got %q", contentType)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, "We could not parse the JSON body of your request: " + err.Error()
	}
	if dec.More() {
		return req, "The body holds more than one JSON value."
	}
	if req.Model == "" {
		return req, "you must provide a model parameter"
	}
	if len(req.Messages) == 0 {
		return req, "'messages' must contain at least one message"
	}
	callIDs := map[string]bool{}
	for i := range req.Messages {
		if p := checkMessage(&req.Messages[i], callIDs); p != "" {
			return req, fmt.Sprintf("messages[%d]: %s", i, p)
		}
	}
	if req.StreamOptions != nil && !req.Stream {
		return req, "The 'stream_options' parameter is only allowed when 'stream' is enabled."
	}
	if req.MaxTokens != nil && *req.MaxTokens <= 0 || req.MaxCompletionTokens != nil && *req.MaxCompletionTokens <= 0 {
		return req, "max_tokens must be a positive integer"
	}
	if req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 2) {
		return req, "temperature must be between 0 and 2"
	}
	if p := checkFormat(req.ResponseFormat, req.Messages); p != "" {
		return req, p
	}
	if p := checkTools(req); p != "" {
		return req, p
	}
	return req, ""
}

func checkMessage(m *Message, callIDs map[string]bool) string {
	if !slices.Contains(roles, m.Role) {
		return fmt.Sprintf("invalid role %q: must be one of %s", m.Role, strings.Join(roles, ", "))
	}
	null := len(m.Content) == 0 || string(m.Content) == "null"
	switch {
	case null && m.Role == "assistant" && len(m.ToolCalls) > 0:
	case null:
		return "content is required"
	default:
		if err := json.Unmarshal(m.Content, &m.Text); err != nil {
			return "content must be a string"
		}
	}
	if len(m.ToolCalls) > 0 && m.Role != "assistant" {
		return "only assistant messages may have tool_calls"
	}
	for _, tc := range m.ToolCalls {
		if tc.ID == "" || tc.Type != "function" || !nameOK.MatchString(tc.Function.Name) {
			return "each tool call needs an id, type \"function\" and a valid function name"
		}
		var args map[string]any
		if json.Unmarshal([]byte(tc.Function.Arguments), &args) != nil {
			return "a tool call's arguments must be a JSON object encoded as a string"
		}
		callIDs[tc.ID] = true
	}
	if m.Role == "tool" && !callIDs[m.ToolCallID] {
		return "a message with role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id " + fmt.Sprintf("%q", m.ToolCallID) + ")"
	}
	if m.Role != "tool" && m.ToolCallID != "" {
		return "only tool messages may have tool_call_id"
	}
	return ""
}

func checkFormat(f *ResponseFormat, msgs []Message) string {
	if f == nil {
		return ""
	}
	switch f.Type {
	case "text":
	case "json_object":
		for _, m := range msgs {
			if strings.Contains(strings.ToLower(m.Text), "json") {
				return ""
			}
		}
		return "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
	case "json_schema":
		js := f.JSONSchema
		if js == nil {
			return "response_format.json_schema is required when type is json_schema"
		}
		if !nameOK.MatchString(js.Name) {
			return fmt.Sprintf("Invalid 'response_format.json_schema.name': %q must match ^[a-zA-Z0-9_-]{1,64}$", js.Name)
		}
		if len(js.Schema) == 0 {
			return "response_format.json_schema.schema is required"
		}
		if _, err := llm.CompileSchema(js.Schema); err != nil {
			return "Invalid schema for response_format '" + js.Name + "': " + err.Error()
		}
		if js.Strict != nil && *js.Strict {
			var doc map[string]any
			json.Unmarshal(js.Schema, &doc)
			if doc["type"] != "object" {
				return "Invalid schema for response_format '" + js.Name + "': schema must be a JSON Schema of 'type: \"object\"'"
			}
			if p := strictProblem(doc, "#"); p != "" {
				return "Invalid schema for response_format '" + js.Name + "': In context=" + p
			}
		}
	default:
		return fmt.Sprintf("Invalid value for 'response_format.type': %q", f.Type)
	}
	return ""
}

// strictProblem applies strict mode's rules to a schema: every object
// lists all its properties as required and sets additionalProperties to
// false.
func strictProblem(s map[string]any, at string) string {
	if props, ok := s["properties"].(map[string]any); ok || s["type"] == "object" {
		if s["additionalProperties"] != false {
			return at + ", 'additionalProperties' is required to be supplied and to be false"
		}
		req, _ := s["required"].([]any)
		for name := range props {
			if !slices.Contains(req, any(name)) {
				return fmt.Sprintf("%s, 'required' is required to be supplied and to be an array including every key in properties. Missing '%s'", at, name)
			}
		}
		for name, p := range props {
			if sub, ok := p.(map[string]any); ok {
				if q := strictProblem(sub, at+"/properties/"+name); q != "" {
					return q
				}
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		if q := strictProblem(items, at+"/items"); q != "" {
			return q
		}
	}
	for _, key := range []string{"anyOf", "allOf", "oneOf"} {
		list, _ := s[key].([]any)
		for i, v := range list {
			if sub, ok := v.(map[string]any); ok {
				if q := strictProblem(sub, fmt.Sprintf("%s/%s/%d", at, key, i)); q != "" {
					return q
				}
			}
		}
	}
	for _, key := range []string{"$defs", "definitions"} {
		defs, _ := s[key].(map[string]any)
		for name, v := range defs {
			if sub, ok := v.(map[string]any); ok {
				if q := strictProblem(sub, at+"/"+key+"/"+name); q != "" {
					return q
				}
			}
		}
	}
	return ""
}

func checkTools(req Request) string {
	for i, t := range req.Tools {
		if t.Type != "function" {
			return fmt.Sprintf("tools[%d].type must be \"function\"", i)
		}
		if !nameOK.MatchString(t.Function.Name) {
			return fmt.Sprintf("Invalid 'tools[%d].function.name': must match ^[a-zA-Z0-9_-]{1,64}$", i)
		}
		if len(t.Function.Parameters) > 0 {
			var doc map[string]any
			if json.Unmarshal(t.Function.Parameters, &doc) != nil || doc["type"] != "object" {
				return fmt.Sprintf("tools[%d].function.parameters must be a JSON Schema object of type \"object\"", i)
			}
			if _, err := llm.CompileSchema(t.Function.Parameters); err != nil {
				return fmt.Sprintf("Invalid schema for function '%s': %v", t.Function.Name, err)
			}
		}
	}
	if len(req.ToolChoice) == 0 || string(req.ToolChoice) == "null" {
		return ""
	}
	if len(req.Tools) == 0 {
		return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."
	}
	var s string
	if json.Unmarshal(req.ToolChoice, &s) == nil {
		if !slices.Contains(choices, s) {
			return fmt.Sprintf("Invalid value for 'tool_choice': %q", s)
		}
		return ""
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(req.ToolChoice, &obj) != nil || obj.Type != "function" || obj.Function.Name == "" {
		return "Invalid value for 'tool_choice'"
	}
	return ""
}
