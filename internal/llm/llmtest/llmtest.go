// Package llmtest is a fake OpenAI-compatible chat-completions server for
// tests: POST /v1/chat/completions and GET /v1/models on loopback. It
// checks every request against the documented wire format and answers
// 400 with an OpenAI-style error body when one is wrong (or 401 for a
// wrong key), so a client that drifts from the format fails its tests
// rather than a real provider. Each test scripts what comes back (plain,
// streamed, tool calls, malformed JSON, schema-violating JSON, empty, a
// slow answer, 429 and 500) or computes it from the request (Handle).
// Every request is recorded.
package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reply is what the server answers one request with. The zero Reply is
// a plain answer with empty content (the "empty answer" case).
type Reply struct {
	// Content is the assistant's text: prose, JSON, or anything broken
	// (malformed and schema-violating answers are just Content).
	Content string
	// ToolCalls are the calls the assistant asks for.
	ToolCalls []ToolCall
	// FinishReason defaults to "stop", or "tool_calls" with ToolCalls.
	FinishReason string
	// Delay holds the answer back (a slow model). It ends early when the
	// client gives up or the server closes, so nothing outlives a test.
	Delay time.Duration
	// Status, when not 2xx, answers an OpenAI-style error instead, with
	// ErrorMessage, ErrorType and ErrorCode.
	Status       int
	ErrorMessage string
	ErrorType    string
	ErrorCode    string
	// NoUsage leaves usage out, as some local servers do.
	NoUsage bool
	// Chunks, for a streamed answer, is how many pieces Content is cut
	// into; zero: one piece per word.
	Chunks int
	// CutStream ends a streamed answer without [DONE].
	CutStream bool
}

// ToolCall is a call in a Reply.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Recorded is one request the server received, whatever it answered.
type Recorded struct {
	Authorization string
	Body          []byte  // as sent
	Request       Request // decoded, when it decoded
	Status        int     // what the server answered
	Problem       string  // why it answered 400 or 401
	// PromptTokens and CompletionTokens are the usage the server
	// reported (or would have, for NoUsage): see Tokens.
	PromptTokens, CompletionTokens int
}

// Server is the fake. Create it with New.
type Server struct {
	// URL is the base URL to configure a client with ("http://127.0.0.1:port/v1").
	URL string
	// Key, when set, is the API key every request must carry.
	Key string
	// Model is what /v1/models lists and answers are labelled with.
	Model string

	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once

	mu       sync.Mutex
	queue    []Reply
	handle   func(Request) Reply
	requests []Recorded
	seq      int
}

// New starts a fake server, closed when the test ends. With no script
// and no handler it answers every request "OK".
func New(tb testing.TB) *Server {
	s := &Server{Model: "fake-model", closing: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Unknown request URL: "+r.Method+" "+r.URL.Path, "invalid_request_error", "unknown_url")
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server, ending any slow answer at once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.Close()
	})
}

// Push scripts the next answers, one per request, in order; after them
// the handler (or "OK") answers.
func (s *Server) Push(replies ...Reply) {
	s.mu.Lock()
	s.queue = append(s.queue, replies...)
	s.mu.Unlock()
}

// Handle computes answers from requests once the script is used up.
func (s *Server) Handle(f func(Request) Reply) {
	s.mu.Lock()
	s.handle = f
	s.mu.Unlock()
}

// Requests returns every request received so far.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// Last returns the last request received; it fails the test if none was.
func (s *Server) Last(tb testing.TB) Recorded {
	tb.Helper()
	r := s.Requests()
	if len(r) == 0 {
		tb.Fatal("llmtest: no request received")
	}
	return r[len(r)-1]
}

func (s *Server) record(r Recorded) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}

// next returns the reply for a request that passed the checks.
func (s *Server) next(req Request) Reply {
	s.mu.Lock()
	if len(s.queue) > 0 {
		r := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		return r
	}
	h := s.handle
	s.mu.Unlock()
	if h != nil {
		return h(req)
	}
	return Reply{Content: "OK"}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	if p := s.checkKey(r); p != "" {
		writeError(w, http.StatusUnauthorized, p, "invalid_request_error", "invalid_api_key")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{
		{"id": s.Model, "object": "model", "created": 1700000000, "owned_by": "llmtest"},
	}})
}

// checkKey returns what is wrong with the request's Authorization.
func (s *Server) checkKey(r *http.Request) string {
	if s.Key == "" {
		return ""
	}
	got := r.Header.Get("Authorization")
	if got == "" {
		return "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	}
	if got != "Bearer "+s.Key {
		// Like OpenAI, it quotes part of the key it refused: the client
		// must not pass that on.
		k := strings.TrimPrefix(got, "Bearer ")
		if len(k) > 12 {
			k = k[:8] + strings.Repeat("*", 8) + k[len(k)-4:]
		}
		return "Incorrect API key provided: " + k + ". You can find your API key at https://platform.example/account/api-keys."
	}
	return ""
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	rec := Recorded{Authorization: r.Header.Get("Authorization")}
	body, err := readBody(r)
	rec.Body = body
	if err != nil {
		rec.Status, rec.Problem = http.StatusBadRequest, err.Error()
		s.record(rec)
		writeError(w, rec.Status, rec.Problem, "invalid_request_error", "")
		return
	}
	if p := s.checkKey(r); p != "" {
		rec.Status, rec.Problem = http.StatusUnauthorized, p
		s.record(rec)
		writeError(w, rec.Status, p, "invalid_request_error", "invalid_api_key")
		return
	}
	req, problem := Check(r.Header.Get("Content-Type"), body)
	rec.Request = req
	if problem != "" {
		rec.Status, rec.Problem = http.StatusBadRequest, problem
		s.record(rec)
		writeError(w, rec.Status, problem, "invalid_request_error", "")
		return
	}
	reply := s.next(req)
	rec.Status = http.StatusOK
	if reply.Status != 0 && reply.Status/100 != 2 {
		rec.Status = reply.Status
	} else {
		rec.PromptTokens, rec.CompletionTokens = usage(req, reply)
	}
	s.record(rec)
	if reply.Delay > 0 {
		t := time.NewTimer(reply.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
	if rec.Status != http.StatusOK {
		if reply.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "20")
		}
		writeError(w, reply.Status, reply.ErrorMessage, reply.ErrorType, reply.ErrorCode)
		return
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("chatcmpl-fake%d", s.seq)
	s.mu.Unlock()
	if req.Stream {
		s.stream(w, r, id, req, reply)
		return
	}
	writeJSON(w, http.StatusOK, s.completion(id, req, reply))
}

// writeError answers with OpenAI's error body.
func writeError(w http.ResponseWriter, status int, msg, typ, code string) {
	if msg == "" {
		msg = http.StatusText(status)
	}
	var c any
	if code != "" {
		c = code
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
