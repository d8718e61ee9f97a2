package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/rbm"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func init() { drivers[parley.ChannelRCS] = rcsDriver{} }

// rcsDriver is Google's RCS Business Messaging, falling back to an SMS
// inbox for numbers that cannot get RCS.
type rcsDriver struct{}

func (rcsDriver) fields() []Field {
	return []Field{
		{Name: "agent_id", Label: "Agent ID", Help: "The RBM agent's id.", Required: true},
		{Name: "sms_fallback_inbox_id", Label: "SMS fallback inbox", Kind: "number",
			Help: "The id of an SMS inbox: messages to numbers without RCS, or that expire undelivered, go there instead."},
		{Name: "ttl_seconds", Label: "Time to live (seconds)", Kind: "number",
			Help: "How long RBM keeps trying an offline phone before the message expires (and falls back to SMS)."},
		{Name: "access_token", Label: "Access token", Help: "An OAuth token for the rcsbusinessmessaging scope.", Secret: true, Required: true},
		{Name: "client_token", Label: "Webhook client token", Help: "The client token set on the agent's webhook; checks X-Goog-Signature.", Secret: true, Required: true},
	}
}

func (rcsDriver) check(map[string]string, map[string]string) error { return nil }

func (rcsDriver) rate() float64 { return 20 }

func (rcsDriver) handshake(*conn, *http.Request) (string, error) {
	return "", parley.Errorf(parley.ENOTFOUND, "RBM verifies webhooks with a POST")
}

// parse answers RBM's verification POST, or checks and parses a push.
func (rcsDriver) parse(_ *Gateway, c *conn, r *http.Request, raw []byte) (parsed, error) {
	if secret, ok, err := rbm.Verification(c.secret("client_token"), raw); ok {
		return parsed{answer: secret}, err
	}
	b, err := rbm.ParseWebhook(c.secret("client_token"), raw, r.Header.Get(rbm.SignatureHeader))
	return parsed{batch: b}, err
}

func (rcsDriver) contact(_ *conn, s channel.Sender) store.ContactKey {
	if p, err := parley.NormalizePhone(s.Phone); err == nil && p != "" {
		return store.ContactKey{Phone: p, Name: s.Name}
	}
	return store.ContactKey{Kind: string(parley.ChannelRCS), ExternalID: s.ID, Name: s.Name}
}

func (rcsDriver) address(_ *conn, ct parley.Contact) string { return ct.Phone }

func (rcsDriver) window(*conn, time.Time, time.Time) channel.Window {
	return channel.Window{Open: true}
}

func (rcsDriver) send(ctx context.Context, g *Gateway, c *conn, m parley.Message, out channel.Outbound, _ payload) (string, error) {
	cl := &rbm.Client{BaseURL: c.setting("base_url"), AgentID: c.setting("agent_id"), Token: rbm.StaticToken(c.secret("access_token")), HTTP: g.client()}
	opts := rbm.Options{MessageID: stableUUID(c.inbox, m.ID)}
	if s, _ := strconv.Atoi(c.setting("ttl_seconds")); s > 0 {
		opts.TTL = time.Duration(s) * time.Second
	}
	for _, ch := range out.Choices {
		opts.Suggestions = append(opts.Suggestions, rbm.Suggestion{Text: channel.Clip(ch.Title, 25), PostbackData: ch.ID})
	}
	id, err := cl.SendWithOptions(ctx, out, opts)
	if se, ok := channel.AsSendError(err); ok && se.Code == "ALREADY_EXISTS" {
		// RBM took this messageId before: an earlier attempt, whose
		// answer was lost, delivered it. That is this send's success.
		return opts.MessageID, nil
	}
	return id, err
}

// stableUUID names a message for RBM the same way on every retry, so a
// send whose answer was lost is not delivered twice: RBM ignores an id it
// has seen.
func stableUUID(in parley.Inbox, messageID int64) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("parley/rbm/%d/%d/%d", in.ID, in.CreatedAt.UnixMicro(), messageID)))
	h[6] = h[6]&0x0f | 0x50 // version 5-style: name-based
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (rcsDriver) media(ctx context.Context, g *Gateway, c *conn, md inbox.PendingMedia) (io.ReadCloser, string, error) {
	return g.download(ctx, md.URL, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+c.secret("access_token")) })
}

// fallBackSend reroutes a message RBM refused because the number has no
// RCS to the inbox's SMS fallback. It reports whether it did.
func (g *Gateway) fallBackSend(ctx context.Context, c *conn, m parley.Message, p payload, err error) bool {
	if !rbm.FallBackToSMS(err) {
		return false
	}
	return g.reroute(ctx, c, m, p)
}

// fallBack handles an RBM receipt saying a message expired undelivered:
// it goes again by SMS. It reports whether it did.
func (g *Gateway) fallBack(ctx context.Context, c *conn, rc channel.Receipt) bool {
	if rc.Error == nil || !rbm.FallBackToSMS(rc.Error) {
		return false
	}
	var m parley.Message
	err := g.DB.Write(ctx, func(tx *store.Tx) (err error) {
		m, err = tx.OutgoingByProviderID(c.inbox.ID, rc.ProviderMessageID)
		return err
	})
	if err != nil {
		return false
	}
	raw, err := g.DB.ChannelPayload(ctx, m.ID)
	var p payload
	if err != nil || json.Unmarshal([]byte(raw), &p) != nil {
		return false
	}
	return g.reroute(ctx, c, m, p)
}

func (g *Gateway) reroute(ctx context.Context, c *conn, m parley.Message, p payload) bool {
	smsID, _ := strconv.ParseInt(c.setting("sms_fallback_inbox_id"), 10, 64)
	if smsID == 0 {
		return false
	}
	if sms, err := g.conn(ctx, smsID, parley.ChannelSMS); err != nil || sms == nil {
		slog.Warn("gateway: RCS fallback inbox is not an SMS inbox", "inbox", c.inbox.ID, "fallback", smsID, "err", err)
		return false
	}
	// The reply was admitted for RCS: the SMS inbox's opt-outs were not
	// checked then, so they are now. A STOP there also stops fallbacks.
	optedOut, _, err := g.DB.ChannelState(ctx, smsID, optOutKey(p.To))
	if err != nil {
		slog.Error("gateway: RCS fallback: reading opt-outs", "message", m.ID, "err", err)
		return false
	}
	if optedOut == "1" {
		reason := "This phone cannot receive RCS, and the customer replied STOP to the SMS fallback number, so no SMS was sent; they can text START to opt back in."
		if err := g.Inbox.MarkFailed(ctx, m.ID, reason); err != nil {
			slog.Error("gateway: RCS fallback to an opted-out number", "message", m.ID, "err", err)
			return false
		}
		return true
	}
	p.FallbackFrom = c.inbox.ID
	b, _ := json.Marshal(p)
	if err := g.Inbox.Reroute(ctx, m.ID, smsID, string(b)); err != nil {
		slog.Error("gateway: RCS fallback to SMS", "message", m.ID, "err", err)
		return false
	}
	return true
}
