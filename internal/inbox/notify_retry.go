package inbox

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// RetryNotification sends again an email notification that failed for
// good: the row goes back to queued (so the conversation shows it is on
// its way) and a widget.notify job runs now. The job sends unless the
// visitor has read the reply meanwhile, and its outcome replaces the
// failure. Returns ENOTFOUND for an unknown notification and ECONFLICT
// for one that has not failed or is not an email. Any agent may, as with
// a failed message's Retry.
func (s *Service) RetryNotification(ctx context.Context, _ Actor, id int64) (n store.Notification, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if n, err = tx.Notification(id); err != nil {
			return err
		}
		if n.Status != store.NotificationFailed || n.Channel != "email" || n.MessageID == nil {
			return parley.Errorf(parley.ECONFLICT, "notification %d is not a failed email", id)
		}
		if err := tx.SetNotification(&n, store.NotificationQueued, ""); err != nil {
			return err
		}
		c, err := tx.Conversation(n.ConversationID)
		if err != nil {
			return err
		}
		if err := tx.AppendEvent(&parley.Event{Type: EventNotificationEmail, ConversationID: &c.ID, ContactID: &c.ContactID, MessageID: n.MessageID},
			map[string]string{"status": store.NotificationQueued, "reason": "", "recipient": n.Recipient, "channel": n.Channel}); err != nil {
			return err
		}
		return s.enqueue(tx, JobWidgetNotify, notifyPayload{MessageID: *n.MessageID}, tx.Now(), 6)
	})
	return n, err
}
