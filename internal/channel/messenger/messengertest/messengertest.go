// Package messengertest is a fake Messenger Send API for tests: an
// httptest.Server that serves POST /{version}/{page-id}/messages (and
// /{version}/me/messages) the way Meta does, checks each request's
// method, path, page access token (Bearer header or access_token query
// parameter), Content-Type and JSON body shape (recipient.id,
// messaging_type, tag only with MESSAGE_TAG, a message with exactly one of
// text and attachment, no unknown top-level fields), records what it got,
// and can be told to answer with a Graph error or a raw response.
//
// Shape problems are reported with t.Errorf and answered 400 with Graph
// code 100.
package messengertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method, Path, Authorization, AccessToken, ContentType string
	Body                                                  []byte
}

// Server is the fake. Create it with New; it is closed when the test ends.
type Server struct {
	*httptest.Server
	Version, PageID, Token string

	t       testing.TB
	mu      sync.Mutex
	reqs    []Request
	replies []reply
	n       int
}

type reply struct {
	status int
	header http.Header
	body   string
	delay  time.Duration
}

// New starts a fake for one page id, API version and page access token.
func New(t testing.TB, version, pageID, token string) *Server {
	t.Helper()
	s := &Server{Version: version, PageID: pageID, Token: token, t: t}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// FailNext makes the next request answer with HTTP status and a Graph
// error envelope (code, error_subcode if non-zero, message). Queued.
func (s *Server) FailNext(status, code, subcode int, message string) {
	e := map[string]any{"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AfakeTrace"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	s.RespondNext(status, nil, string(body))
}

// RespondNext makes the next request answer with exactly this status,
// headers and body (after checking the request as usual).
func (s *Server) RespondNext(status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, reply{status: status, header: header, body: body})
}

// DelayNext makes the next request wait d before answering (or until the
// client goes away), to test timeouts.
func (s *Server) DelayNext(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, reply{delay: d})
}

// Requests returns what the fake has received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"),
		AccessToken: r.URL.Query().Get("access_token"), ContentType: r.Header.Get("Content-Type"), Body: body}

	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	var next *reply
	if len(s.replies) > 0 {
		next = &s.replies[0]
		s.replies = s.replies[1:]
	}
	s.n++
	n := s.n
	s.mu.Unlock()

	if next != nil && next.delay > 0 {
		select {
		case <-time.After(next.delay):
		case <-r.Context().Done():
			return
		}
		next = nil
	}

	paths := []string{"/" + s.Version + "/" + s.PageID + "/messages", "/" + s.Version + "/me/messages"}
	if r.Method != http.MethodPost || (r.URL.Path != paths[0] && r.URL.Path != paths[1]) {
		s.t.Errorf("messengertest: %s %s, want POST %s", r.Method, r.URL.Path, strings.Join(paths, " or "))
		graphError(w, http.StatusBadRequest, 100, "Unsupported post request")
		return
	}
	if req.Authorization != "Bearer "+s.Token && req.AccessToken != s.Token {
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	if !strings.HasPrefix(req.ContentType, "application/json") {
		s.t.Errorf("messengertest: Content-Type %q, want application/json", req.ContentType)
		graphError(w, http.StatusBadRequest, 100, "Content-Type must be application/json")
		return
	}
	psid, err := CheckBody(body)
	if err != nil {
		s.t.Errorf("messengertest: bad request body: %v\n%s", err, body)
		graphError(w, http.StatusBadRequest, 100, "(#100) "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if next != nil {
		for k, vs := range next.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(next.status)
		io.WriteString(w, next.body)
		return
	}
	fmt.Fprintf(w, `{"recipient_id":%q,"message_id":"m_FAKE%d"}`, psid, n)
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AfakeTrace"}})
}

var (
	topLevel       = map[string]bool{"recipient": true, "messaging_type": true, "tag": true, "message": true, "notification_type": true, "persona_id": true}
	messagingTypes = map[string]bool{"RESPONSE": true, "UPDATE": true, "MESSAGE_TAG": true}
	tags           = map[string]bool{"HUMAN_AGENT": true, "CONFIRMED_EVENT_UPDATE": true, "POST_PURCHASE_UPDATE": true, "ACCOUNT_UPDATE": true, "CUSTOMER_FEEDBACK": true}
	messageFields  = map[string]bool{"text": true, "attachment": true, "quick_replies": true, "metadata": true}
	attachTypes    = map[string]bool{"image": true, "audio": true, "video": true, "file": true, "template": true}
)

// CheckBody checks a Send API body against the documented shape and
// returns the recipient's id.
func CheckBody(body []byte) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	for k := range m {
		if !topLevel[k] {
			return "", fmt.Errorf("unknown top-level field %q", k)
		}
	}
	var req struct {
		Recipient struct {
			ID string `json:"id"`
		} `json:"recipient"`
		MessagingType string                     `json:"messaging_type"`
		Tag           *string                    `json:"tag"`
		Message       map[string]json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", fmt.Errorf("bad field types: %v", err)
	}
	if req.Recipient.ID == "" {
		return "", fmt.Errorf("recipient.id is required")
	}
	if !messagingTypes[req.MessagingType] {
		return "", fmt.Errorf("invalid messaging_type %q", req.MessagingType)
	}
	if (req.MessagingType == "MESSAGE_TAG") != (req.Tag != nil) {
		return "", fmt.Errorf("tag must be given exactly when messaging_type is MESSAGE_TAG")
	}
	if req.Tag != nil && !tags[*req.Tag] {
		return "", fmt.Errorf("invalid tag %q", *req.Tag)
	}
	if req.Message == nil {
		return "", fmt.Errorf("message is required")
	}
	for k := range req.Message {
		if !messageFields[k] {
			return "", fmt.Errorf("unknown field message.%s", k)
		}
	}
	_, hasText := req.Message["text"]
	_, hasAttach := req.Message["attachment"]
	if hasText == hasAttach {
		return "", fmt.Errorf("message needs exactly one of text and attachment")
	}
	if raw, ok := req.Message["quick_replies"]; ok {
		if err := checkQuickReplies(raw); err != nil {
			return "", err
		}
	}
	if hasText {
		var t string
		if json.Unmarshal(req.Message["text"], &t) != nil || t == "" {
			return "", fmt.Errorf("message.text must be a non-empty string")
		}
		if len([]rune(t)) > 2000 {
			return "", fmt.Errorf("message.text longer than 2000 characters")
		}
		return req.Recipient.ID, nil
	}
	var a struct {
		Type    string         `json:"type"`
		Payload map[string]any `json:"payload"`
	}
	if json.Unmarshal(req.Message["attachment"], &a) != nil || !attachTypes[a.Type] || a.Payload == nil {
		return "", fmt.Errorf("attachment needs a valid type and a payload")
	}
	if a.Type != "template" {
		url, _ := a.Payload["url"].(string)
		id, _ := a.Payload["attachment_id"].(string)
		if (url == "") == (id == "") {
			return "", fmt.Errorf("attachment payload needs exactly one of url and attachment_id")
		}
		for k := range a.Payload {
			if k != "url" && k != "attachment_id" && k != "is_reusable" {
				return "", fmt.Errorf("unknown field attachment.payload.%s", k)
			}
		}
	}
	return req.Recipient.ID, nil
}

// checkQuickReplies checks message.quick_replies as the Send API
// documents them: 1–13 items; a "text" one needs a title of at most 20
// characters and a payload of at most 1000; "user_phone_number" and
// "user_email" take neither.
func checkQuickReplies(raw json.RawMessage) error {
	var qrs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &qrs); err != nil {
		return fmt.Errorf("quick_replies must be an array of objects: %v", err)
	}
	if len(qrs) < 1 || len(qrs) > 13 {
		return fmt.Errorf("quick_replies has %d items, want 1–13", len(qrs))
	}
	for _, q := range qrs {
		str := func(k string) (string, bool) {
			var v string
			r, ok := q[k]
			return v, ok && json.Unmarshal(r, &v) == nil
		}
		ct, _ := str("content_type")
		for k := range q {
			if k != "content_type" && k != "title" && k != "payload" && k != "image_url" {
				return fmt.Errorf("unknown field quick_replies[].%s", k)
			}
		}
		switch ct {
		case "text":
			title, ok := str("title")
			if !ok || title == "" || len([]rune(title)) > 20 {
				return fmt.Errorf("a text quick reply needs a title of 1–20 characters, got %q", title)
			}
			payload, ok := str("payload")
			if !ok || payload == "" || len([]rune(payload)) > 1000 {
				return fmt.Errorf("a text quick reply needs a payload of 1–1000 characters")
			}
		case "user_phone_number", "user_email":
		default:
			return fmt.Errorf("invalid quick reply content_type %q", ct)
		}
	}
	return nil
}
