package inbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Incoming is a message from a customer, as a channel hands it over.
type Incoming struct {
	Contact     store.ContactKey
	ExternalID  string // the sender's id for the message; repeats are the same message
	Text        string
	Attachments []AttachmentRef
	// Media is files a provider lets us fetch later: each becomes a
	// media job, written with the message, that adds the attachment.
	Media []PendingMedia
	// ConversationID, when set, is the conversation the channel says this
	// message answers (email threading: a signed reply address, or
	// In-Reply-To/References). It is used when it is a conversation in
	// this inbox, whoever its contact is: a reply joins its thread even
	// from the customer's other address or a colleague's reply-all, and
	// stays that sender's message. Otherwise the usual rules pick.
	ConversationID int64
	// NewThread says the message begins a thread of its own (an email
	// with a subject none of the contact's conversations has, and no
	// thread headers Parley knows): it opens a new conversation instead
	// of joining the contact's open one. Ignored with ConversationID.
	NewThread bool
	// ContactID, when set, is the sender the channel has already
	// identified (a signed reply from the address a reply notice went
	// to): Contact is then not looked up, and no identity is added.
	ContactID int64
	// ChannelPayload is kept with the message for the channel's own use
	// (an email's subject and Message-ID, for threading the reply).
	ChannelPayload string
	// Omitted lists the parts the channel could not keep (an email's files
	// over the size limits), recorded on the message for the agent.
	Omitted []parley.OmittedPart
}

// PendingMedia is a file on an incoming message still at the provider.
type PendingMedia struct {
	ProviderID string `json:"provider_id,omitempty"`
	URL        string `json:"url,omitempty"`
	MIMEType   string `json:"mime_type,omitempty"`
	Filename   string `json:"filename,omitempty"`
}

// JobMediaFetch fetches a pending file into the attachment store.
const JobMediaFetch = "media.fetch"

// MediaPayload is a media.fetch job's payload.
type MediaPayload struct {
	InboxID   int64        `json:"inbox_id"`
	MessageID int64        `json:"message_id"`
	Media     PendingMedia `json:"media"`
}

// AttachmentRef points at an uploaded blob and names it.
type AttachmentRef struct {
	SHA256   string `json:"upload_id"`
	Filename string `json:"filename"`
}

// Received says where an incoming message landed.
type Received struct {
	ContactID      int64 `json:"contact_id"`
	ConversationID int64 `json:"conversation_id"`
	MessageID      int64 `json:"message_id"`
	// Duplicate is true when the message had been received before; nothing
	// new was stored.
	Duplicate bool `json:"duplicate"`
	// NewConversation is true when this message started a conversation.
	NewConversation bool `json:"new_conversation"`
	// Reopened is true when it reopened a resolved conversation.
	Reopened bool `json:"reopened"`

	from parley.Status // the conversation's status before the message
}

// MaxExternalIDLength bounds senders' message and contact ids.
const MaxExternalIDLength = 255

// Receive stores a customer's message: it finds or creates the contact,
// finds their conversation in the inbox (reopening it inside the reopen
// window, or starting a new one that continues it after), and appends the
// message. It returns once all of that has committed. A message whose
// ExternalID was received before is not stored again; the first one's ids
// are returned with Duplicate set.
func (s *Service) Receive(ctx context.Context, inboxID int64, in Incoming) (r Received, err error) {
	if in.Text, err = parley.ValidateText(in.Text, len(in.Attachments)+len(in.Media)); err != nil {
		return r, err
	}
	if len(in.Media) > 20 {
		return r, parley.Errorf(parley.EINVALID, "at most 20 attachments per message")
	}
	if len(in.Omitted) > 100 {
		in.Omitted = in.Omitted[:100] // a list, not an archive: the first hundred say enough
	}
	if len(in.ExternalID) > MaxExternalIDLength || len(in.Contact.ExternalID) > MaxExternalIDLength {
		return r, parley.Errorf(parley.EINVALID, "ids must be at most %d characters", MaxExternalIDLength)
	}
	if err := checkIncomingIDs(in); err != nil {
		return r, err
	}
	if in.Contact.Name = parley.CleanLine(in.Contact.Name); len(in.Contact.Name) > 200 {
		return r, parley.Errorf(parley.EINVALID, "contact name must be at most 200 characters")
	}
	if err := checkAttachmentRefs(in.Attachments); err != nil {
		return r, err
	}
	inbox, err := s.inbox(ctx, inboxID)
	if err != nil {
		return r, err
	}
	rules, err := s.matcher(ctx)
	if err != nil {
		return r, err
	}
	triaged := triageText(rules, in.Text)
	key := contactKey(inboxID, in.Contact)
	if in.ContactID != 0 {
		key = fmt.Sprintf("contact/%d", in.ContactID)
	}
	hint := store.ReceiveHint{InboxID: inboxID, ExternalID: in.ExternalID, Contact: in.Contact, ContactID: in.ContactID}
	err = s.DB.WriteReceive(ctx, key, hint, func(tx *store.Tx) error {
		r = Received{}
		if in.ExternalID != "" && !tx.KeyCatchesRepeat() {
			m, err := tx.MessageByExternalID(inboxID, in.ExternalID)
			if err == nil {
				r = Received{ContactID: derefID(m.AuthorContactID), ConversationID: m.ConversationID, MessageID: m.ID, Duplicate: true}
				return nil
			}
			if parley.ErrorCode(err) != parley.ENOTFOUND {
				return err
			}
		}
		atts, err := resolveAttachments(tx, in.Attachments)
		if err != nil {
			return err
		}
		var contact parley.Contact
		if in.ContactID != 0 {
			contact, err = tx.Contact(in.ContactID)
		} else {
			contact, _, err = tx.FindOrCreateContact(inboxID, in.Contact)
		}
		if err != nil {
			return err
		}
		conv, changed, err := s.conversationFor(tx, inbox, contact.ID, in, &r)
		if err != nil {
			return err
		}
		if raised, err := s.triageMessage(tx, triaged, &conv); err != nil {
			return err
		} else if raised {
			changed = true
		}
		before := conv
		before.Status = r.from
		if r.NewConversation {
			before = parley.Conversation{}
		}
		if moved, err := s.trackSLA(tx, inbox, before, &conv, slaCustomer); err != nil {
			return err
		} else if moved {
			changed = true
		}
		if r.NewConversation || r.Reopened {
			if err := s.enqueueAck(tx, inbox, conv); err != nil {
				return err
			}
		}
		if (r.NewConversation || r.Reopened) && inbox.Routing.AutoAssign {
			if err := s.queueIfRouted(tx, inbox, &conv); err != nil {
				return err
			}
			changed = true
		}
		m := parley.Message{Direction: parley.Incoming, AuthorContactID: &contact.ID, Text: in.Text,
			ExternalID: in.ExternalID, Attachments: atts, ChannelPayload: in.ChannelPayload, Omitted: in.Omitted}
		if err := tx.CreateMessage(&conv, &m); err != nil {
			return err
		}
		if err := s.saveActivity(tx, &conv, changed); err != nil {
			return err
		}
		for _, md := range in.Media {
			if err := s.enqueue(tx, JobMediaFetch, MediaPayload{InboxID: inboxID, MessageID: m.ID, Media: md}, tx.Now(), 8); err != nil {
				return err
			}
		}
		r.ContactID, r.ConversationID, r.MessageID = contact.ID, conv.ID, m.ID
		return nil
	})
	if err == nil && s.OnReceived != nil {
		s.OnReceived(inbox.ChannelType, r.Duplicate)
	}
	return r, err
}

// conversationFor returns the conversation a customer message goes to,
// applying the lifecycle: an unresolved conversation takes it (waking or
// un-pending it), a resolved one inside the reopen window is reopened, and
// otherwise a new conversation starts that continues the last one. The
// channel's thread (in.ConversationID) is taken over the contact's latest
// conversation; in.NewThread starts a conversation that continues nothing.
// changed reports whether fields other than the activity time changed.
func (s *Service) conversationFor(tx *store.Tx, inbox parley.Inbox, contactID int64, in Incoming, r *Received) (conv parley.Conversation, changed bool, err error) {
	conv, err = tx.LatestConversation(inbox.ID, contactID) // also locks the contact's conversations
	hinted := false
	if hint := in.ConversationID; hint != 0 && (err == nil || parley.ErrorCode(err) == parley.ENOTFOUND) {
		if h, herr := tx.Conversation(hint); herr == nil && h.InboxID == inbox.ID {
			conv, err, hinted = h, nil, true // the thread this message answers, not the contact's latest
		} else if herr != nil && parley.ErrorCode(herr) != parley.ENOTFOUND {
			return conv, false, herr
		}
	}
	if in.NewThread && !hinted && err == nil {
		err = parley.Errorf(parley.ENOTFOUND, "a new thread") // start one below
	}
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		conv = parley.Conversation{InboxID: inbox.ID, ContactID: contactID}
		r.NewConversation = true
		return conv, false, tx.CreateConversation(&conv, nil)
	}
	if err != nil {
		return conv, false, err
	}
	if conv.Status == parley.StatusResolved && !parley.ReopensWithin(*conv.ResolvedAt, tx.Now(), inbox.ReopenWindow) {
		prev := conv.ID
		// The continuation belongs to the thread's contact, who may not be
		// this sender (a colleague answering a long-closed thread).
		conv = parley.Conversation{InboxID: inbox.ID, ContactID: conv.ContactID, PreviousID: &prev, Priority: conv.Priority}
		r.NewConversation = true
		return conv, false, tx.CreateConversation(&conv, nil)
	}
	from := conv.Status
	r.from = from
	to, err := parley.Transition(from, parley.ActionCustomerMessage)
	if err != nil {
		return conv, false, err
	}
	if to == from {
		return conv, false, nil
	}
	conv.Status, conv.SnoozedUntil = to, nil
	if from == parley.StatusResolved {
		conv.ReopenCount++
		r.Reopened = true
	}
	return conv, true, statusEvent(tx, &conv, from, "customer_message", nil)
}

// saveActivity records a message on a conversation: the whole row when the
// message changed more than its activity time, or just that time.
func (s *Service) saveActivity(tx *store.Tx, conv *parley.Conversation, changed bool) error {
	if !changed {
		return tx.TouchConversation(conv)
	}
	conv.LastActivityAt = tx.Now()
	return tx.SaveConversation(conv)
}

// checkIncomingIDs refuses ids that are not clean text (parley.CheckID):
// they are matched byte for byte, so cleaning one would make it another.
// Email and phone come normalised by the channel, but are checked too: a
// channel that forgot must not reach the database with a NUL.
func checkIncomingIDs(in Incoming) error {
	for _, f := range []struct{ what, id string }{
		{"message id", in.ExternalID}, {"contact id", in.Contact.ExternalID}, {"identity kind", in.Contact.Kind},
		{"contact email", in.Contact.Email}, {"contact phone", in.Contact.Phone},
		{"contact language", in.Contact.Language}, {"contact time zone", in.Contact.TimeZone},
	} {
		if err := parley.CheckID(f.what, f.id); err != nil {
			return err
		}
	}
	return nil
}

func checkAttachmentRefs(refs []AttachmentRef) error {
	if len(refs) > 20 {
		return parley.Errorf(parley.EINVALID, "at most 20 attachments per message")
	}
	for _, a := range refs {
		if !blob.ValidSHA(a.SHA256) {
			return parley.Errorf(parley.EINVALID, "attachment upload_id %q is not an id from /api/v1/uploads", a.SHA256)
		}
		if len(a.Filename) > 255 || strings.ContainsAny(a.Filename, "/\\\x00") {
			return parley.Errorf(parley.EINVALID, "attachment filename %q is not allowed", a.Filename)
		}
	}
	return nil
}

// resolveAttachments checks that every referenced upload exists and takes
// its size and sniffed type from the blob registry, never from the caller.
func resolveAttachments(tx *store.Tx, refs []AttachmentRef) ([]parley.Attachment, error) {
	out := make([]parley.Attachment, 0, len(refs))
	for _, ref := range refs {
		size, ctype, err := tx.Blob(ref.SHA256)
		if err != nil {
			return nil, err
		}
		name := ref.Filename
		if name == "" {
			name = "attachment"
		}
		out = append(out, parley.Attachment{SHA256: ref.SHA256, Filename: name, ContentType: ctype, Size: size})
	}
	return out, nil
}

// contactKey names the person a message is from, for WriteKeyed: their
// inbox-scoped id, or else their email or phone.
func contactKey(inboxID int64, k store.ContactKey) string {
	switch {
	case k.ExternalID != "":
		return fmt.Sprintf("%d/%s/%s", inboxID, k.Kind, k.ExternalID)
	case k.Email != "":
		return "email/" + k.Email
	}
	return "phone/" + k.Phone
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
