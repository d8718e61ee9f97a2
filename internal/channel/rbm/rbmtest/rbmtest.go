// Package rbmtest is an in-process fake of Google RCS Business Messaging
// for tests: an httptest.Server for phones.agentMessages.create that
// checks every request as RBM documents it (POST, path with an E.164
// number, a UUID messageId, Bearer auth, JSON body with only documented
// AgentMessage fields, exactly one content kind), records it, and answers
// like RBM — or with an error the test asked for, in Google's JSON error
// shape. It also builds signed webhook pushes.
//
// Malformed requests are reported with t.Errorf and answered 400.
package rbmtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Request is one well-formed request the fake received.
type Request struct {
	Phone, MessageID, AgentID string
	Header                    http.Header
	Body                      AgentMessage
	Raw                       []byte
}

// AgentMessage is the documented request body (the fields this fake
// knows; any other field is refused).
type AgentMessage struct {
	ContentMessage     *ContentMessage `json:"contentMessage"`
	TTL                *string         `json:"ttl,omitempty"`
	ExpireTime         *string         `json:"expireTime,omitempty"`
	MessageTrafficType *string         `json:"messageTrafficType,omitempty"`
}

// ContentMessage holds one of text, fileName, uploadedRbmFile, richCard
// or contentInfo, and optional suggestions.
type ContentMessage struct {
	Text            *string          `json:"text,omitempty"`
	FileName        *string          `json:"fileName,omitempty"`
	UploadedRbmFile *json.RawMessage `json:"uploadedRbmFile,omitempty"`
	RichCard        *json.RawMessage `json:"richCard,omitempty"`
	ContentInfo     *ContentInfo     `json:"contentInfo,omitempty"`
	Suggestions     []Suggestion     `json:"suggestions,omitempty"`
}

// ContentInfo is a file by URL.
type ContentInfo struct {
	FileURL      string `json:"fileUrl"`
	ThumbnailURL string `json:"thumbnailUrl,omitempty"`
	ForceRefresh bool   `json:"forceRefresh,omitempty"`
}

// Suggestion is a reply or an action (actions are accepted unchecked).
type Suggestion struct {
	Reply *struct {
		Text         string `json:"text"`
		PostbackData string `json:"postbackData"`
	} `json:"reply,omitempty"`
	Action *json.RawMessage `json:"action,omitempty"`
}

// Response is a canned answer: an error with HTTP Status, Google Status
// (e.g. "NOT_FOUND") and Message; or Raw bytes as the body; after Delay.
type Response struct {
	Status     int
	GRPCStatus string
	Message    string
	RetryAfter string
	Raw        string
	Delay      time.Duration
}

// NotRCSCapable is RBM's answer for a number that cannot get RCS.
var NotRCSCapable = Response{Status: 404, GRPCStatus: "NOT_FOUND", Message: "Requested entity was not found."}

// Server is the fake.
type Server struct {
	*httptest.Server
	Token   string // the Bearer token to require
	AgentID string // when set, agentId must be absent or equal to it

	t        testing.TB
	mu       sync.Mutex
	requests []Request
	queue    []Response
	accepted map[string]bool // messageIds taken: RBM refuses a second use
}

// New starts a fake requiring token; closed when the test ends.
func New(t testing.TB, token string) *Server {
	s := &Server{Token: token, t: t}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Respond queues answers for the next requests; then the fake accepts.
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

var (
	pathRE = regexp.MustCompile(`^/v1/phones/(\+[1-9][0-9]{1,14})/agentMessages$`)
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	ttlRE  = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?s$`)
)

func writeError(w http.ResponseWriter, status int, grpc, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg, "status": grpc}})
}

func (s *Server) reject(w http.ResponseWriter, status int, grpc, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.t.Errorf("rbmtest: %s", msg)
	writeError(w, status, grpc, msg)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	m := pathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		s.reject(w, 404, "NOT_FOUND", "path %q is not /v1/phones/{E.164}/agentMessages", r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		s.reject(w, 405, "INVALID_ARGUMENT", "method %s, want POST", r.Method)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.reject(w, 401, "UNAUTHENTICATED", "missing or wrong Bearer token")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.reject(w, 400, "INVALID_ARGUMENT", "Content-Type %q, want application/json", r.Header.Get("Content-Type"))
		return
	}
	q := r.URL.Query()
	for k, v := range q {
		if (k != "messageId" && k != "agentId") || len(v) != 1 {
			s.reject(w, 400, "INVALID_ARGUMENT", "unexpected query parameter %q=%q", k, v)
			return
		}
	}
	id := q.Get("messageId")
	if !uuidRE.MatchString(id) {
		s.reject(w, 400, "INVALID_ARGUMENT", "messageId %q is not a UUID", id)
		return
	}
	if a := q.Get("agentId"); s.AgentID != "" && q.Has("agentId") && a != s.AgentID {
		s.reject(w, 403, "PERMISSION_DENIED", "agentId %q, want %q", a, s.AgentID)
		return
	}
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(http.MaxBytesReader(w, r.Body, 250<<10)); err != nil {
		s.reject(w, 400, "INVALID_ARGUMENT", "body over 250 KB or unreadable: %v", err)
		return
	}
	var body AgentMessage
	dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.reject(w, 400, "INVALID_ARGUMENT", "body: %v", err)
		return
	}
	if msg := check(&body); msg != "" {
		s.reject(w, 400, "INVALID_ARGUMENT", "%s", msg)
		return
	}

	s.mu.Lock()
	s.requests = append(s.requests, Request{Phone: m[1], MessageID: id, AgentID: q.Get("agentId"), Header: r.Header.Clone(), Body: body, Raw: raw.Bytes()})
	var resp *Response
	if len(s.queue) > 0 {
		resp = &s.queue[0]
		s.queue = s.queue[1:]
	}
	takes := resp == nil || resp.Raw == "" && (resp.Status == 0 || resp.Status/100 == 2)
	dup := takes && s.accepted[id]
	if takes {
		if s.accepted == nil {
			s.accepted = map[string]bool{}
		}
		s.accepted[id] = true
	}
	s.mu.Unlock()

	if dup {
		// RBM answers a messageId it has already taken with 409: the
		// message went out once, and is not sent again.
		writeError(w, http.StatusConflict, "ALREADY_EXISTS", "Requested entity already exists")
		return
	}

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
			st := resp.Status
			if st == 0 {
				st = 200
			}
			w.WriteHeader(st)
			_, _ = w.Write([]byte(resp.Raw))
			return
		case resp.Status != 0 && resp.Status/100 != 2:
			writeError(w, resp.Status, resp.GRPCStatus, resp.Message)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"name":           "phones/" + m[1] + "/agentMessages/" + id,
		"sendTime":       time.Now().UTC().Format(time.RFC3339Nano),
		"contentMessage": body.ContentMessage,
	})
}

// check applies the documented AgentMessage rules.
func check(b *AgentMessage) string {
	c := b.ContentMessage
	if c == nil {
		return "contentMessage is required"
	}
	kinds := 0
	for _, set := range []bool{c.Text != nil, c.FileName != nil, c.UploadedRbmFile != nil, c.RichCard != nil, c.ContentInfo != nil} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds != 1:
		return fmt.Sprintf("contentMessage needs exactly one of text, fileName, uploadedRbmFile, richCard, contentInfo (has %d)", kinds)
	case c.Text != nil && (*c.Text == "" || utf8.RuneCountInString(*c.Text) > 3072):
		return "text must be 1 to 3072 characters"
	case c.ContentInfo != nil && !strings.HasPrefix(c.ContentInfo.FileURL, "http"):
		return "contentInfo.fileUrl must be a URL"
	case len(c.Suggestions) > 11:
		return "at most 11 suggestions"
	case b.TTL != nil && b.ExpireTime != nil:
		return "ttl and expireTime are exclusive"
	case b.TTL != nil && !ttlRE.MatchString(*b.TTL):
		return fmt.Sprintf("ttl %q is not a Duration", *b.TTL)
	}
	if b.ExpireTime != nil {
		if _, err := time.Parse(time.RFC3339Nano, *b.ExpireTime); err != nil {
			return fmt.Sprintf("expireTime %q is not RFC 3339", *b.ExpireTime)
		}
	}
	for _, s := range c.Suggestions {
		if (s.Reply == nil) == (s.Action == nil) {
			return "a suggestion needs exactly one of reply, action"
		}
		if s.Reply != nil && (s.Reply.Text == "" || utf8.RuneCountInString(s.Reply.Text) > 25 || len(s.Reply.PostbackData) > 2048) {
			return "suggestion reply text must be 1 to 25 characters, postbackData at most 2048"
		}
	}
	return ""
}

// SignedPush wraps a decoded event payload as RBM pushes it — a
// Pub/Sub-style envelope with base64 data — and returns the body and the
// X-Goog-Signature for it (HMAC-SHA512 over payload keyed with
// clientToken, base64), computed here independently of package rbm.
func SignedPush(clientToken string, payload []byte) (body []byte, signature string) {
	env := map[string]any{
		"message": map[string]any{
			"data":        base64.StdEncoding.EncodeToString(payload),
			"messageId":   "1234567890",
			"publishTime": "2026-01-02T03:04:05.000Z",
			"attributes":  map[string]string{},
		},
		"subscription": "projects/rbm-agent/subscriptions/rbm-agent-sub",
	}
	body, _ = json.Marshal(env)
	m := hmac.New(sha512.New, []byte(clientToken))
	m.Write(payload)
	return body, base64.StdEncoding.EncodeToString(m.Sum(nil))
}
