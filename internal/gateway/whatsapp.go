package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/whatsapp"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func init() { drivers[parley.ChannelWhatsApp] = whatsappDriver{} }

// whatsappDriver is the WhatsApp Business Cloud API.
type whatsappDriver struct{}

func (whatsappDriver) fields() []Field {
	return []Field{
		{Name: "phone_number_id", Label: "Phone number ID", Help: "From WhatsApp Manager → API Setup (the id, not the number).", Required: true},
		{Name: "display_number", Label: "Business number", Help: "Shown to agents, e.g. +1 555 010 0200."},
		{Name: "api_version", Label: "Graph API version", Help: "Empty: " + whatsapp.DefaultVersion + "."},
		{Name: "templates", Label: "Approved templates", Multiline: true,
			Help: "One per line: name|language|body, with {{1}}, {{2}}… for variables, exactly as approved in WhatsApp Manager."},
		{Name: "access_token", Label: "Access token", Help: "A system user's permanent token with whatsapp_business_messaging.", Secret: true, Required: true},
		{Name: "app_secret", Label: "App secret", Help: "Checks X-Hub-Signature-256 on every webhook.", Secret: true, Required: true},
		{Name: "verify_token", Label: "Verify token", Help: "Any string; type the same one in the webhook settings of your Meta app.", Secret: true, Required: true},
	}
}

func (whatsappDriver) check(settings, _ map[string]string) error {
	_, err := Templates(settings["templates"])
	return err
}

// rate: Cloud API numbers start at 80 messages per second.
func (whatsappDriver) rate() float64 { return 80 }

func (whatsappDriver) handshake(c *conn, r *http.Request) (string, error) {
	return whatsapp.VerifyChallenge(r.URL.Query(), c.secret("verify_token"))
}

func (whatsappDriver) parse(_ *Gateway, c *conn, r *http.Request, raw []byte) (parsed, error) {
	if err := whatsapp.CheckSignature(c.secret("app_secret"), raw, r.Header.Get(whatsapp.SignatureHeader)); err != nil {
		return parsed{}, err
	}
	b, err := whatsapp.Parse(raw)
	return parsed{batch: b}, err
}

// contact: a WhatsApp id is a phone number, so a customer known by phone
// from SMS or a form is the same contact here.
func (whatsappDriver) contact(_ *conn, s channel.Sender) store.ContactKey {
	phone := s.Phone
	if phone == "" {
		phone = "+" + strings.TrimPrefix(s.ID, "+")
	}
	if p, err := parley.NormalizePhone(phone); err == nil && p != "" {
		return store.ContactKey{Phone: p, Name: s.Name}
	}
	return store.ContactKey{Kind: string(parley.ChannelWhatsApp), ExternalID: s.ID, Name: s.Name}
}

func (whatsappDriver) address(c *conn, ct parley.Contact) string {
	if id := scopedID(c, ct, parley.ChannelWhatsApp); id != "" {
		return id
	}
	return strings.TrimPrefix(ct.Phone, "+")
}

func (whatsappDriver) window(_ *conn, last, now time.Time) channel.Window {
	return whatsapp.Window(last, now)
}

func (whatsappDriver) client(g *Gateway, c *conn) *whatsapp.Client {
	return &whatsapp.Client{BaseURL: c.setting("base_url"), Version: c.setting("api_version"), AccessToken: c.secret("access_token"),
		PhoneNumberID: c.setting("phone_number_id"), HTTP: g.client()}
}

// send sends, then marks the customer's last message read (blue ticks):
// an answer means it was read. That second call is best effort.
func (d whatsappDriver) send(ctx context.Context, g *Gateway, c *conn, m parley.Message, out channel.Outbound, _ payload) (string, error) {
	cl := d.client(g, c)
	id, err := cl.Send(ctx, out)
	if err == nil {
		if last, lerr := g.DB.LastIncomingExternalID(ctx, m.ConversationID, c.inbox.ID); lerr == nil && last != "" {
			if rerr := cl.MarkRead(ctx, last); rerr != nil {
				slog.Debug("gateway: WhatsApp mark-as-read", "inbox", c.inbox.ID, "err", rerr)
			}
		}
	}
	return id, err
}

func (d whatsappDriver) media(ctx context.Context, g *Gateway, c *conn, md inbox.PendingMedia) (io.ReadCloser, string, error) {
	body, mime, err := d.client(g, c).Media(ctx, md.ProviderID)
	if se, ok := channel.AsSendError(err); ok && se.Permanent {
		return nil, "", permanentErr{err}
	}
	return body, mime, err
}
