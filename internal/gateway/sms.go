package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/twilio"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func init() { drivers[parley.ChannelSMS] = smsDriver{} }

// smsDriver is SMS and MMS through Twilio's Programmable Messaging API.
type smsDriver struct{}

func (smsDriver) fields() []Field {
	return []Field{
		{Name: "account_sid", Label: "Account SID", Help: "AC… from the Twilio console.", Required: true},
		{Name: "from", Label: "From number", Help: "The Twilio number in E.164, e.g. +15550100200 (or leave empty and set a Messaging Service)."},
		{Name: "messaging_service_sid", Label: "Messaging Service SID", Help: "MG…; Twilio then picks the sender from the service's pool."},
		{Name: "price_per_segment", Label: "Price per segment", Kind: "number", Help: "Shown to agents as the estimated cost of a reply, e.g. 0.0079."},
		{Name: "currency", Label: "Currency", Help: "e.g. USD."},
		{Name: "auth_token", Label: "Auth token", Help: "Signs Twilio's webhooks (X-Twilio-Signature) and authenticates sends.", Secret: true, Required: true},
	}
}

func (smsDriver) check(settings, _ map[string]string) error {
	if settings["from"] == "" && settings["messaging_service_sid"] == "" {
		return fieldErr(parley.ChannelSMS, "set a From number or a Messaging Service SID")
	}
	if f := settings["from"]; f != "" {
		if _, err := parley.NormalizePhone(f); err != nil {
			return err
		}
	}
	return nil
}

// rate: a US long code sends about one segment per second.
func (smsDriver) rate() float64 { return 1 }

func (smsDriver) handshake(*conn, *http.Request) (string, error) {
	return "", parley.Errorf(parley.ENOTFOUND, "Twilio webhooks have no verification request")
}

// parse checks X-Twilio-Signature, which signs the public URL Twilio
// called plus the form's fields; the URL is rebuilt from PARLEY_BASE_URL
// because behind a proxy the request's own Host is not what Twilio saw.
func (smsDriver) parse(g *Gateway, c *conn, r *http.Request, raw []byte) (parsed, error) {
	full, sig := g.BaseURL()+r.URL.RequestURI(), r.Header.Get(twilio.SignatureHeader)
	if r.URL.Query().Has("bodySHA256") {
		// A JSON body: Twilio signs the URL and hashes the body. Checked so
		// that it is refused for what it is; no messaging webhook has one.
		if err := twilio.VerifyBody(c.secret("auth_token"), full, raw, sig); err != nil {
			return parsed{}, err
		}
		return parsed{}, fmt.Errorf("twilio: a JSON webhook is not a message or status callback")
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return parsed{}, err
	}
	if err := twilio.Verify(c.secret("auth_token"), full, form, sig); err != nil {
		return parsed{}, err
	}
	b, err := twilio.Parse(form)
	return parsed{batch: b}, err
}

func (smsDriver) contact(_ *conn, s channel.Sender) store.ContactKey {
	if p, err := parley.NormalizePhone(s.Phone); err == nil && p != "" {
		return store.ContactKey{Phone: p, Name: s.Name}
	}
	return store.ContactKey{Kind: string(parley.ChannelSMS), ExternalID: s.ID, Name: s.Name}
}

func (smsDriver) address(c *conn, ct parley.Contact) string {
	if id := scopedID(c, ct, parley.ChannelSMS); id != "" {
		return id
	}
	return ct.Phone
}

// window: SMS has none; opt-outs are checked apart.
func (smsDriver) window(*conn, time.Time, time.Time) channel.Window {
	return channel.Window{Open: true}
}

func (smsDriver) client(g *Gateway, c *conn) *twilio.Client {
	return &twilio.Client{BaseURL: c.setting("base_url"), AccountSID: c.setting("account_sid"), AuthToken: c.secret("auth_token"),
		From: c.setting("from"), MessagingServiceSID: c.setting("messaging_service_sid"),
		StatusCallback: g.BaseURL() + "/hooks/sms/" + strconv.FormatInt(c.inbox.ID, 10), HTTP: g.client()}
}

func (d smsDriver) send(ctx context.Context, g *Gateway, c *conn, _ parley.Message, out channel.Outbound, _ payload) (string, error) {
	return d.client(g, c).Send(ctx, out)
}

// media: Twilio's MediaUrl needs the account's basic auth when the
// account enforces HTTP auth on media; it is harmless otherwise.
func (smsDriver) media(ctx context.Context, g *Gateway, c *conn, md inbox.PendingMedia) (io.ReadCloser, string, error) {
	return g.download(ctx, md.URL, func(r *http.Request) { r.SetBasicAuth(c.setting("account_sid"), c.secret("auth_token")) })
}

// optOut records STOP and START keywords: after STOP nothing is sent to
// the number (Twilio would refuse with 21610 anyway) until START.
func (g *Gateway) optOut(ctx context.Context, c *conn, in channel.Inbound) error {
	out, back := twilio.OptOutKeyword(in.Text)
	if !out && !back {
		return nil
	}
	addr := in.From.Phone
	if addr == "" {
		addr = in.From.ID
	}
	v := "0"
	if out {
		v = "1"
	}
	return g.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetChannelState(c.inbox.ID, optOutKey(addr), v) })
}
