package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/parleyhq/parley/internal/store"
)

// request is what an http step sends, frozen in the step's record before
// the first attempt, so every attempt sends the same.
type request struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
	Key     string            `json:"idempotency_key"`
	// SecretHeaders are the headers that name a secret, kept as their
	// templates: the secret is read and filled in only when the call is
	// made, so it is never stored with the run.
	SecretHeaders map[string]string `json:"secret_headers,omitempty"`
	// Tool is the tool an mcp step calls; Body is then its arguments.
	Tool string `json:"tool,omitempty"`
	// ApprovalID is the approval request the call waits for, until Until.
	ApprovalID int64      `json:"approval_id,omitempty"`
	Until      *time.Time `json:"approval_until,omitempty"`
	// EscalateAt is when a request still undecided is escalated;
	// Escalated, that it was.
	EscalateAt *time.Time `json:"escalate_at,omitempty"`
	Escalated  bool       `json:"escalated,omitempty"`
}

// callError is an attempt that may succeed later (a 5xx, a 429, a
// time-out, a refused connection): the job retries it with backoff.
type callError struct{ msg string }

func (e callError) Error() string { return e.msg }

// runHTTP runs an http step in three moves: record the request as
// started (rendering it the first time, reusing it after), call, record
// the outcome and move on. A crash between the call and the last record
// leaves the step started; the retry sends the same request with the same
// Idempotency-Key, and an API that honours the key acts once.
func (e *Engine) runHTTP(ctx context.Context, j store.Job, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	if s.Approve != nil {
		if ok, err := e.gate(ctx, run, s, env); err != nil || !ok {
			return err
		}
	}
	r, err := e.startCall(ctx, run, s, env)
	if err != nil || r == nil {
		return err
	}
	req := *r
	status, body, callErr := e.call(ctx, req, env)
	if e.afterCall != nil {
		e.afterCall(run, s)
	}
	var perm permanentError
	switch {
	case errors.As(callErr, &perm):
		return e.fail(ctx, run, s, perm.msg)
	case callErr != nil, status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		reason := fmt.Sprintf("%s %s answered %d: %s", req.Method, req.URL, status, reasonOf(body))
		if callErr != nil {
			reason = fmt.Sprintf("%s %s: %v", req.Method, req.URL, callErr)
		}
		if j.Attempts >= j.MaxAttempts {
			return e.fail(ctx, run, s, fmt.Sprintf("gave up after %d attempts: %s", j.Attempts, reason))
		}
		e.noteAttempt(ctx, run, s, reason)
		if e.Meter != nil {
			e.Meter.StepFinished(s.Kind, "retry")
		}
		return callError{reason}
	case status >= 400:
		return e.fail(ctx, run, s, fmt.Sprintf("%s %s answered %d: %s", req.Method, req.URL, status, reasonOf(body)))
	}
	out, err := keep(s, body)
	if err != nil {
		return e.fail(ctx, run, s, fmt.Sprintf("%s %s answered %d with a body that is not JSON: %v", req.Method, req.URL, status, err))
	}
	out["status"] = status
	return e.DB.Write(ctx, func(tx *store.Tx) error { return e.record(tx, run.ID, s, nil, out, d.after(s)) })
}

// noteAttempt keeps the latest failed attempt's reason on the step, so
// the run shows why it is waiting.
func (e *Engine) noteAttempt(ctx context.Context, run store.FlowRun, s *Step, reason string) {
	_ = e.DB.Write(ctx, func(tx *store.Tx) error {
		_, rec, err := e.atStep(tx, run.ID, s)
		if err != nil || rec.State != "started" {
			return err // moved on meanwhile: nothing to note
		}
		rec.Error = reason
		return tx.SaveFlowStep(&rec)
	})
}

func render(s *Step, env map[string]any) (request, error) {
	u, err := s.texts["url"].renderURL(env)
	if err != nil {
		return request{}, err
	}
	req := request{Method: s.Method, URL: u, Headers: map[string]string{}}
	for k := range s.Headers {
		t := s.texts["headers."+k]
		if t.secret {
			if req.SecretHeaders == nil {
				req.SecretHeaders = map[string]string{}
			}
			req.SecretHeaders[k] = t.src
			continue
		}
		v, err := t.render(env, nil)
		if err != nil {
			return request{}, err
		}
		if strings.ContainsAny(v, "\r\n") {
			return request{}, fmt.Errorf("header %s would hold a line break", k)
		}
		req.Headers[k] = v
	}
	if s.Body != nil {
		if req.Body, err = fill(s.Body, "body", s.texts, env); err != nil {
			return request{}, err
		}
	}
	if s.Kind == "mcp" {
		req.Method, req.Tool, req.Body = "", s.Tool, map[string]any{}
		if s.Arguments != nil {
			if req.Body, err = fill(s.Arguments, "arguments", s.texts, env); err != nil {
				return request{}, err
			}
		}
	}
	return req, nil
}

// fill returns v with each string replaced by its template's value.
func fill(v any, path string, texts map[string]*text, env map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		return texts[path].value(env, nil)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			y, err := fill(x, path+"."+k, texts, env)
			if err != nil {
				return nil, err
			}
			out[k] = y
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			y, err := fill(x, fmt.Sprintf("%s.%d", path, i), texts, env)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	default:
		return v, nil
	}
}

func (e *Engine) call(ctx context.Context, r request, env map[string]any) (int, []byte, error) {
	secretHeaders, err := e.secretHeaders(ctx, r, env)
	if err != nil {
		return 0, nil, err
	}
	var body io.Reader
	if r.Body != nil && r.Method != http.MethodGet {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	for k, v := range secretHeaders {
		req.Header.Set(k, v)
	}
	req.Header.Set(IdempotencyHeader, r.Key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Parley-Workflow/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := e.HTTP
	if client == nil {
		return 0, nil, errors.New("flow: no HTTP client configured")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	limit := e.MaxResponse
	if limit <= 0 {
		limit = 1 << 20
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(b)) > limit {
		return resp.StatusCode, nil, fmt.Errorf("the answer is larger than %d bytes", limit)
	}
	return resp.StatusCode, b, nil
}

// keep returns the step's output: the response fields its keep names,
// or the whole response (a JSON object) when it names none.
func keep(s *Step, body []byte) (map[string]any, error) {
	var v any
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, err
		}
	}
	out := map[string]any{}
	if len(s.Keep) == 0 {
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
		if v != nil {
			out["body"] = v
		}
		return out, nil
	}
	for name, path := range s.Keep {
		out[name] = dig(v, path)
	}
	return out, nil
}

// dig follows a dotted path (a.b.0.c) into a decoded JSON value; nil when
// it is not there.
func dig(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			v = t[k]
		case []any:
			var i int
			if _, err := fmt.Sscanf(k, "%d", &i); err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// reasonOf is what an error answer says, for the run's record: a JSON
// body's error or message field, or the start of the body.
func reasonOf(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"error", "message", "detail"} {
			switch v := m[k].(type) {
			case string:
				return clip(v)
			case map[string]any:
				if msg, ok := v["message"].(string); ok {
					return clip(msg)
				}
			}
		}
	}
	return clip(string(body))
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	if s == "" {
		return "(no body)"
	}
	return s
}

func evalBool(p *vm.Program, env map[string]any) (bool, error) {
	v, err := expr.Run(p, env)
	if err != nil {
		return false, fmt.Errorf("the condition failed: %s", firstLine(err.Error()))
	}
	b, _ := v.(bool)
	return b, nil
}
