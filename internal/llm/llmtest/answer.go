package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Tokens is the fake's token count of a text: a quarter of its bytes,
// rounded up, which is close to what real tokenizers give for English.
func Tokens(s string) int { return (len(s) + 3) / 4 }

// usage is what the fake reports: each message costs its text's tokens
// plus 4 (real chat formats add a few per message).
func usage(req Request, r Reply) (prompt, completion int) {
	for _, m := range req.Messages {
		prompt += Tokens(m.Text) + 4
	}
	completion = Tokens(r.Content)
	for _, tc := range r.ToolCalls {
		completion += Tokens(tc.Name + tc.Arguments)
	}
	return prompt, completion
}

func finish(r Reply) string {
	switch {
	case r.FinishReason != "":
		return r.FinishReason
	case len(r.ToolCalls) > 0:
		return "tool_calls"
	}
	return "stop"
}

func wireCalls(calls []ToolCall) []map[string]any {
	var out []map[string]any
	for _, tc := range calls {
		out = append(out, map[string]any{"id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": tc.Arguments}})
	}
	return out
}

// completion is a whole (non-streamed) answer.
func (s *Server) completion(id string, req Request, r Reply) map[string]any {
	msg := map[string]any{"role": "assistant", "content": r.Content, "refusal": nil}
	if len(r.ToolCalls) > 0 {
		msg["tool_calls"] = wireCalls(r.ToolCalls)
		if r.Content == "" {
			msg["content"] = nil
		}
	}
	out := map[string]any{
		"id": id, "object": "chat.completion", "created": time.Now().Unix(), "model": s.Model,
		"choices": []map[string]any{{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish(r)}},
	}
	if !r.NoUsage {
		p, c := usage(req, r)
		out["usage"] = map[string]any{"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
	}
	return out
}

// stream writes a streamed answer as Server-Sent Events: the role, the
// text in pieces, each tool call's name then its arguments in two
// fragments, the finish reason, the usage chunk when asked for, and
// "data: [DONE]".
func (s *Server) stream(w http.ResponseWriter, r *http.Request, id string, req Request, rep Reply) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	created := time.Now().Unix()
	send := func(choices []map[string]any, usage map[string]any) {
		chunk := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": s.Model, "choices": choices}
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			chunk["usage"] = usage // null on every chunk but the last, as documented
		}
		b, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	delta := func(d map[string]any, finish any) []map[string]any {
		return []map[string]any{{"index": 0, "delta": d, "logprobs": nil, "finish_reason": finish}}
	}
	send(delta(map[string]any{"role": "assistant", "content": ""}, nil), nil)
	for _, piece := range pieces(rep.Content, rep.Chunks) {
		send(delta(map[string]any{"content": piece}, nil), nil)
	}
	for i, tc := range rep.ToolCalls {
		half := len(tc.Arguments) / 2
		send(delta(map[string]any{"tool_calls": []map[string]any{{"index": i, "id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": ""}}}}, nil), nil)
		for _, part := range []string{tc.Arguments[:half], tc.Arguments[half:]} {
			send(delta(map[string]any{"tool_calls": []map[string]any{{"index": i, "function": map[string]any{"arguments": part}}}}, nil), nil)
		}
	}
	if rep.CutStream {
		return
	}
	send(delta(map[string]any{}, finish(rep)), nil)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !rep.NoUsage {
		p, c := usage(req, rep)
		send([]map[string]any{}, map[string]any{"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// pieces cuts text into n pieces, or after each space when n is zero.
func pieces(text string, n int) []string {
	if text == "" {
		return nil
	}
	if n <= 0 {
		return strings.SplitAfter(text, " ")
	}
	runes := []rune(text) // whole characters, as real servers send
	size := (len(runes) + n - 1) / n
	var out []string
	for len(runes) > size {
		out = append(out, string(runes[:size]))
		runes = runes[size:]
	}
	return append(out, string(runes))
}
