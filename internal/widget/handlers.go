package widget

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
)

// configJSON is what the widget shows before anyone writes.
type configJSON struct {
	Name           string `json:"name"`
	Greeting       string `json:"greeting"`
	ReplyTimeText  string `json:"reply_time_text"`
	EmailAsk       string `json:"email_ask"`
	AgentsOnline   bool   `json:"agents_online"`
	AskEmail       bool   `json:"ask_email"` // whether to offer the email field now
	MaxUploadBytes int64  `json:"max_upload_bytes"`
	// UploadPieceBytes is the size of each resumable upload's PATCH: what
	// a dropped connection costs at most.
	UploadPieceBytes int `json:"upload_piece_bytes"`
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) error {
	in, err := s.inboxFor(r)
	if err != nil {
		return err
	}
	online, err := s.Inbox.AnyAgentOnline(r.Context(), in)
	if err != nil {
		return err
	}
	lang, tz := visitorLocale(r)
	return writeJSON(w, http.StatusOK, configJSON{Name: in.Name, Greeting: in.Greeting, ReplyTimeText: s.replyTimeText(r.Context(), in, lang, tz),
		EmailAsk: in.EmailAsk, AgentsOnline: online, MaxUploadBytes: s.MaxUploadBytes,
		UploadPieceBytes: s.Resumable.Pieces(),
		AskEmail:         in.EmailAsk == parley.EmailAskAlways || in.EmailAsk == parley.EmailAskOffline && !online})
}

// session issues a visitor token. Nothing is stored until the visitor
// writes: the token's hash becomes their identity with the first message,
// and its signature (token.go) is what proves it was issued here.
func (s *Server) session(w http.ResponseWriter, r *http.Request) error {
	in, err := s.inboxFor(r)
	if err != nil {
		return err
	}
	token, _, err := s.newToken(in.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"visitor_token": token})
}

// resume trades a signed link from a notification email for a new
// visitor token of that contact.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) error {
	in, err := s.inboxFor(r)
	if err != nil {
		return err
	}
	var req struct {
		Token string `json:"token"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	contactID, err := inbox.VerifyResumeToken(s.Box, in.ID, req.Token, s.DB.Now())
	if err != nil {
		return err
	}
	token, hash, err := s.newToken(in.ID)
	if err != nil {
		return err
	}
	if err := s.Inbox.AddVisitorToken(r.Context(), in.ID, contactID, hash); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"visitor_token": token})
}

// messageJSON is a message as a visitor sees it: no internal ids of
// agents or contacts, no delivery details.
type messageJSON struct {
	ID        int64            `json:"id"`
	Direction parley.Direction `json:"direction"` // incoming (the visitor's) or outgoing (the team's)
	Text      string           `json:"text"`
	Author    string           `json:"author,omitempty"`
	// Automated is set on Parley's own messages (an acknowledgement, a
	// survey): the widget labels them so, never as a person's.
	Automated   bool             `json:"automated,omitempty"`
	Attachments []attachmentJSON `json:"attachments"`
	CreatedAt   time.Time        `json:"created_at"`
	// Survey is set on a survey's question: the widget draws its buttons.
	Survey *surveyJSON `json:"survey,omitempty"`
}

type attachmentJSON struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"` // signed; works without the visitor token (for <img>)
	// DurationMS is a video's length when known (a recording does not
	// tell the player until it has been played through).
	DurationMS int64 `json:"duration_ms,omitempty"`
}

// AutomatedAuthor is how the widget names the sender of Parley's own
// messages.
const AutomatedAuthor = "Automatic message"

// renderer turns messages into messageJSON, caching agents' names.
type renderer struct {
	s     *Server
	inbox int64
	names map[int64]string
	// surveys by message id, loaded by loadSurveys for the messages about
	// to be rendered.
	surveys map[int64]parley.Survey
}

// loadSurveys reads the surveys asked by any of these messages (only
// Parley's own outgoing messages can be one).
func (rd *renderer) loadSurveys(ctx context.Context, list []parley.Message) error {
	var ids []int64
	for _, m := range list {
		if m.Direction == parley.Outgoing && m.AuthorAgentID == nil {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := rd.s.DB.SurveysByMessage(ctx, ids)
	for id, sv := range found {
		rd.surveys[id] = sv
	}
	return err
}

func (s *Server) renderer(ctx context.Context, inboxID int64) (*renderer, error) {
	if !s.Box.HasKey() {
		return nil, secret.ErrNoKey // attachment links could not be signed
	}
	return &renderer{s: s, inbox: inboxID, names: map[int64]string{}, surveys: map[int64]parley.Survey{}}, nil
}

func (rd *renderer) message(ctx context.Context, m parley.Message) messageJSON {
	out := messageJSON{ID: m.ID, Direction: m.Direction, Text: m.Text, CreatedAt: m.CreatedAt, Attachments: []attachmentJSON{}}
	if sv, ok := rd.surveys[m.ID]; ok {
		out.Survey = surveyFor(sv)
	}
	if m.Automated {
		out.Automated, out.Author = true, AutomatedAuthor
	}
	if m.AuthorAgentID != nil {
		name, ok := rd.names[*m.AuthorAgentID]
		if !ok {
			if a, err := rd.s.DB.Agent(ctx, *m.AuthorAgentID); err == nil {
				name = a.Name
			}
			rd.names[*m.AuthorAgentID] = name
		}
		out.Author = name
	}
	// Valid for a day or so; rounding the expiry keeps URLs stable enough
	// for the browser's cache.
	exp := rd.s.DB.Now().Truncate(time.Hour).Add(25 * time.Hour)
	for _, a := range m.Attachments {
		sig, _ := inbox.SignWidget(rd.s.Box, rd.inbox, inbox.PurposeAttachment, fmt.Sprintf("%d-%d", rd.inbox, a.ID), exp) // the key was checked in renderer
		out.Attachments = append(out.Attachments, attachmentJSON{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size,
			URL: fmt.Sprintf("/widget/%d/attachments/%d?sig=%s", rd.inbox, a.ID, sig), DurationMS: a.DurationMS})
	}
	return out
}

type historyJSON struct {
	Messages []messageJSON `json:"messages"`
	// SeenID is the last message the visitor has seen (for the unread badge).
	SeenID int64 `json:"seen_id"`
	// AgentSeenAt is when a person of the team last had the conversation
	// open: the visitor's messages before it show "Seen".
	AgentSeenAt *time.Time `json:"agent_seen_at,omitempty"`
	// Seq is where the live stream should start (?after=) to miss nothing
	// that committed after this history was read.
	Seq   int64 `json:"seq"`
	Email bool  `json:"has_email"`
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, false)
	if err != nil {
		return err
	}
	seq, err := s.DB.LastEventSeq(r.Context())
	if err != nil {
		return err
	}
	out := historyJSON{Messages: []messageJSON{}, Seq: seq}
	if v.contactID == 0 {
		return writeJSON(w, http.StatusOK, out)
	}
	h, err := s.Inbox.WidgetHistory(r.Context(), in.ID, v.contactID)
	if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
		return err
	}
	rd, err := s.renderer(r.Context(), in.ID)
	if err != nil {
		return err
	}
	if err := rd.loadSurveys(r.Context(), h.Messages); err != nil {
		return err
	}
	for _, m := range h.Messages {
		out.Messages = append(out.Messages, rd.message(r.Context(), m))
	}
	out.SeenID = h.SeenID
	if at, err := s.DB.AgentSeenAt(r.Context(), h.Conversation.ID); err != nil {
		return err
	} else if !at.IsZero() {
		out.AgentSeenAt = &at
	}
	c, err := s.DB.Contact(r.Context(), v.contactID)
	if err != nil {
		return err
	}
	out.Email = c.Email != ""
	return writeJSON(w, http.StatusOK, out)
}

type sendRequest struct {
	ID          string                `json:"id"` // the widget's id for the message; a retry repeats it
	Text        string                `json:"text"`
	Attachments []inbox.AttachmentRef `json:"attachments"`
	Name        string                `json:"name"`  // signed-in users' name, from the host page
	Email       string                `json:"email"` // signed-in users' email, from the host page
	// Visit is the page and trail the loader saw, and the host page's
	// attributes: kept with the message for the agent (parley.Visit).
	Visit *parley.Visit `json:"visit"`
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, true)
	if err != nil {
		return err
	}
	if !s.userLimit.allow(r.Context(), "v:"+v.kind+":"+v.id) {
		return rateLimited(w)
	}
	var req sendRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !validClientID(req.ID) {
		return parley.Errorf(parley.EINVALID, "id must be 8 to 64 letters, digits, - or _")
	}
	email := ""
	if req.Email != "" && v.kind == parley.IdentityUser {
		if email, err = parley.NormalizeEmail(req.Email); err != nil {
			return err
		}
	}
	key := v.key()
	if v.kind == parley.IdentityUser {
		key.Name = req.Name
	}
	key.Language, key.TimeZone = visitorLocale(r)
	payload := ""
	if visit := parley.CleanVisit(req.Visit, r.UserAgent()); visit != nil {
		b, _ := json.Marshal(map[string]any{"visit": visit})
		payload = string(b)
	}
	res, err := s.Inbox.Receive(r.Context(), in.ID, inbox.Incoming{Contact: key, ExternalID: v.messageExternalID(req.ID),
		Text: req.Text, Attachments: req.Attachments, ChannelPayload: payload})
	if err != nil {
		return err
	}
	if email != "" && v.contactID == 0 {
		if _, err := s.Inbox.SetVisitorEmail(r.Context(), in.ID, key, email); err != nil {
			return err
		}
	}
	m, err := s.DB.Message(r.Context(), res.MessageID)
	if err != nil {
		return err
	}
	rd, err := s.renderer(r.Context(), in.ID)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	return writeJSON(w, status, map[string]any{"message": rd.message(r.Context(), m)})
}

func humanBytes(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatInt(n>>20, 10) + " MB"
	}
	return strconv.FormatInt(n>>10, 10) + " KB"
}

// attachment serves a file of a visitor's conversation, authorized by the
// signature in its URL (made for this inbox and attachment only).
func (s *Server) attachment(w http.ResponseWriter, r *http.Request) error {
	in, err := s.inboxFor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "attachment_id")
	if err != nil {
		return err
	}
	payload, err := inbox.VerifyWidget(s.Box, in.ID, inbox.PurposeAttachment, r.URL.Query().Get("sig"), s.DB.Now())
	if err != nil || payload != fmt.Sprintf("%d-%d", in.ID, id) {
		return parley.Errorf(parley.EFORBIDDEN, "The link is not valid or has expired.")
	}
	a, err := s.DB.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	// The signature was only ever made for a file the visitor could see;
	// check again that it is on a message of this inbox, not a note.
	m, err := s.DB.Message(r.Context(), a.MessageID)
	if err != nil {
		return err
	}
	if c, err := s.DB.Conversation(r.Context(), m.ConversationID); err != nil || c.InboxID != in.ID || m.Direction == parley.Note {
		return parley.Errorf(parley.ENOTFOUND, "attachment %d not found", id)
	}
	inline := strings.HasPrefix(a.ContentType, "image/") && a.ContentType != "image/svg+xml"
	return blob.Serve(w, r, s.Blobs, a, inline)
}

func (s *Server) setEmail(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, true)
	if err != nil {
		return err
	}
	var req struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if _, err := s.Inbox.SetVisitorEmail(r.Context(), in.ID, v.key(), req.Email); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"has_email": true})
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, true)
	if err != nil {
		return err
	}
	var req struct {
		MessageID int64 `json:"message_id"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if v.contactID == 0 {
		return parley.Errorf(parley.ENOTFOUND, "message %d not found", req.MessageID)
	}
	if err := s.Inbox.MarkWidgetRead(r.Context(), in.ID, v.contactID, req.MessageID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int64{"seen_id": req.MessageID})
}

// replyTimeText is what the widget says about when a reply comes: the
// promise computed from live data (the same the acknowledgement would
// make) when the inbox has business hours or acknowledgements, or when
// nobody is online (an inbox's own "we reply in minutes" would then be
// untrue); otherwise the inbox's own text.
func (s *Server) replyTimeText(ctx context.Context, in parley.Inbox, lang, tz string) string {
	p, err := s.Inbox.ExpectedReply(ctx, in.ID)
	if err != nil || !in.Routing.Ack.Enabled && len(in.Routing.Hours) == 0 && !p.Away {
		return in.ReplyTimeText
	}
	var loc *time.Location
	if tz != "" {
		loc, _ = time.LoadLocation(tz)
	}
	return p.Sentence(lang, loc)
}

// Headers the chat page sends with the visitor's browser settings.
const (
	headerLanguage = "X-Parley-Language"  // navigator.language, e.g. "fr-FR"
	headerTimeZone = "X-Parley-Time-Zone" // Intl's time zone, e.g. "Europe/Paris"
)

// visitorLocale reads the visitor's language and time zone from the chat
// page's headers, dropping anything that is not a tag or a known zone.
func visitorLocale(r *http.Request) (lang, tz string) {
	lang = parley.NormalizeLanguage(r.Header.Get(headerLanguage))
	if tz = r.Header.Get(headerTimeZone); tz != "" {
		if len(tz) > 64 || tz == "Local" {
			tz = ""
		} else if _, err := time.LoadLocation(tz); err != nil {
			tz = ""
		}
	}
	return lang, tz
}

// typing tells the team the visitor is writing (the chat sends it at most
// every few seconds while they type). Before their first message there
// is no conversation to tell, and nothing is sent.
func (s *Server) typing(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, true)
	if err != nil {
		return err
	}
	if v.contactID != 0 && s.userLimit.allow(r.Context(), "t:"+v.kind+":"+v.id) {
		c, err := s.DB.LatestConversationOf(r.Context(), in.ID, v.contactID)
		if err == nil && c.Status != parley.StatusResolved {
			if err := s.DB.Typing(r.Context(), c, nil, "customer"); err != nil {
				return err
			}
		} else if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
