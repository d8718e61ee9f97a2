package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/mail"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/work"
	stdmail "net/mail"
)

// Emailing widget visitors who left: when an agent replies on a widget
// conversation, a durable job waits the inbox's AwayMinutes and then, if
// the visitor is still away and has not read the reply, emails it with a
// link that reopens the conversation. What happens is always recorded (a
// notifications row and a notification.email event), sent or not.

// JobWidgetNotify is the job that may email a reply to a widget visitor.
const JobWidgetNotify = "widget.notify"

// EventNotificationEmail is parley.EventNotificationEmail (the catalogue
// of event kinds is parley/eventkinds.go).
const EventNotificationEmail = parley.EventNotificationEmail

type notifyPayload struct {
	MessageID int64 `json:"message_id"`
}

// WidgetRepliesConsumer names the cursor of the widget's reply watcher.
const WidgetRepliesConsumer = "widget.replies"

// WidgetReplies returns the consumer of the event log that finds agents'
// replies on widget inboxes and enqueues a notify job for each, to run
// when the inbox's away time has passed. The jobs are enqueued in the
// transaction that moves its cursor, so each reply gets exactly one job,
// whichever node handles it. A database that never ran it starts at the
// end of the log: replies from before are never emailed.
func (s *Service) WidgetReplies() *work.Consumer {
	return &work.Consumer{Name: WidgetRepliesConsumer, DB: s.DB, StartAtEnd: true,
		Handle: func(ctx context.Context, evs []parley.Event) (work.Commit, error) {
			var ids []int64
			for _, e := range evs {
				if e.Type == parley.EventMessageCreated && e.MessageID != nil && bytes.Contains(e.Data, []byte(parley.Outgoing)) {
					ids = append(ids, *e.MessageID)
				}
			}
			if len(ids) == 0 {
				return nil, nil
			}
			return func(tx *store.Tx) error {
				replies, err := tx.WidgetReplies(ids)
				if err != nil {
					return err
				}
				for _, r := range replies {
					runAt := tx.Now().Add(time.Duration(r.AwayMinutes) * time.Minute)
					if err := s.enqueue(tx, JobWidgetNotify, notifyPayload{MessageID: r.MessageID}, runAt, 6); err != nil {
						return err
					}
				}
				return nil
			}, nil
		}}
}

// ScanWidgetReplies runs the WidgetReplies consumer until it has caught up
// with the log.
func (s *Service) ScanWidgetReplies(ctx context.Context) error {
	return s.WidgetReplies().Drain(ctx)
}

// ReplyNotifier runs JobWidgetNotify.
type ReplyNotifier struct {
	Service *Service
	// BaseURL is Parley's public URL, for the link in the email.
	BaseURL func() string
	// Present reports whether the contact has the widget open right now
	// on this process (their live connection); may be nil.
	Present func(contactID int64) bool
	// Send sends an email; nil means mail.Send.
	Send func(ctx context.Context, cfg mail.Config, m mail.Message) error
	// ReplyAddress returns an address Parley reads whose mail comes back
	// into the conversation (a signed plus-address of an email inbox), or
	// ok false when no inbox reads mail; may be nil (none). Without one
	// the notice says that replies are not read, and how to answer.
	ReplyAddress func(ctx context.Context, conversationID int64) (addr string, ok bool, err error)
}

// Run is the job handler. It does nothing when the reply is no longer
// worth an email: the visitor came back, read it, or a later reply's job
// will carry it. Without an address or SMTP settings it records not_sent;
// a send error is retried by the job runner, and recorded as failed when
// it is permanent or the last attempt.
func (n *ReplyNotifier) Run(ctx context.Context, payload string, lastAttempt bool) error {
	s := n.Service
	var p notifyPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return &PermanentError{err}
	}
	m, err := s.DB.Message(ctx, p.MessageID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	done, err := s.DB.Notifications(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	// retry: an agent asked to send a failed notice again
	// (RetryNotification); it goes out unless the visitor has read it.
	retry := false
	for _, d := range done {
		if d.MessageID != nil && *d.MessageID == m.ID {
			if d.Status != store.NotificationQueued {
				return nil // an earlier run got as far as recording the outcome
			}
			retry = true
		}
	}
	c, err := s.DB.Conversation(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	record := func(status, recipient, reason string) error {
		return s.recordNotification(ctx, c, m.ID, status, recipient, reason)
	}
	in, _, err := s.DB.Inbox(ctx, c.InboxID)
	if err != nil {
		return err
	}
	h, err := s.WidgetHistory(ctx, in.ID, c.ContactID)
	if err != nil {
		return err
	}
	var unread []parley.Message
	for _, x := range h.Messages {
		if x.Direction == parley.Outgoing && x.ID > m.ID && !retry {
			return nil // a later reply's job will tell them about both
		}
		if x.Direction == parley.Outgoing && x.ID > h.SeenID {
			unread = append(unread, x)
		}
	}
	if h.SeenID >= m.ID || len(unread) == 0 {
		if retry {
			return record(store.NotificationNotSent, "", "the visitor has read the reply since")
		}
		return nil // they have seen it
	}
	if !retry && n.Present != nil && n.Present(c.ContactID) {
		return nil
	}
	contact, err := s.DB.Contact(ctx, c.ContactID)
	if err != nil {
		return err
	}
	lastSeen, err := s.DB.ContactLastSeen(ctx, contact.ID)
	if err != nil {
		return err
	}
	away := time.Duration(in.AwayMinutes) * time.Minute
	if !retry && lastSeen != nil && s.now().Sub(*lastSeen) < away {
		return nil // they were here a moment ago
	}
	if !retry && contact.Email == "" && contact.Phone != "" {
		if smsID, ok, err := n.smsInbox(ctx); err != nil {
			return err
		} else if ok {
			return n.sms(ctx, c, in, contact, m.ID, smsID)
		}
	}
	if contact.Email == "" {
		return record(store.NotificationNotSent, "", "the visitor left no email address (and no phone number with an SMS inbox set up)")
	}
	cfg, err := s.SMTPSettings(ctx)
	if err != nil {
		return err
	}
	if cfg.Host == "" {
		return record(store.NotificationNotSent, contact.Email, "email is not set up (no SMTP settings)")
	}
	msg, err := n.email(ctx, cfg, in, c.ID, contact, unread)
	if err != nil {
		return err
	}
	send := n.Send
	if send == nil {
		send = mail.Send
	}
	sendErr := send(ctx, mail.Config{Host: cfg.Host, Port: cfg.Port, Username: cfg.Username, Password: cfg.Password, Security: cfg.Security, Dial: s.dial}, msg)
	var perm *mail.PermanentError
	switch {
	case sendErr == nil:
		return record(store.NotificationSent, contact.Email, "")
	case errors.As(sendErr, &perm) || lastAttempt:
		if err := record(store.NotificationFailed, contact.Email, sendErr.Error()); err != nil {
			return err
		}
		return &PermanentError{sendErr}
	}
	return sendErr
}

// recordNotification stores the outcome and its event, once per message.
func (s *Service) recordNotification(ctx context.Context, c parley.Conversation, messageID int64, status, recipient, reason string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		return recordNotificationTx(tx, c, messageID, "email", status, recipient, reason)
	})
}

func recordNotificationTx(tx *store.Tx, c parley.Conversation, messageID int64, channel, status, recipient, reason string) error {
	if prev, err := tx.NotificationForMessage(messageID, channel); err == nil {
		if prev.Status != store.NotificationQueued {
			return nil // recorded by an earlier run
		}
		// An agent's retry: its outcome replaces the failure it retried.
		if err := tx.SetNotification(&prev, status, reason); err != nil {
			return err
		}
	} else if parley.ErrorCode(err) != parley.ENOTFOUND {
		return err
	} else {
		nt := store.Notification{ConversationID: c.ID, MessageID: &messageID, Channel: channel, Recipient: recipient, Status: status, Reason: reason}
		if err := tx.RecordNotification(&nt); err != nil {
			return err
		}
	}
	if status != store.NotificationSent {
		slog.Info("inbox: reply notice not sent", "conversation", c.ID, "message", messageID, "channel", channel, "status", status, "reason", reason)
	}
	return tx.AppendEvent(&parley.Event{Type: EventNotificationEmail, ConversationID: &c.ID, ContactID: &c.ContactID, MessageID: &messageID},
		map[string]string{"status": status, "reason": reason, "recipient": recipient, "channel": channel})
}

// smsInbox is the SMS inbox reply notices go out through: the first one.
func (n *ReplyNotifier) smsInbox(ctx context.Context) (int64, bool, error) {
	list, err := n.Service.DB.Inboxes(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, in := range list {
		if in.ChannelType == parley.ChannelSMS {
			return in.ID, true, nil
		}
	}
	return 0, false, nil
}

// sms tells a visitor who left no email but a phone number that a reply
// is waiting, by SMS, as a message in the conversation (agents see it was
// sent, and how it fared). The notice and its record commit together, so
// a rerun of the job never texts twice.
func (n *ReplyNotifier) sms(ctx context.Context, c parley.Conversation, in parley.Inbox, contact parley.Contact, replyID, smsID int64) error {
	s := n.Service
	link, err := n.resumeLink(ctx, in, contact)
	if err != nil {
		return err
	}
	text := in.Name + ": you have a new reply."
	if link != "" {
		text += " Read it and answer here: " + link
	} else {
		text += " Open the chat on our website to read it."
	}
	_, err = s.write(ctx, System, c.ID, parley.Outgoing, Outgoing{Text: text, ViaInboxID: smsID}, func(tx *store.Tx, _ parley.Message) error {
		return recordNotificationTx(tx, c, replyID, "sms", store.NotificationSent, contact.Phone, "")
	})
	if code := parley.ErrorCode(err); code == parley.EINVALID || code == parley.ECONFLICT {
		// The SMS channel refuses (an opt-out, no number): say so, once.
		return s.DB.Write(ctx, func(tx *store.Tx) error {
			return recordNotificationTx(tx, c, replyID, "sms", store.NotificationNotSent, contact.Phone, parley.ErrorMessage(err))
		})
	}
	return err
}

// resumeLink is a link that reopens the widget conversation for 7 days,
// or "" when this Parley cannot make one.
func (n *ReplyNotifier) resumeLink(ctx context.Context, in parley.Inbox, contact parley.Contact) (string, error) {
	base := ""
	if n.BaseURL != nil {
		base = strings.TrimRight(n.BaseURL(), "/")
	}
	if !n.Service.Box.HasKey() || base == "" {
		return "", nil
	}
	tok, err := ResumeToken(n.Service.Box, in.ID, contact.ID, n.Service.now().Add(ResumeTTL))
	if err != nil {
		return "", err
	}
	return base + "/widget/" + strconv.FormatInt(in.ID, 10) + "/resume?token=" + url.QueryEscape(tok), nil
}

// email builds the notification: the unread replies and a resume link.
func (n *ReplyNotifier) email(ctx context.Context, cfg SMTPSettings, in parley.Inbox, convID int64, contact parley.Contact, unread []parley.Message) (mail.Message, error) {
	s := n.Service
	if len(unread) > 5 {
		unread = unread[len(unread)-5:]
	}
	var b strings.Builder
	greeting := "Hello,"
	if contact.Name != "" {
		greeting = "Hello " + contact.Name + ","
	}
	b.WriteString(greeting + "\n\n")
	if len(unread) == 1 {
		b.WriteString("You have a new reply from " + in.Name + ":\n\n")
	} else {
		fmt.Fprintf(&b, "You have %d new replies from %s:\n\n", len(unread), in.Name)
	}
	for _, m := range unread {
		author := in.Name
		if m.AuthorAgentID != nil {
			if a, err := s.DB.Agent(ctx, *m.AuthorAgentID); err == nil && a.Name != "" {
				author = a.Name
			}
		}
		text := m.Text
		if len(m.Attachments) > 0 {
			text = strings.TrimSpace(text + "\n" + fmt.Sprintf("[%d attachment(s)]", len(m.Attachments)))
		}
		b.WriteString(author + " wrote:\n" + text + "\n\n")
	}
	msg := mail.Message{From: cfg.From, To: contact.Email, Subject: "New reply from " + strings.ReplaceAll(in.Name, "\n", " "),
		Date: s.now()}
	if contact.Name != "" {
		msg.To = (&stdmail.Address{Name: contact.Name, Address: contact.Email}).String()
	}
	link, err := n.resumeLink(ctx, in, contact)
	if err != nil {
		return msg, err
	}
	replyTo, readable := "", false
	if n.ReplyAddress != nil {
		if replyTo, readable, err = n.ReplyAddress(ctx, convID); err != nil {
			return msg, err
		}
	}
	b.WriteString(noticeHowToAnswer(readable, link != ""))
	if readable {
		msg.ReplyTo = replyTo
	}
	if link != "" {
		msg.Link = link
		msg.LinkText = "Continue the conversation"
	}
	msg.Text = b.String()
	return msg, nil
}

// noticeHowToAnswer tells the visitor how to answer a reply notice: by
// replying to it only when an address Parley reads brings the answer
// back (its Reply-To); otherwise it says plainly that replies are not
// read, since the notice comes from the workspace's sending address.
func noticeHowToAnswer(replyRead, link bool) string {
	switch {
	case replyRead && link:
		return "You can answer by replying to this email, or continue the conversation with the link below (it works for 7 days).\n"
	case replyRead:
		return "You can answer by replying to this email.\n"
	case link:
		return "Replies to this email are not read. To answer, use the link below; it opens the conversation again and works for 7 days.\n"
	}
	return "Replies to this email are not read. To answer, open the chat on our website.\n"
}
