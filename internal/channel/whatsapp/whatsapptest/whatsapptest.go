// Package whatsapptest is a fake WhatsApp Cloud API for tests: an
// httptest.Server that serves POST /{version}/{phone-number-id}/messages
// the way Meta does, checks every request's method, path, bearer token,
// Content-Type and JSON body shape (required fields, valid
// messaging_product / recipient_type / type values, no unknown top-level
// fields), records what it got, and can be told to answer with a Graph
// error or a raw response.
//
// Shape problems are reported with t.Errorf, so a test whose client sends
// a wrong request fails, and the fake answers 400 with Graph code 100 as
// the real API would.
package whatsapptest

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
	Method, Path, Authorization, ContentType string
	Body                                     []byte
	JSON                                     map[string]any // the decoded body
}

// Server is the fake. Create it with New; it is closed when the test ends.
type Server struct {
	*httptest.Server
	Version, PhoneNumberID, Token string

	t       testing.TB
	mu      sync.Mutex
	reqs    []Request
	replies []reply
	n       int
	media   map[string]mediaFile
}

type mediaFile struct {
	mime string
	data []byte
}

// AddMedia makes a media id downloadable, as after a customer sent a file:
// GET /{version}/{id} answers its metadata with a download URL on this
// server, and that URL answers the bytes, both only with the bearer token.
func (s *Server) AddMedia(id, mime string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.media == nil {
		s.media = map[string]mediaFile{}
	}
	s.media[id] = mediaFile{mime, data}
}

// serveMedia answers the two GETs of a media download.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := strings.CutPrefix(r.URL.Path, "/download/"); ok {
		f, found := s.media[id]
		if !found {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.mime)
		w.Write(f.data)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/"+s.Version+"/")
	f, found := s.media[id]
	if !found || strings.Contains(id, "/") {
		graphError(w, http.StatusBadRequest, 100, "Unsupported get request. Object with ID '"+id+"' does not exist")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","url":%q,"mime_type":%q,"file_size":%d,"id":%q}`,
		s.URL+"/download/"+id, f.mime, len(f.data), id)
}

type reply struct {
	status int
	header http.Header
	body   string
	delay  time.Duration
}

// New starts a fake for one phone number id, API version and token.
func New(t testing.TB, version, phoneNumberID, token string) *Server {
	t.Helper()
	s := &Server{Version: version, PhoneNumberID: phoneNumberID, Token: token, t: t}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// FailNext makes the next request answer with HTTP status and a Graph
// error envelope with code and message (queued: call it several times
// for several requests).
func (s *Server) FailNext(status, code int, message string) {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "type": "OAuthException", "code": code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": message},
		"fbtrace_id": "AfakeTrace",
	}})
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
		ContentType: r.Header.Get("Content-Type"), Body: body}
	_ = json.Unmarshal(body, &req.JSON)

	if r.Method == http.MethodGet {
		s.serveMedia(w, r)
		return
	}
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

	if want := "/" + s.Version + "/" + s.PhoneNumberID + "/messages"; r.Method != http.MethodPost || r.URL.Path != want {
		s.t.Errorf("whatsapptest: %s %s, want POST %s", r.Method, r.URL.Path, want)
		graphError(w, http.StatusBadRequest, 100, "Unsupported request: wrong method or path")
		return
	}
	if r.URL.Query().Has("access_token") {
		s.t.Errorf("whatsapptest: access token in the URL; send it as a Bearer header")
	}
	if req.Authorization != "Bearer "+s.Token {
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	if !strings.HasPrefix(req.ContentType, "application/json") {
		s.t.Errorf("whatsapptest: Content-Type %q, want application/json", req.ContentType)
		graphError(w, http.StatusBadRequest, 100, "Content-Type must be application/json")
		return
	}
	if err := CheckBody(body); err != nil {
		s.t.Errorf("whatsapptest: bad request body: %v\n%s", err, body)
		graphError(w, http.StatusBadRequest, 100, "(#100) Invalid parameter: "+err.Error())
		return
	}
	if next != nil {
		for k, vs := range next.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(next.status)
		io.WriteString(w, next.body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if req.JSON["status"] == "read" {
		io.WriteString(w, `{"success":true}`)
		return
	}
	to, _ := req.JSON["to"].(string)
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":"wamid.FAKE%d","message_status":"accepted"}]}`,
		to, strings.TrimPrefix(to, "+"), n)
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AfakeTrace"}})
}

var topLevel = map[string]bool{
	"messaging_product": true, "recipient_type": true, "to": true, "type": true, "context": true,
	"text": true, "image": true, "audio": true, "video": true, "document": true, "sticker": true,
	"template": true, "interactive": true, "location": true, "contacts": true, "reaction": true,
	"biz_opaque_callback_data": true, "status": true, "message_id": true, "typing_indicator": true,
}

var messageTypes = map[string]bool{
	"text": true, "image": true, "audio": true, "video": true, "document": true, "sticker": true,
	"template": true, "interactive": true, "location": true, "contacts": true, "reaction": true,
}

// CheckBody checks a /messages request body against the documented
// shapes: a send (messaging_product "whatsapp", recipient_type
// "individual", to, type and the object named by type, nothing else) or
// a mark-as-read (status "read" and message_id).
func CheckBody(body []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	for k := range m {
		if !topLevel[k] {
			return fmt.Errorf("unknown top-level field %q", k)
		}
	}
	str := func(k string) string {
		var s string
		if raw, ok := m[k]; ok {
			json.Unmarshal(raw, &s)
		}
		return s
	}
	if str("messaging_product") != "whatsapp" {
		return fmt.Errorf(`messaging_product must be "whatsapp"`)
	}
	if _, ok := m["status"]; ok {
		if str("status") != "read" || str("message_id") == "" {
			return fmt.Errorf(`mark-as-read needs status "read" and a message_id`)
		}
		for k := range m {
			if k != "messaging_product" && k != "status" && k != "message_id" && k != "typing_indicator" {
				return fmt.Errorf("field %q not allowed on mark-as-read", k)
			}
		}
		return nil
	}
	if _, ok := m["message_id"]; ok {
		return fmt.Errorf("message_id is only for mark-as-read")
	}
	if rt := str("recipient_type"); rt != "individual" {
		return fmt.Errorf(`recipient_type must be "individual", got %q`, rt)
	}
	if str("to") == "" {
		return fmt.Errorf("to is required")
	}
	typ := str("type")
	if !messageTypes[typ] {
		return fmt.Errorf("invalid type %q", typ)
	}
	for k := range messageTypes {
		if _, ok := m[k]; ok && k != typ {
			return fmt.Errorf("field %q present on a %q message", k, typ)
		}
	}
	raw, ok := m[typ]
	if !ok {
		return fmt.Errorf("type %q without its %q object", typ, typ)
	}
	if c, ok := m["context"]; ok {
		var ctx struct {
			MessageID string `json:"message_id"`
		}
		if json.Unmarshal(c, &ctx) != nil || ctx.MessageID == "" {
			return fmt.Errorf("context needs message_id")
		}
	}
	switch typ {
	case "text":
		var t struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(raw, &t) != nil || t.Body == nil || *t.Body == "" {
			return fmt.Errorf("text.body is required")
		}
		if len([]rune(*t.Body)) > 4096 {
			return fmt.Errorf("text.body longer than 4096 characters")
		}
	case "image", "audio", "video", "document", "sticker":
		var md map[string]any
		if json.Unmarshal(raw, &md) != nil {
			return fmt.Errorf("%s must be an object", typ)
		}
		id, _ := md["id"].(string)
		link, _ := md["link"].(string)
		if (id == "") == (link == "") {
			return fmt.Errorf("%s needs exactly one of id and link", typ)
		}
		for k := range md {
			switch k {
			case "id", "link":
			case "caption":
				if typ == "audio" || typ == "sticker" {
					return fmt.Errorf("%s cannot have a caption", typ)
				}
			case "filename":
				if typ != "document" {
					return fmt.Errorf("only documents have a filename")
				}
			default:
				return fmt.Errorf("unknown field %s.%s", typ, k)
			}
		}
	case "interactive":
		return checkInteractive(raw)
	case "template":
		var t struct {
			Name     string `json:"name"`
			Language struct {
				Code string `json:"code"`
			} `json:"language"`
			Components []struct {
				Type       string `json:"type"`
				Parameters []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"parameters"`
			} `json:"components"`
		}
		if json.Unmarshal(raw, &t) != nil || t.Name == "" || t.Language.Code == "" {
			return fmt.Errorf("template needs name and language.code")
		}
		for _, c := range t.Components {
			switch c.Type {
			case "header", "body", "button", "footer":
			default:
				return fmt.Errorf("invalid template component type %q", c.Type)
			}
			for _, p := range c.Parameters {
				if p.Type == "" {
					return fmt.Errorf("template parameter without type")
				}
				if p.Type == "text" && p.Text == "" {
					return fmt.Errorf("text template parameter without text")
				}
			}
		}
	}
	return nil
}

// checkInteractive checks a reply-button or list message as the Cloud
// API documents them: a body text of at most 1024 characters; 1–3
// buttons of type "reply" with unique ids (at most 256 characters) and
// titles of at most 20; or a list button label of at most 20 and 1–10
// rows in all (ids unique, titles at most 24 characters), each section
// needing a title when there are several.
func checkInteractive(raw json.RawMessage) error {
	var in struct {
		Type string `json:"type"`
		Body *struct {
			Text string `json:"text"`
		} `json:"body"`
		Action *struct {
			Button  string `json:"button"`
			Buttons []struct {
				Type  string `json:"type"`
				Reply struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"reply"`
			} `json:"buttons"`
			Sections []struct {
				Title string `json:"title"`
				Rows  []struct {
					ID          string `json:"id"`
					Title       string `json:"title"`
					Description string `json:"description"`
				} `json:"rows"`
			} `json:"sections"`
		} `json:"action"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return fmt.Errorf("interactive: %v", err)
	}
	if in.Body == nil || in.Body.Text == "" || len([]rune(in.Body.Text)) > 1024 {
		return fmt.Errorf("interactive.body.text is required, at most 1024 characters")
	}
	if in.Action == nil {
		return fmt.Errorf("interactive.action is required")
	}
	ids := map[string]bool{}
	id := func(v string, max int) error {
		if v == "" || len([]rune(v)) > max || ids[v] {
			return fmt.Errorf("ids must be unique, 1–%d characters: %q", max, v)
		}
		ids[v] = true
		return nil
	}
	switch in.Type {
	case "button":
		if n := len(in.Action.Buttons); n < 1 || n > 3 || len(in.Action.Sections) > 0 {
			return fmt.Errorf("a button message has 1–3 buttons and no sections, got %d", n)
		}
		for _, b := range in.Action.Buttons {
			if b.Type != "reply" || b.Reply.Title == "" || len([]rune(b.Reply.Title)) > 20 {
				return fmt.Errorf("buttons are of type reply with a title of 1–20 characters: %+v", b)
			}
			if err := id(b.Reply.ID, 256); err != nil {
				return err
			}
		}
	case "list":
		if in.Action.Button == "" || len([]rune(in.Action.Button)) > 20 || len(in.Action.Buttons) > 0 {
			return fmt.Errorf("a list needs action.button of 1–20 characters and no buttons")
		}
		if n := len(in.Action.Sections); n < 1 || n > 10 {
			return fmt.Errorf("a list has 1–10 sections")
		}
		rows := 0
		for _, sec := range in.Action.Sections {
			if len(in.Action.Sections) > 1 && sec.Title == "" {
				return fmt.Errorf("sections need titles when there are several")
			}
			for _, r := range sec.Rows {
				rows++
				if r.Title == "" || len([]rune(r.Title)) > 24 || len([]rune(r.Description)) > 72 {
					return fmt.Errorf("row titles are 1–24 characters, descriptions at most 72: %+v", r)
				}
				if err := id(r.ID, 200); err != nil {
					return err
				}
			}
		}
		if rows < 1 || rows > 10 {
			return fmt.Errorf("a list has 1–10 rows in all, got %d", rows)
		}
	default:
		return fmt.Errorf("interactive.type %q is not one Parley sends (button, list)", in.Type)
	}
	return nil
}
