package gateway

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// refused reports whether err is Parley refusing the input itself: the
// same delivery would be refused again on every retry, so retrying helps
// no one and only holds back the messages after it.
func refused(err error) bool {
	switch parley.ErrorCode(err) {
	case parley.EINVALID, parley.ETOOLARGE:
		return true
	}
	return false
}

// skipRefused decides what one failed item of a delivery means. A refused
// item is recorded (a message.refused event, which admins read in the
// event log, and a log line) and nil is returned, so the delivery goes on
// and the provider gets its 200. Any other error is returned as it is.
func (g *Gateway) skipRefused(ctx context.Context, c *conn, kind, providerID string, err error) error {
	if !refused(err) {
		return err
	}
	// The id is shown cleaned: it may hold the very bytes that were refused.
	id := parley.TruncateText(parley.CleanLine(providerID), 255)
	slog.Warn("gateway: refused "+kind+" skipped", "inbox", c.inbox.ID, "channel", c.inbox.ChannelType, "provider_id", id, "err", err)
	data := map[string]any{"inbox_id": c.inbox.ID, "channel": c.inbox.ChannelType, "kind": kind, "provider_id": id, "reason": parley.ErrorMessage(err)}
	if werr := g.DB.Write(ctx, func(tx *store.Tx) error {
		return tx.AppendEvent(&parley.Event{Type: parley.EventMessageRefused}, data)
	}); werr != nil {
		return fmt.Errorf("gateway: record refused %s: %w", kind, werr)
	}
	return nil
}
