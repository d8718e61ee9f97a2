package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/outbound"
)

// Size limits on what a provider sends back: an answer to a support
// question is a few kilobytes; anything near these is a broken server.
const (
	maxBodyBytes  = 4 << 20
	maxErrorBytes = 64 << 10
	maxLineBytes  = 1 << 20
)

// Chat sends the conversation and returns the whole answer. An answer
// with neither text nor tool calls is ErrMalformed; see Client for the
// other errors.
func (c *Client) Chat(ctx context.Context, req Request) (Response, error) {
	return c.call(ctx, req, c.toWire(req), nil, nil)
}

// Stream is Chat with the answer streamed: onDelta receives each piece of
// text as it arrives (on the calling goroutine), and the Response holds
// the whole of it. A stream cut before its end is ErrMalformed, or
// ErrTimeout when Config.Timeout ran out.
func (c *Client) Stream(ctx context.Context, req Request, onDelta func(string)) (Response, error) {
	w := c.toWire(req)
	w.Stream, w.StreamOptions = true, &wireStreamOpts{IncludeUsage: true}
	if onDelta == nil {
		onDelta = func(string) {}
	}
	return c.call(ctx, req, w, onDelta, nil)
}

// call runs one request within the timeout, checks the answer (check may
// be nil), meters it and types its error. A nil onDelta means not
// streamed.
func (c *Client) call(ctx context.Context, req Request, w wireRequest, onDelta func(string), check func(Response) error) (resp Response, err error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, err = c.roundTrip(ctx, w, onDelta)
	if err == nil && resp.Content == "" && len(resp.ToolCalls) == 0 {
		err = &MalformedError{Reason: "the answer is empty"}
	}
	if err == nil && check != nil {
		err = check(resp)
	}
	resp.Duration = time.Since(start)
	err = c.classify(ctx, err)
	if resp.Usage.PromptTokens == 0 && resp.Usage.CompletionTokens == 0 && (err == nil || errors.Is(err, ErrMalformed)) {
		resp.Usage = estimate(w, resp)
	}
	c.record(req, err, resp.Usage)
	if err != nil {
		// For operators; the error's text holds no key and no answer text.
		slog.Warn("llm: call failed", "feature", req.Feature, "inbox", req.InboxID, "model", c.cfg.Model, "err", err)
	}
	return resp, err
}

// classify turns a context deadline, however it surfaced (a transport
// error, a body read cut short), into ErrTimeout.
func (c *Client) classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (after %s)", ErrTimeout, c.cfg.Timeout)
	}
	return err
}

// record meters a call.
func (c *Client) record(req Request, err error, u Usage) {
	if c.meter == nil {
		return
	}
	c.meter.LLMCall(req.Feature, req.InboxID, outcomeOf(err), u.PromptTokens, u.CompletionTokens)
}

// roundTrip posts the request and reads the answer, whole or streamed.
func (c *Client) roundTrip(ctx context.Context, w wireRequest, onDelta func(string)) (Response, error) {
	body, err := json.Marshal(w)
	if err != nil {
		return Response{}, fmt.Errorf("llm: encode request: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Response{}, &ProviderError{Message: "the base URL is not valid"}
	}
	hr.Header.Set("Content-Type", "application/json")
	if onDelta != nil {
		hr.Header.Set("Accept", "text/event-stream")
	} else {
		hr.Header.Set("Accept", "application/json")
	}
	if c.cfg.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	res, err := c.http.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		// The raw error names addresses and ports (and, through the URL,
		// nothing secret: the key is a header): it goes to the log, and
		// the caller gets outbound's plain words.
		slog.Warn("llm: request failed", "url", c.url, "err", err)
		return Response{}, &ProviderError{Message: outbound.Describe(err)}
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return Response{}, c.providerError(res)
	}
	if onDelta != nil && strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return c.readStream(res.Body, onDelta)
	}
	// A server that ignored "stream" answered whole: still an answer.
	return c.readWhole(res.Body, onDelta)
}

// readWhole reads a non-streamed answer.
func (c *Client) readWhole(body io.Reader, onDelta func(string)) (Response, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	if err != nil {
		return Response{}, err
	}
	if len(b) > maxBodyBytes {
		return Response{}, &MalformedError{Reason: "the answer is larger than 4 MiB"}
	}
	var wr wireResponse
	if err := json.Unmarshal(b, &wr); err != nil {
		return Response{}, &MalformedError{Reason: "the response body is not a chat completion"}
	}
	if wr.Error != nil {
		return Response{}, c.scrubbed(&ProviderError{Status: http.StatusOK, Message: wr.Error.Message, Type: wr.Error.Type, Code: code(wr.Error.Code)})
	}
	if len(wr.Choices) == 0 || wr.Choices[0].Message == nil {
		return Response{}, &MalformedError{Reason: "the response has no choices"}
	}
	ch := wr.Choices[0]
	resp := Response{Model: wr.Model}
	if ch.FinishReason != nil {
		resp.FinishReason = *ch.FinishReason
	}
	if ch.Message.Refusal != nil && *ch.Message.Refusal != "" {
		return resp, &MalformedError{Reason: "the model refused to answer", Content: *ch.Message.Refusal}
	}
	if ch.Message.Content != nil {
		resp.Content = *ch.Message.Content
	}
	for _, tc := range ch.Message.ToolCalls {
		resp.ToolCalls = append(resp.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	if wr.Usage != nil {
		resp.Usage = Usage{PromptTokens: wr.Usage.PromptTokens, CompletionTokens: wr.Usage.CompletionTokens}
	}
	if onDelta != nil && resp.Content != "" {
		onDelta(resp.Content)
	}
	return resp, nil
}

// readStream reads Server-Sent Events: "data: {chunk}" lines, then
// "data: [DONE]". Text pieces go to onDelta; tool calls arrive in
// fragments keyed by index and are put together; the usage comes in a
// last chunk with no choices (stream_options.include_usage).
func (c *Client) readStream(body io.Reader, onDelta func(string)) (Response, error) {
	var resp Response
	var text strings.Builder
	calls := map[int]*ToolCall{}
	var order []int
	r := bufio.NewReaderSize(body, 64<<10)
	for {
		line, err := readLine(r)
		if err == io.EOF {
			return resp, &MalformedError{Reason: "the stream ended before [DONE]", Content: text.String()}
		}
		if err != nil {
			return resp, err
		}
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue // blank separators, comments (":"), "event:" and "id:" lines
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			break
		}
		var chunk wireResponse
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			return resp, &MalformedError{Reason: "a stream chunk is not JSON", Content: text.String()}
		}
		if chunk.Error != nil {
			return resp, c.scrubbed(&ProviderError{Status: http.StatusOK, Message: chunk.Error.Message, Type: chunk.Error.Type, Code: code(chunk.Error.Code)})
		}
		if chunk.Model != "" {
			resp.Model = chunk.Model
		}
		if chunk.Usage != nil {
			resp.Usage = Usage{PromptTokens: chunk.Usage.PromptTokens, CompletionTokens: chunk.Usage.CompletionTokens}
		}
		if len(chunk.Choices) == 0 {
			continue
		}
		ch := chunk.Choices[0]
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			resp.FinishReason = *ch.FinishReason
		}
		if ch.Delta == nil {
			continue
		}
		if ch.Delta.Content != nil && *ch.Delta.Content != "" {
			text.WriteString(*ch.Delta.Content)
			onDelta(*ch.Delta.Content)
		}
		for i, tc := range ch.Delta.ToolCalls {
			idx := i
			if tc.Index != nil {
				idx = *tc.Index
			}
			call, seen := calls[idx]
			if !seen {
				call = &ToolCall{}
				calls[idx] = call
				order = append(order, idx)
			}
			if tc.ID != "" {
				call.ID = tc.ID
			}
			call.Name += tc.Function.Name
			call.Arguments += tc.Function.Arguments
		}
	}
	resp.Content = text.String()
	for _, idx := range order {
		resp.ToolCalls = append(resp.ToolCalls, *calls[idx])
	}
	return resp, nil
}

// readLine reads one line of at most maxLineBytes, without its end.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		part, isPrefix, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, part...)
		if len(b) > maxLineBytes {
			return "", &MalformedError{Reason: "a stream line is longer than 1 MiB"}
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

// providerError reads an error answer into a *ProviderError. Its message
// is the provider's own, when the body has one, else the status text.
func (c *Client) providerError(res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBytes))
	e := &ProviderError{Status: res.StatusCode}
	var body wireErrorBody
	if json.Unmarshal(b, &body) == nil {
		var nested wireError
		var plain string
		switch {
		case json.Unmarshal(body.Error, &nested) == nil && nested.Message != "":
			e.Message, e.Type, e.Code = nested.Message, nested.Type, code(nested.Code)
		case json.Unmarshal(body.Error, &plain) == nil && plain != "":
			e.Message = plain
		case body.Message != "":
			e.Message, e.Type, e.Code = body.Message, body.Type, code(body.Code)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(res.StatusCode)
	}
	if len(e.Message) > 500 {
		e.Message = e.Message[:500] + "…"
	}
	return c.scrubbed(e)
}

// scrubbed takes the API key, and any word sharing six characters in a
// row with it, out of a provider's message: a provider may quote the key
// it refused ("Incorrect API key provided: sk-proj-****abcd"), and the
// message is shown to admins and logged.
func (c *Client) scrubbed(e *ProviderError) *ProviderError {
	e.Message = Redact(e.Message, c.cfg.APIKey)
	e.Code = Redact(e.Code, c.cfg.APIKey)
	return e
}

// Redact returns s without key or any word that shares six or more
// consecutive characters with it.
func Redact(s, key string) string {
	if key == "" || s == "" {
		return s
	}
	s = strings.ReplaceAll(s, key, "[redacted]")
	if len(key) < 6 {
		return s
	}
	words := strings.Fields(s)
	changed := false
	for i, w := range words {
		for j := 0; j+6 <= len(w); j++ {
			if strings.Contains(key, w[j:j+6]) {
				words[i], changed = "[redacted]", true
				break
			}
		}
	}
	if !changed {
		return s
	}
	return strings.Join(words, " ")
}

// estimate counts tokens at four bytes each, for providers that report
// no usage, so accounting is never silently zero.
func estimate(w wireRequest, resp Response) Usage {
	var in int
	for _, m := range w.Messages {
		if m.Content != nil {
			in += len(*m.Content)
		}
	}
	out := len(resp.Content)
	for _, tc := range resp.ToolCalls {
		out += len(tc.Name) + len(tc.Arguments)
	}
	return Usage{PromptTokens: (in + 3) / 4, CompletionTokens: (out + 3) / 4, Estimated: true}
}
