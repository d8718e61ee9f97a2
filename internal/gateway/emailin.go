package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/channel/email"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// cursorKey is the channel_state row holding an email inbox's IMAP cursor.
const cursorKey = "imap_cursor"

// EmailScan is how often RunEmail looks for email inboxes added,
// changed or removed.
var EmailScan = 30 * time.Second

// RunEmail keeps one IMAP poller running per email inbox until ctx ends,
// restarting a poller when its inbox's settings or secrets change. It runs
// on every node, and each poller runs under the lease EmailLease(inbox)
// (through Hold): one node reads a mailbox at a time, the mailboxes spread
// over the nodes that take their leases first, and a dead node's
// mailboxes move to another within the lease's TTL. The UID cursor is in
// the database, so the new reader carries on where the old one stopped;
// a mail read twice in a handover is stored once, by its Message-ID.
func (g *Gateway) RunEmail(ctx context.Context) {
	type running struct {
		cancel context.CancelFunc
		key    string
	}
	pollers := map[int64]running{}
	var wg sync.WaitGroup
	defer func() {
		for _, r := range pollers {
			r.cancel()
		}
		wg.Wait()
	}()
	for {
		list, err := g.DB.Inboxes(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Error("gateway: list email inboxes", "err", err)
		}
		seen := map[int64]bool{}
		for _, in := range list {
			if in.ChannelType != parley.ChannelEmail || in.Settings["imap_host"] == "" {
				continue
			}
			seen[in.ID] = true
			sealed, err := g.DB.ChannelSecrets(ctx, in.ID)
			if err != nil {
				continue
			}
			b, _ := json.Marshal(in.Settings)
			key := string(b) + sealed
			if r, ok := pollers[in.ID]; ok && r.key == key {
				continue
			} else if ok {
				r.cancel()
			}
			g.conns.Forget(in.ID) // read the new settings and secrets
			c, err := g.conn(ctx, in.ID, parley.ChannelEmail)
			if err != nil {
				slog.Error("gateway: email inbox", "inbox", in.ID, "err", err)
				continue
			}
			pctx, cancel := context.WithCancel(ctx)
			pollers[in.ID] = running{cancel: cancel, key: key}
			p := g.poller(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				g.hold(pctx, EmailLease(c.inbox.ID), p.Run)
			}()
		}
		for id, r := range pollers {
			if !seen[id] {
				r.cancel()
				delete(pollers, id)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-g.changes():
		case <-time.After(EmailScan):
		}
	}
}

// EmailLease names the lease under which an email inbox's mailbox is read.
func EmailLease(inboxID int64) string { return "gateway.imap." + strconv.FormatInt(inboxID, 10) }

// hold runs run under the named lease, or at once without Hold.
func (g *Gateway) hold(ctx context.Context, name string, run func(ctx context.Context) error) {
	if g.Hold != nil {
		g.Hold(ctx, name, run)
		return
	}
	if err := run(ctx); err != nil && ctx.Err() == nil {
		slog.Error("gateway: stopped", "work", name, "err", err) // an IMAP poller's settings
	}
}

// poller returns the IMAP poller of an email inbox, with its cursor kept
// in channel_state and each mail handed to ReceiveEmail.
func (g *Gateway) poller(c *conn) *email.Poller {
	port, _ := strconv.Atoi(c.setting("imap_port"))
	user := c.setting("imap_username")
	if user == "" {
		user = c.setting("address")
	}
	id := c.inbox.ID
	return &email.Poller{
		Config: email.IMAPConfig{Host: c.setting("imap_host"), Port: port, Username: user, Password: c.secret("imap_password"),
			Security: c.setting("imap_security"), Mailbox: c.setting("imap_mailbox"), Dial: g.guard().DialContext},
		Load: func(ctx context.Context) (email.Cursor, error) {
			var cur email.Cursor
			v, ok, err := g.DB.ChannelState(ctx, id, cursorKey)
			if ok {
				err = json.Unmarshal([]byte(v), &cur)
			}
			return cur, err
		},
		Save: func(ctx context.Context, cur email.Cursor) error {
			b, _ := json.Marshal(cur)
			return g.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetChannelState(id, cursorKey, string(b)) })
		},
		Handle: func(ctx context.Context, uid uint32, raw []byte, omitted []email.Omission) error {
			return g.receiveEmail(ctx, id, raw, omitted)
		},
		MaxPartSize: g.maxMedia(),
		Logger:      slog.Default().With("inbox", id),
	}
}

// ReceiveEmail stores one email that arrived in an email inbox. A bounce
// fails the message it is about; an auto-reply is not a customer reply
// and is dropped; mail that can never be stored (unparseable, no sender,
// our own) is dropped with a log line, so it does not block the mailbox.
// A failure to store is returned, and the poller offers the mail again.
func (g *Gateway) ReceiveEmail(ctx context.Context, inboxID int64, raw []byte) error {
	return g.receiveEmail(ctx, inboxID, raw, nil)
}

// receiveEmail is ReceiveEmail for a mail the poller fetched without the
// parts listed in left (it was over email.MaxMessageSize): they are
// recorded on the message with the files too large to keep, so the
// agent sees what is missing and why.
func (g *Gateway) receiveEmail(ctx context.Context, inboxID int64, raw []byte, left []email.Omission) error {
	c, err := g.conn(ctx, inboxID, parley.ChannelEmail)
	if err != nil {
		return err
	}
	log := slog.Default().With("inbox", inboxID)
	msg, err := email.Parse(raw)
	if err != nil {
		log.Warn("gateway: unreadable email dropped", "err", err)
		return nil
	}
	if b := msg.Bounce; b != nil {
		if b.Permanent && b.OriginalMessageID != "" {
			reason := "The email could not be delivered"
			if b.Diagnostic != "" {
				reason += ": " + b.Diagnostic
			}
			return g.Inbox.ApplyReceipt(ctx, inboxID, externalID(b.OriginalMessageID), parley.DeliveryFailed, reason)
		}
		return nil
	}
	if msg.AutoReply {
		log.Info("gateway: automatic email not treated as a customer reply", "message_id", msg.MessageID, "subject", msg.Subject)
		return nil
	}
	own := strings.ToLower(c.setting("address"))
	if msg.From == nil || msg.From.Address == "" || strings.EqualFold(msg.From.Address, own) {
		log.Info("gateway: email without a customer sender dropped", "message_id", msg.MessageID)
		return nil
	}
	addr, err := parley.NormalizeEmail(msg.From.Address)
	if err != nil {
		log.Warn("gateway: email from an unusable address dropped", "from", msg.From.Address)
		return nil
	}
	thread, err := g.findThread(ctx, c, msg, addr) // emailthread.go
	if err != nil {
		return err
	}
	text := strings.TrimSpace(msg.Text)
	if text == "" {
		text = strings.TrimSpace(msg.FullText)
	}
	if thread.New && msg.Subject != "" {
		// The first mail Parley sees of a thread (perhaps begun elsewhere):
		// its subject says what it is about.
		text = "Subject: " + msg.Subject + "\n\n" + text
	}
	refs, omitted, err := g.uploadAll(ctx, msg.Attachments)
	if err != nil {
		return err
	}
	for _, o := range left {
		omitted = append(omitted, parley.OmittedPart{Filename: o.Filename, ContentType: o.ContentType, Size: o.Size, Reason: o.Reason, Limit: o.Limit})
	}
	if msg.HTML != "" || strings.TrimSpace(msg.FullText) != strings.TrimSpace(msg.Text) {
		// Quotes or a signature were cut, or there was HTML: keep the whole
		// mail, so the agent can read everything the customer sent.
		name := "original.eml"
		if len(left) > 0 {
			name = "original-without-large-files.eml"
		}
		info, err := g.Inbox.Upload(ctx, bytes.NewReader(raw), g.maxMedia())
		if err != nil && parley.ErrorCode(err) != parley.ETOOLARGE {
			return err
		}
		if err == nil {
			refs = append(refs, inbox.AttachmentRef{SHA256: info.SHA256, Filename: name})
		}
	}
	if text == "" && len(refs) == 0 {
		text = "(empty email)"
	}
	text = parley.TruncateText(parley.CleanText(text), parley.MaxTextLength)
	payload, _ := json.Marshal(emailThread{Subject: msg.Subject, MessageID: msg.MessageID, References: msg.References})
	name := parley.CleanLine(msg.From.Name)
	if len(name) > 200 {
		name = ""
	}
	_, err = g.Inbox.Receive(ctx, thread.InboxID, inbox.Incoming{Contact: store.ContactKey{Email: addr, Name: name}, ExternalID: externalID(msg.MessageID),
		Text: text, Attachments: refs, ConversationID: thread.ConversationID, NewThread: thread.New, ContactID: thread.ContactID,
		ChannelPayload: string(payload), Omitted: omitted})
	if err != nil {
		return g.skipRefused(ctx, c, "email", msg.MessageID, err)
	}
	return nil
}

// threadOf finds the conversation one of these Message-IDs belongs to in
// an inbox: our replies' and the customer's earlier mails'.
func (g *Gateway) threadOf(ctx context.Context, inboxID int64, ids []string) (conv int64, err error) {
	err = g.DB.Write(ctx, func(tx *store.Tx) error {
		for i := len(ids) - 1; i >= 0; i-- { // the newest reference first
			if ids[i] == "" {
				continue
			}
			m, err := tx.MessageByExternalID(inboxID, externalID(ids[i]))
			if parley.ErrorCode(err) == parley.ENOTFOUND {
				var reply parley.Message
				reply, err = tx.OutgoingByProviderID(inboxID, externalID(ids[i])) // one of our replies
				m.ConversationID = reply.ConversationID
			}
			if err == nil {
				conv = m.ConversationID
				return nil
			}
			if parley.ErrorCode(err) != parley.ENOTFOUND {
				return err
			}
		}
		return nil
	})
	return conv, err
}

// PollEmail runs one IMAP pass for an email inbox now, and returns how
// many mails it handled: for "check now" and for tests.
func (g *Gateway) PollEmail(ctx context.Context, inboxID int64) (int, error) {
	c, err := g.conn(ctx, inboxID, parley.ChannelEmail)
	if err != nil {
		return 0, err
	}
	return g.poller(c).PollOnce(ctx)
}
