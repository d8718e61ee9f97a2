package inbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Outgoing is a reply or an internal note written by the team.
type Outgoing struct {
	Text        string
	Attachments []AttachmentRef
	// Template is a provider template to send instead of free text
	// (WhatsApp outside its 24-hour window); its body becomes Text.
	Template *TemplateUse
	// ViaInboxID continues the conversation on another of the contact's
	// channels (a widget conversation answered on WhatsApp); zero: the
	// conversation's own inbox.
	ViaInboxID int64
	// Subject heads an email that starts a thread (a workflow writing to
	// a WhatsApp customer by email); a reply in a thread keeps its own.
	Subject string
	// Choices are answers offered as buttons (a survey's scores), on the
	// channels that have them; ChoicesLabel opens a list of them.
	Choices      []Choice
	ChoicesLabel string
	// Automated marks Parley's own messages (surveys): channels must not
	// send them under a tag meant for a person's reply (Messenger's
	// HUMAN_AGENT), so outside the window they are refused.
	Automated bool
}

// Reply sends a message to the contact. On an API inbox with a webhook the
// message is queued and delivered by a durable job; without one, the
// business's system reads it from the API and it counts as sent.
func (s *Service) Reply(ctx context.Context, actor Actor, conversationID int64, out Outgoing) (parley.Message, error) {
	return s.write(ctx, actor, conversationID, parley.Outgoing, out)
}

// ReplyWith sends a reply like Reply and runs also in the same
// transaction once the message exists: an approved reply records its
// approval there, so the approval and the message commit together or not
// at all. An error from also stores nothing.
func (s *Service) ReplyWith(ctx context.Context, actor Actor, conversationID int64, out Outgoing,
	also func(*store.Tx, parley.Message) error) (parley.Message, error) {
	return s.write(ctx, actor, conversationID, parley.Outgoing, out, also)
}

// AddNote adds an internal note that the contact never sees.
func (s *Service) AddNote(ctx context.Context, actor Actor, conversationID int64, out Outgoing) (parley.Message, error) {
	return s.write(ctx, actor, conversationID, parley.Note, out)
}

// AddNoteWith is AddNote with also run in the note's transaction once the
// note exists (a workflow records its step there, so the step is done
// exactly when the note is written). An error from also stores nothing.
func (s *Service) AddNoteWith(ctx context.Context, actor Actor, conversationID int64, out Outgoing,
	also func(*store.Tx, parley.Message) error) (parley.Message, error) {
	return s.write(ctx, actor, conversationID, parley.Note, out, also)
}

// write stores a reply or note; also, if given, runs in the same
// transaction once the message exists.
func (s *Service) write(ctx context.Context, actor Actor, conversationID int64, dir parley.Direction, out Outgoing,
	also ...func(*store.Tx, parley.Message) error) (m parley.Message, err error) {
	if dir == parley.Note && (out.Template != nil || out.ViaInboxID != 0) {
		return m, parley.Errorf(parley.EINVALID, "a note stays in Parley: it has no template or channel")
	}
	files := len(out.Attachments)
	if out.Template != nil {
		files++ // the template's body is the text
	}
	if out.Text, err = parley.ValidateText(out.Text, files); err != nil {
		return m, err
	}
	if err := checkAttachmentRefs(out.Attachments); err != nil {
		return m, err
	}
	if dir == parley.Outgoing && out.Template == nil {
		if err := checkUnfilled(out.Text); err != nil {
			return m, err
		}
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(conversationID)
		if err != nil {
			return err
		}
		atts, err := resolveAttachments(tx, out.Attachments)
		if err != nil {
			return err
		}
		// A message no person or business system wrote (Parley itself, as
		// System) is automatic, whoever asked for it; it answers nothing:
		// only a person's reply, or the business's system through a token,
		// is a response.
		automated := dir == parley.Outgoing && (out.Automated || actor.AgentID == nil && actor.TokenID == 0)
		answers := parley.IsResponse(dir, actor.AgentID != nil, actor.TokenID != 0) && !automated
		m = parley.Message{Direction: dir, AuthorAgentID: actor.AgentID, Text: out.Text, Attachments: atts, Automated: automated, Response: answers}
		job := ""
		if dir == parley.Outgoing {
			if job, err = s.route(tx, c, &out, &m); err != nil {
				return err
			}
		}
		if err := tx.CreateMessage(&c, &m); err != nil {
			return err
		}
		now := tx.Now()
		before := c
		c.LastActivityAt = now
		if answers && c.FirstResponseAt == nil {
			c.FirstResponseAt = &now
		}
		if answers {
			own, err := tx.Inbox(c.InboxID)
			if err != nil {
				return err
			}
			if _, err := s.trackSLA(tx, own, before, &c, slaReply); err != nil {
				return err
			}
		}
		if err := tx.SaveConversation(&c); err != nil {
			return err
		}
		if job != "" {
			if err := s.enqueue(tx, job, SendPayload{MessageID: m.ID}, now, 8); err != nil {
				return err
			}
		}
		for _, f := range also {
			if err := f(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return m, err
}

// route decides how an outgoing message leaves: through a provider channel
// (after its rules admit it), to an API inbox's webhook, or nowhere (an
// API inbox without a webhook, read back through the API). It returns the
// job that delivers it, if any.
func (s *Service) route(tx *store.Tx, c parley.Conversation, out *Outgoing, m *parley.Message) (job string, err error) {
	viaID := c.InboxID
	if out.ViaInboxID != 0 {
		viaID = out.ViaInboxID
	}
	inbox, err := tx.Inbox(viaID)
	if err != nil {
		return "", err
	}
	if viaID != c.InboxID && !inbox.ChannelType.Provider() {
		return "", parley.Errorf(parley.EINVALID, "a conversation can only be continued on a messaging channel (WhatsApp, SMS, email…), not on %s inbox %d", inbox.ChannelType, viaID)
	}
	if !inbox.ChannelType.Provider() {
		if out.Template != nil {
			return "", parley.Errorf(parley.EINVALID, "templates exist only on provider channels, not on %s inboxes", inbox.ChannelType)
		}
		m.DeliveryState = parley.DeliverySent
		if inbox.WebhookURL != "" {
			m.DeliveryState, job = parley.DeliveryQueued, JobWebhookDeliver
		}
		return job, nil
	}
	if s.Channels == nil {
		return "", parley.Errorf(parley.EINVALID, "this Parley cannot send on %s channels", inbox.ChannelType)
	}
	contact, err := tx.Contact(c.ContactID)
	if err != nil {
		return "", err
	}
	if m.ChannelPayload, err = s.Channels.Admit(tx, inbox, c, contact, out); err != nil {
		return "", err
	}
	if m.Text, err = parley.ValidateText(out.Text, len(out.Attachments)); err != nil {
		return "", err
	}
	m.InboxID, m.DeliveryState = inbox.ID, parley.DeliveryQueued
	return JobChannelSend, nil
}

// RetryDelivery queues a failed outgoing message for delivery again.
// Returns ECONFLICT for a message that has not failed.
func (s *Service) RetryDelivery(ctx context.Context, actor Actor, messageID int64) (m parley.Message, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if m, err = tx.Message(messageID); err != nil {
			return err
		}
		if m.Direction != parley.Outgoing || m.DeliveryState != parley.DeliveryFailed {
			return parley.Errorf(parley.ECONFLICT, "message %d has not failed to deliver", messageID)
		}
		return s.requeue(tx, &m)
	})
	return m, err
}

// requeue marks an outgoing message queued and enqueues the job that
// delivers it through its inbox: a provider send or a webhook post.
func (s *Service) requeue(tx *store.Tx, m *parley.Message) error {
	c, err := tx.Conversation(m.ConversationID)
	if err != nil {
		return err
	}
	inbox, err := tx.Inbox(m.InboxID)
	if err != nil {
		return err
	}
	if err := tx.SetDelivery(m, c, parley.DeliveryQueued, ""); err != nil {
		return err
	}
	// Queued again on purpose (an agent's retry, a reroute): an earlier
	// hand-over whose outcome was unknown no longer holds the send back.
	if err := tx.EndSend(m.ID, ""); err != nil {
		return err
	}
	job := JobWebhookDeliver
	if inbox.ChannelType.Provider() {
		job = JobChannelSend
	}
	return s.enqueue(tx, job, SendPayload{MessageID: m.ID}, tx.Now(), 8)
}

// WebhookBody is what an API inbox's webhook receives for each reply.
type WebhookBody struct {
	Event          string         `json:"event"` // "message.outgoing"
	InboxID        int64          `json:"inbox_id"`
	ConversationID int64          `json:"conversation_id"`
	Contact        parley.Contact `json:"contact"`
	Message        parley.Message `json:"message"`
}

// PermanentError marks a failure that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// DeliverWebhook is the webhook.deliver job: it posts an outgoing message
// to its API inbox's webhook, signed with the inbox's secret in
// X-Parley-Signature (sha256=HMAC-SHA256 of timestamp "." body), and
// records the outcome. 5xx, 429 and network errors are retried by the job
// runner; other 4xx answers fail the message at once with the reason.
func (s *Service) DeliverWebhook(ctx context.Context, payload string, lastAttempt bool) error {
	var p SendPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return &PermanentError{err}
	}
	m, err := s.DB.Message(ctx, p.MessageID)
	if err != nil {
		return &PermanentError{err}
	}
	if m.DeliveryState != parley.DeliveryQueued && m.DeliveryState != parley.DeliveryFailed {
		return nil // delivered by an earlier run (a failed one is sent again when its job is retried)
	}
	c, err := s.DB.Conversation(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	inbox, secret, err := s.DB.Inbox(ctx, c.InboxID)
	if err != nil {
		return err
	}
	if inbox.WebhookURL == "" {
		// The webhook was removed since: the business's system reads
		// replies from the API, as for any inbox without one.
		return s.setDelivery(ctx, m.ID, parley.DeliverySent, "")
	}
	contact, err := s.DB.Contact(ctx, c.ContactID)
	if err != nil {
		return err
	}
	sendErr := s.post(ctx, inbox.WebhookURL, secret, WebhookBody{Event: "message.outgoing", InboxID: inbox.ID, ConversationID: c.ID, Contact: contact, Message: m})
	var perm *PermanentError
	switch {
	case sendErr == nil:
		return s.setDelivery(ctx, m.ID, parley.DeliverySent, "")
	case errors.As(sendErr, &perm) || lastAttempt:
		if err := s.setDelivery(ctx, m.ID, parley.DeliveryFailed, sendErr.Error()); err != nil {
			return err
		}
		return &PermanentError{sendErr}
	}
	return sendErr
}

func (s *Service) post(ctx context.Context, url, secret string, body WebhookBody) error {
	b, err := json.Marshal(body)
	if err != nil {
		return &PermanentError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return &PermanentError{err}
	}
	stamp := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Parley-Timestamp", stamp)
	req.Header.Set("X-Parley-Signature", "sha256="+SignWebhook(secret, stamp, b))
	var client interface {
		Do(*http.Request) (*http.Response, error)
	} = s.HTTPClient
	if s.HTTPClient == nil {
		client = strictClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		return webhookErr(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return &PermanentError{fmt.Errorf("webhook answered %s", resp.Status)}
}

// SignWebhook returns the hex HMAC-SHA256 of timestamp "." body under
// secret. Receivers recompute it and compare in constant time; the
// timestamp lets them refuse replays.
func SignWebhook(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func (s *Service) setDelivery(ctx context.Context, messageID int64, state parley.DeliveryState, reason string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		m, err := tx.Message(messageID)
		if err != nil {
			return err
		}
		c, err := tx.Conversation(m.ConversationID)
		if err != nil {
			return err
		}
		return tx.SetDelivery(&m, c, state, reason)
	})
}

// Permanent tells the job runner not to retry.
func (e *PermanentError) Permanent() bool { return true }
