// Package twiliotest is an in-process fake of Twilio's Messages API for
// tests: an httptest.Server that checks every request the way Twilio
// would (method, path with the account SID, HTTP Basic auth, form
// encoding, the documented fields), records it, and answers like Twilio —
// with a new message SID, or with an error the test asked for.
//
// Requests that are not well formed are reported with t.Errorf and
// answered 400, so a client test fails on any drift from the wire format.
package twiliotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake accepted for checking.
type Request struct {
	Method, Path string
	Header       http.Header
	Form         url.Values
}

// Response is a canned answer: a Twilio error (Status with Code and
// Message, in Twilio's JSON error shape), or Raw bytes as the body, after
// an optional Delay.
type Response struct {
	Status     int
	Code       int
	Message    string
	RetryAfter string // Retry-After header, if set
	Raw        string // body sent as is, instead of JSON
	Delay      time.Duration
}

// Server is the fake.
type Server struct {
	*httptest.Server
	AccountSID, AuthToken string

	t        testing.TB
	mu       sync.Mutex
	requests []Request
	queue    []Response
}

// allowed are the Messages API fields this fake accepts; required ones are
// checked separately.
var allowed = map[string]bool{
	"To": true, "From": true, "MessagingServiceSid": true, "Body": true, "MediaUrl": true,
	"StatusCallback": true, "ContentSid": true, "ContentVariables": true, "ValidityPeriod": true,
}

// New starts a fake for the given credentials; it is closed when the test
// ends.
func New(t testing.TB, accountSID, authToken string) *Server {
	s := &Server{AccountSID: accountSID, AuthToken: authToken, t: t}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Respond queues answers for the next requests, in order; once the queue
// is empty the fake accepts messages.
func (s *Server) Respond(rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, rs...)
}

// Requests returns the well-formed requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
	})
}

func (s *Server) reject(w http.ResponseWriter, status, code int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.t.Errorf("twiliotest: %s", msg)
	writeError(w, status, code, msg)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	want := "/2010-04-01/Accounts/" + s.AccountSID + "/Messages.json"
	if r.URL.Path != want {
		s.reject(w, http.StatusNotFound, 20404, "path %q, want %q", r.URL.Path, want)
		return
	}
	if r.Method != http.MethodPost {
		s.reject(w, http.StatusMethodNotAllowed, 20004, "method %s, want POST", r.Method)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != s.AccountSID || p != s.AuthToken {
		s.reject(w, http.StatusUnauthorized, 20003, "bad or missing HTTP Basic auth")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.reject(w, http.StatusBadRequest, 20001, "Content-Type %q, want application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.reject(w, http.StatusBadRequest, 20001, "form: %v", err)
		return
	}
	f := r.PostForm
	for k, vs := range f {
		if !allowed[k] {
			s.reject(w, http.StatusBadRequest, 20001, "unknown field %q", k)
			return
		}
		if len(vs) > 1 && k != "MediaUrl" {
			s.reject(w, http.StatusBadRequest, 20001, "field %q repeated", k)
			return
		}
	}
	switch {
	case f.Get("To") == "":
		s.reject(w, http.StatusBadRequest, 21604, "a 'To' phone number is required")
		return
	case (f.Get("From") == "") == (f.Get("MessagingServiceSid") == ""):
		s.reject(w, http.StatusBadRequest, 21603, "exactly one of 'From' and 'MessagingServiceSid' is required")
		return
	case f.Get("Body") == "" && len(f["MediaUrl"]) == 0 && f.Get("ContentSid") == "":
		s.reject(w, http.StatusBadRequest, 21602, "message body is required")
		return
	case len(f["MediaUrl"]) > 10:
		s.reject(w, http.StatusBadRequest, 21623, "too many media urls")
		return
	}
	for _, m := range f["MediaUrl"] {
		if u, err := url.Parse(m); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			s.reject(w, http.StatusBadRequest, 21620, "invalid media URL %q", m)
			return
		}
	}

	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: f})
	var resp *Response
	if len(s.queue) > 0 {
		resp = &s.queue[0]
		s.queue = s.queue[1:]
	}
	s.mu.Unlock()

	if resp != nil {
		if resp.Delay > 0 {
			select {
			case <-time.After(resp.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if resp.RetryAfter != "" {
			w.Header().Set("Retry-After", resp.RetryAfter)
		}
		switch {
		case resp.Raw != "":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(orDefault(resp.Status, http.StatusCreated))
			_, _ = w.Write([]byte(resp.Raw))
			return
		case resp.Status != 0 && resp.Status/100 != 2:
			writeError(w, resp.Status, resp.Code, resp.Message)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	sid := NewSID("SM")
	if len(f["MediaUrl"]) > 0 {
		sid = NewSID("MM")
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": sid, "account_sid": s.AccountSID, "status": "queued", "to": f.Get("To"), "from": f.Get("From"),
		"messaging_service_sid": nilIfEmpty(f.Get("MessagingServiceSid")), "body": f.Get("Body"),
		"num_media": strconv.Itoa(len(f["MediaUrl"])), "num_segments": "1", "direction": "outbound-api",
		"error_code": nil, "error_message": nil, "api_version": "2010-04-01",
		"uri": want[:len(want)-len(".json")] + "/" + sid + ".json",
	})
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// NewSID returns a random Twilio-shaped SID: a two-letter prefix and 32
// hex digits.
func NewSID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
