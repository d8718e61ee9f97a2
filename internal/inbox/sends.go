package inbox

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// A provider send is recorded in steps (see internal/gateway's Send):
// StartSend commits a note that a job attempt is handing the message over,
// before the provider call; MarkSent or EndSend records the outcome and
// clears the note. A note that outlives its attempt means the outcome was
// never learned, and the gateway decides from it whether sending again is
// safe.

// StartSend notes, in a transaction of its own, that attempt ("job/try")
// is about to hand an outgoing message to its provider. It reports false
// when the message is no longer queued, and then nothing must be sent.
func (s *Service) StartSend(ctx context.Context, messageID int64, attempt string) (started bool, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) (err error) {
		started, err = tx.StartSend(messageID, attempt)
		return err
	})
	return started, err
}

// MarkSent records that a provider accepted a message, under the id it
// gave it (which its receipts will name), and closes attempt's note; all
// in one write, so the message is never sent but still noted as handed
// over. A failed message becomes sent too: the outcome an attempt was
// unsure of turned out to be a success.
func (s *Service) MarkSent(ctx context.Context, messageID int64, attempt, providerID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		m, err := tx.Message(messageID)
		if err != nil {
			return err
		}
		if providerID != "" {
			if err := tx.SetProviderID(m.ID, providerID); err != nil {
				return err
			}
		}
		if err := tx.EndSend(m.ID, attempt); err != nil {
			return err
		}
		if m.DeliveryState != parley.DeliveryQueued && m.DeliveryState != parley.DeliveryFailed {
			return nil // a receipt got here first
		}
		c, err := tx.Conversation(m.ConversationID)
		if err != nil {
			return err
		}
		return tx.SetDelivery(&m, c, parley.DeliverySent, "")
	})
}

// EndSend closes a hand-over that did not deliver the message: attempt's
// note ("" for any note) is cleared and, with a reason, a queued message
// fails with it (what agents see, with Retry). Without a reason it stays
// queued for the job's next attempt.
func (s *Service) EndSend(ctx context.Context, messageID int64, attempt, failReason string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.EndSend(messageID, attempt); err != nil {
			return err
		}
		if failReason == "" {
			return nil
		}
		m, err := tx.Message(messageID)
		if err != nil {
			return err
		}
		if m.DeliveryState != parley.DeliveryQueued && m.DeliveryState != parley.DeliveryFailed {
			return nil // sent after all (a worker that lost its lease recorded it)
		}
		c, err := tx.Conversation(m.ConversationID)
		if err != nil {
			return err
		}
		return tx.SetDelivery(&m, c, parley.DeliveryFailed, failReason)
	})
}
