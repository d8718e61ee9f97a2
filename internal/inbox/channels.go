package inbox

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// JobChannelSend sends one outgoing message through its inbox's provider.
const JobChannelSend = "channel.send"

// SendPayload is the payload of the jobs that deliver one outgoing
// message: channel.send and webhook.deliver.
type SendPayload struct {
	MessageID int64 `json:"message_id"`
}

// Channels is what the use cases need from provider channels (WhatsApp,
// SMS, email…); internal/gateway implements it. Keeping it an interface
// lets the inbox enforce a channel's rules inside the reply's transaction
// without knowing any provider.
type Channels interface {
	// Admit checks, inside the reply's transaction, that out may be sent
	// to contact through inbox now: the channel's window, templates, tags
	// and opt-outs. It returns the payload the send job needs (stored on
	// the message, so a retry sends the same) and may fill in out.Text (a
	// template's rendered body). A refusal is a parley error whose message
	// tells the agent why and what they can do instead.
	Admit(tx *store.Tx, inbox parley.Inbox, c parley.Conversation, contact parley.Contact, out *Outgoing) (payload string, err error)
	// Configure checks an inbox's channel settings and secrets and returns
	// the secrets sealed for storing; secrets not given keep their values
	// in old. Inboxes without a provider take neither.
	Configure(in *parley.Inbox, secrets map[string]string, old string) (sealed string, err error)
	// Forget drops what is cached about an inbox after it changed.
	Forget(inboxID int64)
}

// TemplateUse is a provider template chosen for a reply, with the values
// of its variables in order.
type TemplateUse struct {
	Name   string   `json:"name"`
	Params []string `json:"params,omitempty"`
}

// rank orders delivery states so that a late or repeated receipt never
// moves a message backwards (a "delivered" arriving after "read").
func rank(s parley.DeliveryState) int {
	switch s {
	case parley.DeliveryQueued:
		return 0
	case parley.DeliverySent, parley.DeliveryFailed:
		return 1
	case parley.DeliveryDelivered:
		return 2
	case parley.DeliveryRead:
		return 3
	}
	return -1
}

// advances reports whether a receipt saying to may replace from.
func advances(from, to parley.DeliveryState) bool {
	if to == parley.DeliveryFailed {
		return from == parley.DeliveryQueued || from == parley.DeliverySent
	}
	return rank(to) > rank(from) || (from == parley.DeliveryFailed && rank(to) >= rank(parley.DeliverySent))
}

// ApplyReceipt records a provider's news about a message we sent, found by
// the id the provider gave it (only among our sends through that inbox,
// never a customer's message with the same id). Receipts for unknown ids
// (sent outside Parley, or pruned) and receipts that would move a message
// backwards change nothing; both are normal, since providers repeat and
// reorder.
func (s *Service) ApplyReceipt(ctx context.Context, inboxID int64, providerID string, state parley.DeliveryState, reason string) error {
	if providerID == "" || rank(state) < 1 {
		return nil
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		m, err := tx.OutgoingByProviderID(inboxID, providerID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if !advances(m.DeliveryState, state) {
			return nil
		}
		c, err := tx.Conversation(m.ConversationID)
		if err != nil {
			return err
		}
		return tx.SetDelivery(&m, c, state, reason)
	})
}

// ApplyWatermark records a provider's "everything sent to this person up
// to t was delivered (or read)" (Messenger's watermarks).
func (s *Service) ApplyWatermark(ctx context.Context, inboxID int64, kind, externalID string, t time.Time, state parley.DeliveryState) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		contactID, err := tx.ContactByIdentity(kind, inboxID, externalID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		var from []parley.DeliveryState
		for _, st := range []parley.DeliveryState{parley.DeliverySent, parley.DeliveryDelivered} {
			if advances(st, state) {
				from = append(from, st)
			}
		}
		ids, err := tx.OutgoingBefore(inboxID, contactID, t, from...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			m, err := tx.Message(id)
			if err != nil {
				return err
			}
			c, err := tx.Conversation(m.ConversationID)
			if err != nil {
				return err
			}
			if err := tx.SetDelivery(&m, c, state, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// MarkFailed records that a message cannot be delivered, with the reason
// agents see on it.
func (s *Service) MarkFailed(ctx context.Context, messageID int64, reason string) error {
	return s.setDelivery(ctx, messageID, parley.DeliveryFailed, reason)
}

// Reroute moves a queued message to another inbox (RCS falling back to
// SMS) with the payload that inbox's channel needs, and queues its send
// again.
func (s *Service) Reroute(ctx context.Context, messageID, inboxID int64, payload string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.MoveMessage(messageID, inboxID, payload); err != nil {
			return err
		}
		m, err := tx.Message(messageID)
		if err != nil {
			return err
		}
		return s.requeue(tx, &m)
	})
}
