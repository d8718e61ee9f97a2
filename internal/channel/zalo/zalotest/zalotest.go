// Package zalotest is an in-process fake of the Zalo endpoints Parley's
// Zalo adapter calls: the customer-service message endpoint of Message
// API V3 and the OAuth v4 token refresh. It checks every request's shape
// the way the adapter's documentation describes Zalo's API, records what
// it received, can be told to answer with a chosen Zalo error, and gives
// refresh tokens the real single-use semantics: each works exactly once.
//
// A request the fake finds malformed is answered with Zalo error -201 and
// its problem is kept in Request.Problem, so tests can assert both the
// adapter's handling and that it sent nothing malformed.
package zalotest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"
)

// Paths served.
const (
	CSPath    = "/v3.0/oa/message/cs"
	TokenPath = "/v4/oa/access_token"
)

// ErrRefreshInvalid is the error code the fake answers for an unknown or
// already used refresh token. The value is illustrative: the adapter does
// not depend on it.
const ErrRefreshInvalid = -14014

// Request is one request the fake received.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	Form         map[string][]string // for the token endpoint
	Message      *CSMessage          // for the CS endpoint, when it decoded
	Problem      string              // what the fake found wrong, "" if nothing
}

// CSMessage is the decoded body of a customer-service message request.
type CSMessage struct {
	Recipient struct {
		UserID    string `json:"user_id"`
		MessageID string `json:"message_id"`
	} `json:"recipient"`
	Message struct {
		Text       string `json:"text"`
		Attachment *struct {
			Type    string `json:"type"`
			Payload struct {
				TemplateType string `json:"template_type"`
				Elements     []struct {
					MediaType    string `json:"media_type"`
					URL          string `json:"url"`
					AttachmentID string `json:"attachment_id"`
				} `json:"elements"`
			} `json:"payload"`
		} `json:"attachment"`
	} `json:"message"`
}

// Server is the fake. Create it with New; Close it when done.
type Server struct {
	*httptest.Server

	AppID     string // expected app_id on refresh
	SecretKey string // expected secret_key header on refresh

	mu       sync.Mutex
	access   map[string]bool // access token → still valid (false: expired)
	refresh  map[string]bool // refresh tokens not used yet
	requests []Request
	failures []failure
	seq      int
}

type failure struct {
	httpStatus int
	code       int
	message    string
}

// New starts a fake that accepts accessToken for sends and refreshToken
// (once) for a refresh, for the app appID with secret key secretKey.
func New(appID, secretKey, accessToken, refreshToken string) *Server {
	s := &Server{
		AppID:     appID,
		SecretKey: secretKey,
		access:    map[string]bool{accessToken: true},
		refresh:   map[string]bool{refreshToken: true},
	}
	mux := http.NewServeMux()
	mux.HandleFunc(CSPath, s.handleCS)
	mux.HandleFunc(TokenPath, s.handleToken)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Problem: "unknown path"})
		http.NotFound(w, r)
	})
	s.Server = httptest.NewServer(mux)
	return s
}

// FailNext makes the next CS send answer HTTP 200 with Zalo error code and
// message. Calls queue up.
func (s *Server) FailNext(code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{httpStatus: http.StatusOK, code: code, message: message})
}

// FailNextHTTP makes the next CS send answer with an HTTP status and no
// Zalo body.
func (s *Server) FailNextHTTP(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{httpStatus: status})
}

// ExpireAccessTokens makes every access token issued so far expired
// (sends with them get -220), as Zalo does after ~25 hours.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.access {
		s.access[t] = false
	}
}

// Requests returns a copy of what the fake received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Problems returns the problems found in requests so far.
func (s *Server) Problems() []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Problem != "" {
			out = append(out, r.Method+" "+r.Path+": "+r.Problem)
		}
	}
	return out
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func zaloJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) handleCS(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	answer := func(code int, msg string) {
		zaloJSON(w, http.StatusOK, map[string]any{"error": code, "message": msg})
	}
	if r.Method != http.MethodPost {
		req.Problem = "method " + r.Method + ", want POST"
		s.record(req)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// The token goes in the access_token header, never Authorization.
	tok := r.Header.Get("access_token")
	s.mu.Lock()
	valid, known := s.access[tok]
	s.mu.Unlock()
	if tok == "" || !known {
		// A wrong token is a test scenario, not a malformed request.
		s.record(req)
		answer(-216, "Access token is invalid")
		return
	}
	if !valid {
		s.record(req)
		answer(-220, "Access token has expired")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		req.Problem = fmt.Sprintf("Content-Type %q, want application/json", r.Header.Get("Content-Type"))
		s.record(req)
		answer(-201, "Content-Type must be application/json")
		return
	}
	var m CSMessage
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		req.Problem = "body: " + err.Error()
		s.record(req)
		answer(-201, "Invalid body")
		return
	}
	req.Message = &m
	if p := checkCS(&m); p != "" {
		req.Problem = p
		s.record(req)
		answer(-201, "Parameter is invalid: "+p)
		return
	}
	s.mu.Lock()
	var f *failure
	if len(s.failures) > 0 {
		f = &s.failures[0]
		s.failures = s.failures[1:]
	}
	s.seq++
	id := fmt.Sprintf("fakemsg%013d", s.seq)
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if f != nil {
		if f.code == 0 {
			http.Error(w, http.StatusText(f.httpStatus), f.httpStatus)
			return
		}
		answer(f.code, f.message)
		return
	}
	zaloJSON(w, http.StatusOK, map[string]any{
		"error":   0,
		"message": "Success",
		"data": map[string]any{
			"message_id": id,
			"user_id":    m.Recipient.UserID,
			"sent_time":  "1626926349402",
		},
	})
}

// checkCS applies the documented rules of a V3 customer-service message.
func checkCS(m *CSMessage) string {
	if m.Recipient.UserID == "" {
		return "recipient.user_id is required"
	}
	if m.Message.Text == "" && m.Message.Attachment == nil {
		return "message needs text or an attachment"
	}
	if utf8.RuneCountInString(m.Message.Text) > 2000 {
		return "message.text is longer than 2000 characters"
	}
	if a := m.Message.Attachment; a != nil {
		if a.Type != "template" || a.Payload.TemplateType != "media" {
			return "attachment must be a template with template_type media"
		}
		if len(a.Payload.Elements) != 1 {
			return "media template needs exactly one element"
		}
		e := a.Payload.Elements[0]
		if e.MediaType != "image" {
			return "element media_type must be image"
		}
		if (e.URL == "") == (e.AttachmentID == "") {
			return "element needs exactly one of url and attachment_id"
		}
	}
	return ""
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	oauthErr := func(code int, name, desc string) {
		zaloJSON(w, http.StatusOK, map[string]any{"error": code, "error_name": name, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		req.Problem = "method " + r.Method + ", want POST"
		s.record(req)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		req.Problem = "Content-Type is not a form"
		s.record(req)
		oauthErr(-14002, "Invalid parameter", "form body expected")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		req.Problem = "form: " + err.Error()
		s.record(req)
		oauthErr(-14002, "Invalid parameter", "unreadable form")
		return
	}
	req.Form = form
	get := func(k string) string {
		if v := form[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	switch {
	case r.Header.Get("secret_key") != s.SecretKey:
		s.record(req)
		oauthErr(-14001, "Invalid app secret", "secret_key header does not match the app")
		return
	case get("app_id") != s.AppID:
		s.record(req)
		oauthErr(-14001, "Invalid app", "app_id does not match")
		return
	case get("grant_type") != "refresh_token":
		req.Problem = "grant_type must be refresh_token"
		s.record(req)
		oauthErr(-14002, "Invalid parameter", "grant_type")
		return
	}
	rt := get("refresh_token")
	s.mu.Lock()
	if !s.refresh[rt] {
		s.requests = append(s.requests, req)
		s.mu.Unlock()
		oauthErr(ErrRefreshInvalid, "Invalid refresh token", "refresh token is invalid or has already been used")
		return
	}
	// Single use: the old refresh token dies now, a new pair is issued.
	delete(s.refresh, rt)
	s.seq++
	access := fmt.Sprintf("fake-access-%d", s.seq)
	next := fmt.Sprintf("fake-refresh-%d", s.seq)
	s.access[access] = true
	s.refresh[next] = true
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	zaloJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"refresh_token": next,
		"expires_in":    "90000", // Zalo sends it as a string
	})
}
