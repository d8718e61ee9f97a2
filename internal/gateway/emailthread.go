package gateway

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/parleyhq/parley/internal/channel/email"
	"github.com/parleyhq/parley/internal/parley"
)

// Which conversation an incoming email belongs to, in the order a mail
// client would thread it (see docs/CHANNELS.md, "Threads"):
//
//  1. Parley's signed reply address (Reply-To of our replies and of the
//     widget's reply notices) names the conversation, whoever writes.
//  2. In-Reply-To/References naming a mail of a conversation in this inbox
//     (the customer's earlier mails, our replies), whoever writes.
//  3. No known thread: the sender's newest conversation in this inbox that
//     began with the same subject (Re:/Fwd: prefixes aside) takes it, so a
//     client that drops thread headers still threads.
//  4. Otherwise the mail starts a conversation of its own, and keeps its
//     subject; it sits in the contact's history beside their others.

// mailThread is where an incoming email goes.
type mailThread struct {
	// InboxID is the conversation's inbox: the email inbox itself, or a
	// widget inbox when the mail answers a reply notice.
	InboxID        int64
	ConversationID int64 // 0: no known thread
	// ContactID is set for a reply to a notice from the very address the
	// notice went to: the visitor, who has no email identity.
	ContactID int64
	// New is true when the mail begins a thread of its own.
	New bool
}

// threadSearch bounds how many of a sender's conversations are compared
// by subject.
const threadSearch = 20

// findThread decides where msg, from the normalised address addr, goes.
func (g *Gateway) findThread(ctx context.Context, c *conn, msg *email.Message, addr string) (mailThread, error) {
	t := mailThread{InboxID: c.inbox.ID}
	if id := email.ConversationFromAddress(msg, c.setting("address"), g.replyKey(c.inbox.ID)); id > 0 {
		conv, err := g.DB.Conversation(ctx, id)
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND: // deleted since: look further
		case err != nil:
			return t, err
		case conv.InboxID == c.inbox.ID:
			t.ConversationID = id
			return t, nil
		default:
			if nt, ok, err := g.noticeReply(ctx, conv, addr); ok || err != nil {
				return nt, err
			}
		}
	}
	id, err := g.threadOf(ctx, c.inbox.ID, append([]string{msg.InReplyTo}, msg.References...))
	if err != nil || id != 0 {
		t.ConversationID = id
		return t, err
	}
	want := threadSubject(msg.Subject)
	list, err := g.DB.EmailThreads(ctx, c.inbox.ID, addr, threadSearch)
	if err != nil {
		return t, err
	}
	for _, s := range list {
		var p struct {
			Subject string `json:"subject"`
		}
		json.Unmarshal([]byte(s.Payload), &p)
		if threadSubject(p.Subject) == want {
			t.ConversationID = s.ConversationID
			return t, nil
		}
	}
	t.New = true
	return t, nil
}

// noticeReply places an answer to a widget reply notice (its Reply-To is
// one of this inbox's signed addresses naming the widget conversation):
// into that conversation, as the visitor's when it comes from the address
// the notice went to, else as the sender's own (a forwarded notice).
// ok is false when conv is not a widget conversation: Parley signs
// addresses only for its email conversations and widget notices, so such
// a tag is not a thread here.
func (g *Gateway) noticeReply(ctx context.Context, conv parley.Conversation, addr string) (t mailThread, ok bool, err error) {
	in, _, err := g.DB.Inbox(ctx, conv.InboxID)
	if err != nil || in.ChannelType != parley.ChannelWidget {
		return t, false, err
	}
	t = mailThread{InboxID: in.ID, ConversationID: conv.ID}
	ct, err := g.DB.Contact(ctx, conv.ContactID)
	if err != nil {
		return t, false, err
	}
	if e, err := parley.NormalizeEmail(ct.Email); err == nil && e == addr {
		t.ContactID = ct.ID
	}
	return t, true, nil
}

// NoticeReplyAddress returns the address a widget reply notice about a
// conversation should name as its Reply-To, so the visitor's answer comes
// back into it: a signed plus-address of the first email inbox that reads
// its mail (IMAP). ok is false when there is none; replies to the notice
// would then reach nobody, and the notice must say so.
func (g *Gateway) NoticeReplyAddress(ctx context.Context, conversationID int64) (addr string, ok bool, err error) {
	list, err := g.DB.Inboxes(ctx)
	if err != nil {
		return "", false, err
	}
	for _, in := range list {
		if in.ChannelType != parley.ChannelEmail || in.Settings["imap_host"] == "" || in.Settings["address"] == "" {
			continue
		}
		a := email.ReplyAddress(in.Settings["address"], conversationID, g.replyKey(in.ID))
		if strings.Contains(a, "+c") {
			return a, true, nil
		}
	}
	return "", false, nil
}

// replyPrefixes are the reply and forward markers mail clients put before
// a subject, in the languages they are most often seen in ("Re:", "RE[2]:",
// "Fwd:", "AW:", "WG:", "SV:", "VS:", "TR:", "RV:", "Antw:", ...).
var replyPrefixes = regexp.MustCompile(`(?i)^\s*(re|fw|fwd|aw|wg|sv|vs|tr|rv|antw|doorst|odp|ref|res|r)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*`)

// threadSubject is a subject as threads compare it: without reply and
// forward prefixes, spaces collapsed, in lower case.
func threadSubject(s string) string {
	for {
		t := replyPrefixes.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
