package api

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// inboxJSON is an inbox as the API shows it.
type inboxJSON struct {
	parley.Inbox
	ReopenWindowSeconds int64  `json:"reopen_window_seconds"`
	WebhookSecret       string `json:"webhook_secret,omitempty"` // admins only
	// AllowedOrigins shadows the inbox's own field so that a widget
	// inbox that no site may embed shows [] rather than nothing.
	AllowedOrigins *[]string `json:"allowed_origins,omitempty"`
}

func showInbox(in parley.Inbox, secret string) inboxJSON {
	out := inboxJSON{Inbox: in, ReopenWindowSeconds: int64(in.ReopenWindow / time.Second), WebhookSecret: secret}
	if in.ChannelType == parley.ChannelWidget {
		origins := append([]string{}, in.AllowedOrigins...)
		out.AllowedOrigins = &origins
	}
	return out
}

func (s *Server) listInboxes(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.Inboxes(r.Context())
	if err != nil {
		return err
	}
	out := make([]inboxJSON, len(list))
	for i, in := range list {
		out[i] = showInbox(in, "")
	}
	return writeJSON(w, http.StatusOK, map[string]any{"inboxes": out})
}

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "inbox_id")
	if err != nil {
		return err
	}
	in, secret, err := s.DB.Inbox(r.Context(), id)
	if err != nil {
		return err
	}
	if !showsSecrets(r) {
		secret = ""
	}
	return writeJSON(w, http.StatusOK, showInbox(in, secret))
}

type inboxRequest struct {
	Name                *string             `json:"name"`
	ChannelType         *parley.ChannelType `json:"channel_type"`
	ReopenWindowSeconds *int64              `json:"reopen_window_seconds"`
	WebhookURL          *string             `json:"webhook_url"`
	EmailAsk            *string             `json:"email_ask"`
	AwayMinutes         *int                `json:"away_minutes"`
	ReplyTimeText       *string             `json:"reply_time_text"`
	Greeting            *string             `json:"greeting"`
	// AllowedOrigins: the sites that may embed a widget inbox, or ["*"]
	// for any. Left out on create: Parley's own origin only.
	AllowedOrigins *[]string `json:"allowed_origins"`
	// Settings and secrets of a provider channel; on PATCH, the names
	// given replace their values and an empty value removes a setting
	// (secrets not given keep their stored values).
	Settings map[string]string `json:"settings"`
	Secrets  map[string]string `json:"secrets"`
	// Routing replaces the inbox's routing settings whole: auto-assign,
	// business hours, acknowledgements, auto-resolve.
	Routing *parley.Routing `json:"routing"`
}

func (req inboxRequest) empty() bool {
	return req.Name == nil && req.ChannelType == nil && req.ReopenWindowSeconds == nil && req.WebhookURL == nil && req.EmailAsk == nil &&
		req.AwayMinutes == nil && req.ReplyTimeText == nil && req.Greeting == nil && req.AllowedOrigins == nil && req.Settings == nil && req.Secrets == nil && req.Routing == nil
}

const maxReopenWindow = 365 * 24 * time.Hour

func (req inboxRequest) apply(in *parley.Inbox) {
	if req.Name != nil {
		in.Name = *req.Name
	}
	if req.ReopenWindowSeconds != nil {
		secs := *req.ReopenWindowSeconds
		if secs <= 0 || secs > int64(maxReopenWindow/time.Second) {
			in.ReopenWindow = -1 // out of range (and before it can overflow): Validate refuses it
		} else {
			in.ReopenWindow = time.Duration(secs) * time.Second
		}
	}
	if req.WebhookURL != nil {
		in.WebhookURL = *req.WebhookURL
	}
	if req.EmailAsk != nil {
		in.EmailAsk = *req.EmailAsk
	}
	if req.AwayMinutes != nil {
		in.AwayMinutes = *req.AwayMinutes
		if in.AwayMinutes == 0 {
			in.AwayMinutes = -1 // Validate refuses it rather than defaulting
		}
	}
	if req.ReplyTimeText != nil {
		in.ReplyTimeText = *req.ReplyTimeText
	}
	if req.Greeting != nil {
		in.Greeting = *req.Greeting
	}
	if req.Routing != nil {
		in.Routing = *req.Routing
	}
	if req.AllowedOrigins != nil {
		in.AllowedOrigins = *req.AllowedOrigins // Validate normalises and checks them
	}
	for k, v := range req.Settings {
		if in.Settings == nil {
			in.Settings = map[string]string{}
		}
		in.Settings[k] = v // Configure drops the empty ones
	}
}

func (s *Server) createInbox(w http.ResponseWriter, r *http.Request) error {
	var req inboxRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	in := parley.Inbox{ChannelType: parley.ChannelAPI}
	if req.ChannelType != nil {
		in.ChannelType = *req.ChannelType
	}
	if err := s.checkRouting(r.Context(), req.Routing); err != nil {
		return err
	}
	req.apply(&in)
	in, err := s.Inbox.CreateInbox(r.Context(), actorFrom(r), in, req.Secrets)
	if err != nil {
		return err
	}
	_, secret, err := s.DB.Inbox(r.Context(), in.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, showInbox(in, secret))
}

func (s *Server) updateInbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "inbox_id")
	if err != nil {
		return err
	}
	var req inboxRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.empty() {
		return parley.Errorf(parley.EINVALID, "nothing to change: send name, reopen_window_seconds, webhook_url, a widget setting, settings, secrets or routing")
	}
	if err := s.checkRouting(r.Context(), req.Routing); err != nil {
		return err
	}
	in, secret, err := s.DB.Inbox(r.Context(), id)
	if err != nil {
		return err
	}
	if req.ChannelType != nil && *req.ChannelType != in.ChannelType {
		return parley.Errorf(parley.EINVALID, "an inbox's channel_type cannot change; create a new inbox")
	}
	req.apply(&in)
	if in, err = s.Inbox.UpdateInbox(r.Context(), actorFrom(r), in, req.Secrets); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, showInbox(in, secret))
}

// checkRouting checks what inbox.Service does not: that the routing's
// team exists (0 means none) and that its hours are an object or null.
// The hours themselves are checked by the use case.
func (s *Server) checkRouting(ctx context.Context, rt *parley.Routing) error {
	if rt == nil {
		return nil
	}
	if h := bytes.TrimSpace(rt.Hours); len(h) > 0 && h[0] != '{' && !bytes.Equal(h, []byte("null")) {
		return parley.Errorf(parley.EINVALID, `routing.hours must be an object such as {"time_zone": "Europe/Paris", "week": {"mon": ["09:00-17:00"]}}, or null for always open`)
	}
	if rt.TeamID == nil {
		return nil
	}
	switch id := *rt.TeamID; {
	case id == 0:
		rt.TeamID = nil
		return nil
	case id < 0:
		return parley.Errorf(parley.EINVALID, "routing.team_id must be a team's id, or 0 for everyone")
	}
	teams, err := s.DB.Teams(ctx)
	if err != nil {
		return err
	}
	for _, t := range teams {
		if t.ID == *rt.TeamID {
			return nil
		}
	}
	return parley.Errorf(parley.EINVALID, "routing.team_id: team %d does not exist", *rt.TeamID)
}

// incomingRequest is the body of POST /inboxes/{id}/incoming.
type incomingRequest struct {
	Contact struct {
		ExternalID string `json:"external_id"`
		Name       string `json:"name"`
		Email      string `json:"email"`
		Phone      string `json:"phone"`
	} `json:"contact"`
	ExternalMessageID string                `json:"external_message_id"`
	Text              string                `json:"text"`
	Attachments       []inbox.AttachmentRef `json:"attachments"`
}

// incoming stores a customer's message. 201 when it is new, 200 with the
// same ids when external_message_id was received before; either way only
// after the commit.
func (s *Server) incoming(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "inbox_id")
	if err != nil {
		return err
	}
	var req incomingRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	email, err := parley.NormalizeEmail(req.Contact.Email)
	if err != nil {
		return err
	}
	phone, err := parley.NormalizePhone(req.Contact.Phone)
	if err != nil {
		return err
	}
	res, err := s.Inbox.Receive(r.Context(), id, inbox.Incoming{
		Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: req.Contact.ExternalID,
			Name: req.Contact.Name, Email: email, Phone: phone},
		ExternalID:  req.ExternalMessageID,
		Text:        req.Text,
		Attachments: req.Attachments,
	})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	return writeJSON(w, status, res)
}
