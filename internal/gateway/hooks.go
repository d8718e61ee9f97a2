package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// MaxWebhookBytes bounds a webhook body. Providers' payloads are a few
// KiB; media come by reference, never inline.
const MaxWebhookBytes = 1 << 20

// Register adds the webhook and media-link routes to mux.
func (g *Gateway) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /hooks/{channel}/{inbox_id}", g.handshake)
	mux.HandleFunc("POST /hooks/{channel}/{inbox_id}", g.webhook)
	mux.HandleFunc("GET /hooks/media/{attachment_id}/{expires}/{sig}", g.serveMedia)
	mux.HandleFunc("GET /hooks/watch/{attachment_id}/{expires}/{sig}", g.serveWatch)
}

func (g *Gateway) route(r *http.Request) (*conn, error) {
	id, err := strconv.ParseInt(r.PathValue("inbox_id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, parley.Errorf(parley.ENOTFOUND, "no such inbox")
	}
	return g.conn(r.Context(), id, parley.ChannelType(r.PathValue("channel")))
}

// handshake answers a provider's GET verification of the webhook URL.
func (g *Gateway) handshake(w http.ResponseWriter, r *http.Request) {
	c, err := g.route(r)
	if err != nil {
		jsonhttp.Error(w, r, err)
		return
	}
	answer, err := c.driver.handshake(c, r)
	if err != nil {
		jsonhttp.Error(w, r, parley.Errorf(parley.EFORBIDDEN, "webhook verification refused: %v", err))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, answer)
}

// webhook takes one provider call: the signature is checked over the raw
// bytes before anything is parsed, every message and receipt is committed,
// and only then does the provider get its 200. A failure to store answers
// 5xx so that the provider retries; the retry is deduplicated by the
// provider's message id.
func (g *Gateway) webhook(w http.ResponseWriter, r *http.Request) {
	c, err := g.route(r)
	if err != nil {
		jsonhttp.Error(w, r, err)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if err != nil {
		jsonhttp.Error(w, r, parley.Errorf(parley.ETOOLARGE, "webhook body is larger than %d bytes", MaxWebhookBytes))
		return
	}
	p, err := c.driver.parse(g, c, r, raw)
	switch {
	case errors.Is(err, channel.ErrBadSignature):
		slog.Warn("gateway: webhook refused", "inbox", c.inbox.ID, "channel", c.inbox.ChannelType, "err", err)
		jsonhttp.Error(w, r, parley.Errorf(parley.EUNAUTHORIZED, "signature check failed"))
		return
	case err != nil:
		jsonhttp.Error(w, r, parley.Errorf(parley.EINVALID, "malformed %s webhook: %v", c.inbox.ChannelType, err))
		return
	}
	if p.answer == "" {
		if err := g.Apply(r.Context(), c.inbox.ID, p.batch); err != nil {
			jsonhttp.Error(w, r, err)
			return
		}
		p.answer = answerOK
	}
	if c.inbox.ChannelType == parley.ChannelSMS {
		// Twilio reads the answer as TwiML: an empty Response sends nothing back.
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, p.answer)
}

// Apply stores what one webhook call (or one email) carried: each message
// through inbox.Receive (idempotent on the provider's id), each receipt on
// the message it is about. It returns once all of it has committed.
//
// Each message and receipt is its own write. One that Parley refuses
// (EINVALID, ETOOLARGE: a retry would be refused again) is recorded as a
// message.refused event and skipped, so it never costs the others in the
// delivery; any other failure (the database is down) is returned, so the
// provider retries, and what was stored already is deduplicated then.
func (g *Gateway) Apply(ctx context.Context, inboxID int64, b channel.Batch) error {
	c, err := g.conn(ctx, inboxID, "")
	if err != nil {
		return err
	}
	for _, in := range b.Messages {
		if in.Echo {
			// Our own sends coming back (Messenger echoes): the message is
			// already stored under this id, so nothing is stored twice.
			continue
		}
		handled, err := g.surveyAnswer(ctx, c, in)
		if err == nil && !handled {
			err = g.receive(ctx, c, in)
		}
		if err != nil {
			if err := g.skipRefused(ctx, c, "message", in.ProviderMessageID, err); err != nil {
				return err
			}
		}
	}
	for _, rc := range b.Receipts {
		reason := ""
		if rc.Error != nil {
			reason = rc.Error.Message
		}
		if rc.State == parley.DeliveryFailed && c.inbox.ChannelType == parley.ChannelRCS && g.fallBack(ctx, c, rc) {
			continue
		}
		if rc.ProviderMessageID == "" && !rc.Watermark.IsZero() {
			kind := string(c.inbox.ChannelType)
			if err := g.Inbox.ApplyWatermark(ctx, inboxID, kind, rc.Recipient, rc.Watermark, rc.State); err != nil {
				if err := g.skipRefused(ctx, c, "receipt", rc.Recipient, err); err != nil {
					return err
				}
			}
			continue
		}
		if err := g.Inbox.ApplyReceipt(ctx, inboxID, rc.ProviderMessageID, rc.State, reason); err != nil {
			if err := g.skipRefused(ctx, c, "receipt", rc.ProviderMessageID, err); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *Gateway) receive(ctx context.Context, c *conn, in channel.Inbound) error {
	text := in.Text
	if in.Kind == channel.KindLocation && in.Location != nil {
		text = locationText(in)
	}
	var media []inbox.PendingMedia
	for _, m := range in.Media {
		media = append(media, inbox.PendingMedia{ProviderID: m.ProviderID, URL: m.URL, MIMEType: m.MIMEType, Filename: m.Filename})
		if text == "" && m.Caption != "" {
			text = m.Caption
		}
	}
	if text == "" && len(media) == 0 {
		text = fmt.Sprintf("(empty %s message)", in.Kind)
	}
	// Cleaned before the cut, so the cut measures what is stored, and
	// never inside a character.
	text = parley.TruncateText(parley.CleanText(text), parley.MaxTextLength)
	key := c.driver.contact(c, in.From)
	if _, err := g.Inbox.Receive(ctx, c.inbox.ID, inbox.Incoming{Contact: key, ExternalID: in.ProviderMessageID, Text: text, Media: media}); err != nil {
		return fmt.Errorf("gateway: store %s message %s: %w", c.inbox.ChannelType, in.ProviderMessageID, err)
	}
	if c.inbox.ChannelType == parley.ChannelSMS {
		return g.optOut(ctx, c, in)
	}
	return nil
}

func locationText(in channel.Inbound) string {
	l := in.Location
	s := "📍 Shared a location"
	if l.Name != "" || l.Address != "" {
		s += ": " + joinNonEmpty(", ", l.Name, l.Address)
	}
	return fmt.Sprintf("%s\nhttps://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f", s, l.Latitude, l.Longitude)
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}
