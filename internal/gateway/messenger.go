package gateway

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/messenger"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func init() { drivers[parley.ChannelMessenger] = messengerDriver{} }

// messengerDriver is a Facebook page through the Messenger Platform.
type messengerDriver struct{}

func (messengerDriver) fields() []Field {
	return []Field{
		{Name: "page_id", Label: "Page ID", Required: true},
		{Name: "api_version", Label: "Graph API version", Help: "Empty: " + messenger.DefaultVersion + "."},
		{Name: "human_agent", Label: "Human agent permission", Kind: "bool",
			Help: "true if the app has Human Agent permission: agents may then reply up to 7 days after the customer's last message."},
		{Name: "page_access_token", Label: "Page access token", Help: "With pages_messaging.", Secret: true, Required: true},
		{Name: "app_secret", Label: "App secret", Help: "Checks X-Hub-Signature-256 on every webhook.", Secret: true, Required: true},
		{Name: "verify_token", Label: "Verify token", Help: "Any string; type the same one in the app's webhook settings.", Secret: true, Required: true},
	}
}

func (messengerDriver) check(map[string]string, map[string]string) error { return nil }

// rate: the Send API allows a page a few hundred calls per second; stay
// well below.
func (messengerDriver) rate() float64 { return 40 }

func (messengerDriver) handshake(c *conn, r *http.Request) (string, error) {
	return messenger.VerifyChallenge(r.URL.Query(), c.secret("verify_token"))
}

func (messengerDriver) parse(_ *Gateway, c *conn, r *http.Request, raw []byte) (parsed, error) {
	if err := messenger.CheckSignature(c.secret("app_secret"), raw, r.Header.Get(messenger.SignatureHeader)); err != nil {
		return parsed{}, err
	}
	b, err := messenger.Parse(raw)
	return parsed{batch: b}, err
}

// contact: a page-scoped id means nothing outside this page.
func (messengerDriver) contact(_ *conn, s channel.Sender) store.ContactKey {
	return store.ContactKey{Kind: string(parley.ChannelMessenger), ExternalID: s.ID, Name: s.Name}
}

func (messengerDriver) address(c *conn, ct parley.Contact) string {
	return scopedID(c, ct, parley.ChannelMessenger)
}

// scopedID returns the contact's id issued by this inbox's channel.
func scopedID(c *conn, ct parley.Contact, kind parley.ChannelType) string {
	for _, id := range ct.Identities {
		if id.Kind == string(kind) && id.Scope == c.inbox.ID {
			return id.ExternalID
		}
	}
	return ""
}

func (messengerDriver) window(c *conn, last, now time.Time) channel.Window {
	return messenger.Window(last, now, c.setting("human_agent") == "true")
}

func (messengerDriver) send(ctx context.Context, g *Gateway, c *conn, _ parley.Message, out channel.Outbound, _ payload) (string, error) {
	cl := &messenger.Client{BaseURL: c.setting("base_url"), Version: c.setting("api_version"), AccessToken: c.secret("page_access_token"),
		PageID: c.setting("page_id"), HTTP: g.client()}
	return cl.Send(ctx, out)
}

// media: Messenger gives signed CDN URLs that need no token.
func (messengerDriver) media(ctx context.Context, g *Gateway, _ *conn, md inbox.PendingMedia) (io.ReadCloser, string, error) {
	return g.download(ctx, md.URL, nil)
}
