package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Admit implements inbox.Channels: it checks inside the reply's
// transaction that a message may go to the contact through the inbox now,
// and returns what the send job needs. Nothing is queued that the channel
// would refuse: no address, an opt-out, a closed window without a template.
func (g *Gateway) Admit(tx *store.Tx, in parley.Inbox, conv parley.Conversation, ct parley.Contact, out *inbox.Outgoing) (string, error) {
	d := drivers[in.ChannelType]
	if d == nil {
		return "", parley.Errorf(parley.EINVALID, "inbox %d has no provider channel", in.ID)
	}
	c := &conn{inbox: in, settings: in.Settings, driver: d}
	if c.settings == nil {
		c.settings = map[string]string{}
	}
	if ct.Identities == nil {
		// Inbox-scoped ids (Messenger, Zalo) live only in identities.
		var err error
		if ct.Identities, err = tx.Identities(ct.ID); err != nil {
			return "", err
		}
	}
	var p payload
	if p.To = d.address(c, ct); p.To == "" {
		return "", parley.Errorf(parley.EINVALID, "%s has no %s address Parley can write to", displayName(ct), in.ChannelType)
	}
	if v, _, err := tx.ChannelState(in.ID, optOutKey(p.To)); err != nil {
		return "", err
	} else if v == "1" {
		return "", parley.Errorf(parley.ECONFLICT, "%s replied STOP and has opted out of messages from this number; they can write START to opt back in", displayName(ct))
	}
	last, err := tx.LastIncomingAt(in.ID, ct.ID)
	if err != nil {
		return "", err
	}
	w := d.window(c, last, tx.Now())
	switch {
	case out.Template != nil:
		t, err := findTemplate(c, out.Template.Name)
		if err != nil {
			return "", err
		}
		if out.Text, err = t.Render(out.Template.Params); err != nil {
			return "", err
		}
		if len(out.Attachments) > 0 {
			return "", parley.Errorf(parley.EINVALID, "a template message cannot carry attachments")
		}
		p.Template, p.Language, p.Params = t.Name, t.Language, out.Template.Params
	case w.Open:
	case w.Needs == "tag:HUMAN_AGENT" && c.setting("human_agent") == "true" && !out.Automated:
		p.Tag = "HUMAN_AGENT"
	default:
		reason := w.Reason
		if w.Needs == "template" {
			reason += " Choose an approved template instead."
		}
		return "", parley.Errorf(parley.ECONFLICT, "%s", strings.TrimSpace(reason))
	}
	if err := g.threading(tx, c, conv, &p, out.Subject); err != nil {
		return "", err
	}
	p.Choices, p.ChoicesLabel = out.Choices, out.ChoicesLabel
	b, _ := json.Marshal(p)
	return string(b), nil
}

func displayName(ct parley.Contact) string {
	if ct.Name != "" {
		return ct.Name
	}
	return fmt.Sprintf("Contact %d", ct.ID)
}

func findTemplate(c *conn, name string) (Template, error) {
	list, err := Templates(c.setting("templates"))
	if err != nil {
		return Template{}, err
	}
	for _, t := range list {
		if t.Name == name {
			return t, nil
		}
	}
	return Template{}, parley.Errorf(parley.EINVALID, "inbox %d has no template %q", c.inbox.ID, name)
}

// WindowFor returns what an inbox's channel allows writing to a contact
// now, for the composer; ok is false for inboxes without a provider.
func (g *Gateway) WindowFor(ctx context.Context, inboxID, contactID int64) (w channel.Window, ok bool, err error) {
	c, err := g.conn(ctx, inboxID, "")
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return w, false, nil
	}
	if err != nil {
		return w, false, err
	}
	last, err := g.DB.LastIncomingAt(ctx, inboxID, contactID)
	return c.driver.window(c, last, g.now()), true, err
}

// retryLater is a send worth trying again, not before a provider's
// Retry-After.
type retryLater struct {
	err   error
	after time.Duration
}

func (e retryLater) Error() string             { return e.err.Error() }
func (e retryLater) Unwrap() error             { return e.err }
func (e retryLater) RetryAfter() time.Duration { return e.after }
func (permanentErr) Permanent() bool           { return true }
func (e permanentErr) Error() string           { return e.err.Error() }
func (e permanentErr) Unwrap() error           { return e.err }

type permanentErr struct{ err error }

// Send is the channel.send job: it sends one queued message through its
// inbox's provider, at the inbox's rate, and records the outcome. A
// provider's permanent refusal fails the message at once with the reason
// agents see; rate limits and 5xx are retried with backoff (at least the
// provider's Retry-After); the last attempt's failure is recorded too.
// After a provider may have taken the message, it is never sent again
// unless the provider dedupes (attempt.go).
func (g *Gateway) Send(ctx context.Context, job store.Job) error {
	lastAttempt := job.Attempts >= job.MaxAttempts
	var sp inbox.SendPayload
	if err := json.Unmarshal([]byte(job.Payload), &sp); err != nil {
		return permanentErr{err}
	}
	m, err := g.DB.Message(ctx, sp.MessageID)
	if err != nil {
		return permanentErr{err}
	}
	if m.DeliveryState != parley.DeliveryQueued {
		return nil // sent by an earlier run; a failed one is queued again by Retry
	}
	c, err := g.conn(ctx, m.InboxID, "")
	if err != nil {
		return g.fail(ctx, m.ID, err.Error(), err)
	}
	var p payload
	raw, err := g.DB.ChannelPayload(ctx, m.ID)
	if err == nil {
		err = json.Unmarshal([]byte(raw), &p)
	}
	if err != nil {
		return g.fail(ctx, m.ID, "the message's channel data is unreadable", err)
	}
	out := channel.Outbound{To: p.To, Text: m.Text, Tag: p.Tag, ChoicesLabel: p.ChoicesLabel}
	for _, ch := range p.Choices {
		out.Choices = append(out.Choices, channel.Choice{ID: ch.ID, Title: ch.Title})
	}
	if p.Template != "" {
		out.Template = &channel.Template{Name: p.Template, Language: p.Language, Params: p.Params}
		out.Text = ""
	}
	for _, a := range m.Attachments {
		if strings.HasPrefix(a.ContentType, "video/") && !carriesVideo(c.inbox.ChannelType, a.ContentType) {
			// The channel cannot carry this video (the composer said so
			// before sending): the customer gets a page that plays it.
			u, err := g.signedURL("watch", a, watchLinkTTL)
			if err != nil {
				return g.fail(ctx, m.ID, err.Error(), err)
			}
			watch := "Watch the video"
			if l := parley.VideoLength(a.DurationMS); l != "" {
				watch += " (" + l + ")"
			}
			out.Text = strings.TrimSpace(out.Text + "\n\n" + watch + ": " + u)
			continue
		}
		u, err := g.MediaURL(a)
		if err != nil {
			return g.fail(ctx, m.ID, err.Error(), err)
		}
		out.Media = append(out.Media, channel.OutMedia{URL: u, MIMEType: a.ContentType, Filename: a.Filename})
	}
	// An earlier run that handed the message over and never recorded the
	// outcome decides whether this one may send (attempt.go).
	if done, err := g.openSend(ctx, c, m.ID); done || err != nil {
		return err
	}
	if err := g.waitToSend(ctx, c); err != nil {
		return err
	}
	attempt := fmt.Sprintf("%d/%d", job.ID, job.Attempts)
	if started, err := g.Inbox.StartSend(ctx, m.ID, attempt); err != nil || !started {
		return err // not noted, not sent; or no longer queued
	}
	var w wire
	id, sendErr := c.driver.send(w.trace(ctx), g, c, m, out, p)
	if sendErr == nil {
		return g.recordSent(ctx, c, m.ID, attempt, id)
	}
	if handedOver(sendErr, &w) && !resendSafe(c.driver) {
		return g.uncertain(ctx, c, m.ID, sendErr)
	}
	se, isSendErr := channel.AsSendError(sendErr)
	var refused *outbound.RefusedError
	switch {
	case errors.As(sendErr, &refused):
		// The guard would not call the provider's address: a setting to
		// change, not a moment to wait out, so it fails now with the reason.
		return g.endSend(ctx, m.ID, attempt, "Parley did not send: "+refused.Error(), sendErr)
	case c.inbox.ChannelType == parley.ChannelRCS && g.fallBackSend(ctx, c, m, p, sendErr):
		return nil
	case isSendErr && (se.Permanent || lastAttempt):
		return g.endSend(ctx, m.ID, attempt, se.Message, sendErr)
	case lastAttempt:
		return g.endSend(ctx, m.ID, attempt, "Could not reach "+string(c.inbox.ChannelType)+": "+sendErr.Error(), sendErr)
	}
	// Not taken (or, on a provider that dedupes, perhaps taken): the note
	// is cleared and the job tries again. Should the clearing fail, the
	// next run finds the note and treats the outcome as unknown.
	if err := g.Inbox.EndSend(ctx, m.ID, attempt, ""); err != nil {
		return err
	}
	if isSendErr && se.RetryAfter > 0 {
		return retryLater{sendErr, se.RetryAfter}
	}
	return sendErr
}

// endSend fails a message the provider did not take, closing its note.
func (g *Gateway) endSend(ctx context.Context, messageID int64, attempt, reason string, cause error) error {
	if err := g.Inbox.EndSend(ctx, messageID, attempt, reason); err != nil {
		return err
	}
	return permanentErr{cause}
}

func (g *Gateway) fail(ctx context.Context, messageID int64, reason string, cause error) error {
	if err := g.Inbox.MarkFailed(ctx, messageID, reason); err != nil {
		return err
	}
	return permanentErr{cause}
}

// optOutKey names the channel_state row of an SMS opt-out.
func optOutKey(address string) string { return "optout:" + address }
