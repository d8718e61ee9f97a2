package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
)

// Use cases of the website widget's visitors. The widget handlers decide
// who the visitor is (a visitor token or a verified user id); everything
// here is scoped to that visitor's contact and the widget inbox.

// WidgetInbox returns a widget inbox. Returns ENOTFOUND for an unknown
// inbox or one of another channel type, so other inboxes stay invisible.
func (s *Service) WidgetInbox(ctx context.Context, id int64) (parley.Inbox, error) {
	in, _, err := s.DB.Inbox(ctx, id)
	if err == nil && in.ChannelType != parley.ChannelWidget {
		err = parley.Errorf(parley.ENOTFOUND, "inbox %d not found", id)
	}
	return in, err
}

// AnyAgentOnline reports whether an agent who could take the inbox's
// conversations (its routing team's members, or anyone without one) has
// chosen to be online. The availability an agent chose is what counts, not
// whether a page of Parley was loaded lately: an agent who went offline
// with a tab open is not there, and one who leaves without saying so is
// set away after AwayAfter by the routing loop.
func (s *Service) AnyAgentOnline(ctx context.Context, in parley.Inbox) (bool, error) {
	n, err := s.DB.AgentsAvailable(ctx, in.Routing.TeamID)
	return n > 0, err
}

// VerifyUserHash reports whether hash is the hex HMAC-SHA256 of userID
// under the inbox's identity secret, in constant time. An empty secret
// verifies nothing.
func VerifyUserHash(secret, userID, hash string) bool {
	if secret == "" || userID == "" {
		return false
	}
	got, err := hex.DecodeString(strings.ToLower(hash))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(userID))
	return hmac.Equal(got, mac.Sum(nil))
}

// WidgetHistory is what a visitor sees of their conversation.
type WidgetHistory struct {
	Conversation parley.Conversation
	Messages     []parley.Message // incoming and outgoing only; never notes
	SeenID       int64            // the last message id the visitor has seen
}

// WidgetHistory returns the visitor's history in a widget inbox: every
// message of their latest conversation and of those it continues, oldest
// first, without internal notes. Returns ENOTFOUND when they have none.
func (s *Service) WidgetHistory(ctx context.Context, inboxID, contactID int64) (h WidgetHistory, err error) {
	if h.Conversation, err = s.DB.LatestConversationOf(ctx, inboxID, contactID); err != nil {
		return h, err
	}
	chain, err := s.DB.ConversationChain(ctx, h.Conversation.ID)
	if err != nil {
		return h, err
	}
	all, err := s.DB.Messages(ctx, chain)
	if err != nil {
		return h, err
	}
	h.Messages = PublicMessages(all)
	h.SeenID, err = s.DB.ContactSeenMessageID(ctx, chain)
	return h, err
}

// PublicMessages drops internal notes.
func PublicMessages(list []parley.Message) []parley.Message {
	out := make([]parley.Message, 0, len(list))
	for _, m := range list {
		if m.Direction == parley.Incoming || m.Direction == parley.Outgoing {
			out = append(out, m)
		}
	}
	return out
}

// MarkWidgetRead records that the visitor has seen their conversation up
// to messageID, which must be a message of it. Returns ENOTFOUND otherwise.
func (s *Service) MarkWidgetRead(ctx context.Context, inboxID, contactID, messageID int64) error {
	h, err := s.WidgetHistory(ctx, inboxID, contactID)
	if err != nil {
		return err
	}
	found := false
	for _, m := range h.Messages {
		found = found || m.ID == messageID
	}
	if !found {
		return parley.Errorf(parley.ENOTFOUND, "message %d not found", messageID)
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.MarkContactSeen(h.Conversation.ID, messageID) })
}

// SetVisitorEmail stores the address a visitor gave for replies, creating
// their contact if they have not written yet. The address joins nothing:
// it is not proof of owning it (see store.Tx.SetContactEmail).
func (s *Service) SetVisitorEmail(ctx context.Context, inboxID int64, key store.ContactKey, email string) (contactID int64, err error) {
	if email, err = parley.NormalizeEmail(email); err != nil {
		return 0, err
	}
	if email == "" {
		return 0, parley.Errorf(parley.EINVALID, "email is required")
	}
	key.Email, key.Phone = "", ""
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		c, _, err := tx.FindOrCreateContact(inboxID, key)
		if err != nil {
			return err
		}
		contactID = c.ID
		return tx.SetContactEmail(c.ID, email)
	})
	return contactID, err
}

// TouchVisitor records that the visitor has the widget open now.
func (s *Service) TouchVisitor(ctx context.Context, contactID int64) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.TouchContact(contactID) })
}

// TouchVisitors records that the visitors (contacts) have the widget open
// now, in one transaction and one statement per 10,000 of them.
func (s *Service) TouchVisitors(ctx context.Context, contactIDs []int64) error {
	if len(contactIDs) == 0 {
		return nil
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.TouchContacts(contactIDs) })
}

// AddVisitorToken gives a contact another visitor identity (the SHA-256 of
// a new token), for a visitor who came back through an emailed link.
func (s *Service) AddVisitorToken(ctx context.Context, inboxID, contactID int64, tokenHash string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Contact(contactID); err != nil {
			return err
		}
		return tx.AddIdentity(contactID, parley.IdentityVisitor, inboxID, tokenHash)
	})
}

// Widget links (emailed resume links, attachment URLs) are signed under
// keys derived from Parley's secret key, bound to the purpose and the
// inbox: never from the inbox's identity secret, which host sites hold
// and use to compute user hashes. Nothing a host can compute, not even
// with the identity secret itself, signs a widget link.

// widgetPurpose names the key for one use in one inbox.
func widgetPurpose(inboxID int64, purpose string) string {
	return "widget " + purpose + " inbox " + strconv.FormatInt(inboxID, 10)
}

// SignWidget returns "payload.expiry.signature" for payload (no dots),
// signed for purpose in the inbox and valid until exp.
func SignWidget(box *secret.Box, inboxID int64, purpose, payload string, exp time.Time) (string, error) {
	body := payload + "." + strconv.FormatInt(exp.Unix(), 10)
	sig, err := box.MAC(widgetPurpose(inboxID, purpose), []byte(body))
	if err != nil {
		return "", err
	}
	return body + "." + sig, nil
}

// VerifyWidget checks a SignWidget token and returns its payload. Returns
// EFORBIDDEN for a forged, malformed or expired one.
func VerifyWidget(box *secret.Box, inboxID int64, purpose, token string, now time.Time) (string, error) {
	bad := parley.Errorf(parley.EFORBIDDEN, "the link is not valid or has expired")
	i := strings.LastIndexByte(token, '.')
	if i < 0 || !box.CheckMAC(widgetPurpose(inboxID, purpose), []byte(token[:i]), token[i+1:]) {
		return "", bad
	}
	payload, expS, ok := strings.Cut(token[:i], ".")
	exp, err := strconv.ParseInt(expS, 10, 64)
	if !ok || err != nil || now.Unix() > exp {
		return "", bad
	}
	return payload, nil
}

// Purposes of signed widget tokens.
const (
	PurposeResume     = "resume"
	PurposeAttachment = "attachment"
)

// ResumeTTL is how long an emailed link reopens a conversation.
const ResumeTTL = 7 * 24 * time.Hour

// ResumeToken signs "inbox-contact" for an emailed link.
func ResumeToken(box *secret.Box, inboxID, contactID int64, exp time.Time) (string, error) {
	return SignWidget(box, inboxID, PurposeResume, fmt.Sprintf("%d-%d", inboxID, contactID), exp)
}

// VerifyResumeToken returns the contact a resume token was made for, in
// this inbox. Returns EFORBIDDEN for a bad or expired token.
func VerifyResumeToken(box *secret.Box, inboxID int64, token string, now time.Time) (int64, error) {
	payload, err := VerifyWidget(box, inboxID, PurposeResume, token, now)
	if err != nil {
		return 0, err
	}
	in, c, _ := strings.Cut(payload, "-")
	contactID, err := strconv.ParseInt(c, 10, 64)
	if in != strconv.FormatInt(inboxID, 10) || err != nil {
		return 0, parley.Errorf(parley.EFORBIDDEN, "the link is not valid or has expired")
	}
	return contactID, nil
}
