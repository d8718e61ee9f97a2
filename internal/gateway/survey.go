package gateway

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// surveyAnswer takes an inbound message that answers a survey instead of
// storing it: a tapped button, list row, quick reply or suggestion whose
// id is a survey choice (WhatsApp, Messenger, RCS), or a bare digit 1–5
// texted back while the contact's survey is pending (SMS, Zalo). The
// answer is recorded and the conversation is left as it was: an answer is
// not a message and never reopens anything. handled is false for every
// other message, which is then stored as usual.
func (g *Gateway) surveyAnswer(ctx context.Context, c *conn, in channel.Inbound) (handled bool, err error) {
	via := string(c.inbox.ChannelType)
	if token, a, ok := inbox.ParseChoiceID(in.Payload); ok {
		_, err := g.Inbox.AnswerSurvey(ctx, token, c.inbox.ID, a, via)
		switch parley.ErrorCode(err) {
		case "":
			return true, nil
		case parley.ENOTFOUND, parley.ECONFLICT, parley.EINVALID:
			// A stale or foreign button: nothing to record, and nothing
			// worth showing agents either.
			slog.Info("gateway: survey answer ignored", "inbox", c.inbox.ID, "err", err)
			return true, nil
		}
		return false, fmt.Errorf("gateway: survey answer: %w", err)
	}
	if c.inbox.ChannelType != parley.ChannelSMS && c.inbox.ChannelType != parley.ChannelZalo || in.Kind != channel.KindText {
		return false, nil
	}
	handled, err = g.Inbox.AnswerDigit(ctx, c.inbox.ID, c.driver.contact(c, in.From), in.ProviderMessageID, in.Text, via)
	if err != nil {
		return false, fmt.Errorf("gateway: survey digit: %w", err)
	}
	return handled, nil
}
