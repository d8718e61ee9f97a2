package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/zalo"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func init() { drivers[parley.ChannelZalo] = zaloDriver{} }

// zaloDriver is a Zalo Official Account through Open API v3.
type zaloDriver struct{}

func (zaloDriver) fields() []Field {
	return []Field{
		{Name: "oa_id", Label: "Official Account ID", Required: true},
		{Name: "app_id", Label: "App ID", Help: "The Zalo app connected to the OA.", Required: true},
		{Name: "oauth_base_url", Label: "OAuth base URL", Kind: "url", Help: "Empty: " + zalo.DefaultOAuthBaseURL + "."},
		{Name: "app_secret_key", Label: "App secret key", Help: "Refreshes the access token.", Secret: true, Required: true},
		{Name: "oa_secret_key", Label: "OA secret key", Help: "From the OA's webhook settings; checks X-ZEvent-Signature.", Secret: true, Required: true},
		{Name: "access_token", Label: "Access token", Help: "Valid about 25 hours; Parley renews it.", Secret: true, Required: true},
		{Name: "refresh_token", Label: "Refresh token", Help: "Single-use: Parley stores each new one the moment Zalo issues it.", Secret: true, Required: true},
	}
}

func (zaloDriver) check(map[string]string, map[string]string) error { return nil }

func (zaloDriver) rate() float64 { return 10 }

func (zaloDriver) handshake(*conn, *http.Request) (string, error) {
	return "", parley.Errorf(parley.ENOTFOUND, "Zalo webhooks have no verification request")
}

func (zaloDriver) parse(_ *Gateway, c *conn, r *http.Request, raw []byte) (parsed, error) {
	if !json.Valid(raw) {
		// The signature covers a timestamp inside the body: a body that
		// is not JSON cannot be checked, and is malformed, not forged.
		return parsed{}, errors.New("the body is not JSON")
	}
	if err := zalo.CheckSignature(r.Header.Get(zalo.SignatureHeader), raw, c.setting("app_id"), c.secret("oa_secret_key")); err != nil {
		return parsed{}, err
	}
	b, err := zalo.Parse(raw)
	return parsed{batch: b}, err
}

func (zaloDriver) contact(_ *conn, s channel.Sender) store.ContactKey {
	return store.ContactKey{Kind: string(parley.ChannelZalo), ExternalID: s.ID, Name: s.Name}
}

func (zaloDriver) address(c *conn, ct parley.Contact) string {
	return scopedID(c, ct, parley.ChannelZalo)
}

func (zaloDriver) window(_ *conn, last, now time.Time) channel.Window { return zalo.Window(last, now) }

// send sends with the stored access token, renewing it first when it is
// about to expire, and once more if Zalo refuses it.
func (zaloDriver) send(ctx context.Context, g *Gateway, c *conn, _ parley.Message, out channel.Outbound, _ payload) (string, error) {
	token, err := g.zaloToken(ctx, c, "")
	if err != nil {
		return "", notSent{err}
	}
	cl := &zalo.Client{BaseURL: c.setting("base_url"), AccessToken: token, HTTP: g.client()}
	id, err := cl.Send(ctx, out)
	if zalo.IsTokenError(err) {
		if cl.AccessToken, err = g.zaloToken(ctx, c, token); err != nil {
			return "", notSent{err} // the refused send and the refresh: nothing taken
		}
		id, err = cl.Send(ctx, out)
	}
	return id, err
}

// zaloExpiresKey is the secret holding when the access token expires.
const zaloExpiresKey = "access_token_expires_at"

// zaloToken returns a working access token. It refreshes when the stored
// one expires within the hour, or when it is refused (it equals refused).
//
// Zalo's refresh tokens are single-use, so a refresh is serialised per
// inbox, re-reads the stored pair first (another process may have
// rotated it), and writes the new pair in one transaction that checks
// the old refresh token is still the stored one: a compare-and-swap.
// Nothing happens between Zalo's answer and that write.
func (g *Gateway) zaloToken(ctx context.Context, c *conn, refused string) (string, error) {
	mu := g.lock(c.inbox.ID)
	mu.Lock()
	defer mu.Unlock()
	sealed, err := g.DB.ChannelSecrets(ctx, c.inbox.ID)
	if err != nil {
		return "", err
	}
	cur, err := g.open(sealed)
	if err != nil {
		return "", err
	}
	exp, _ := time.Parse(time.RFC3339, cur[zaloExpiresKey])
	fresh := cur["access_token"] != "" && cur["access_token"] != refused && (exp.IsZero() || g.now().Add(time.Hour).Before(exp))
	if fresh {
		return cur["access_token"], nil
	}
	oauth := c.setting("oauth_base_url")
	if oauth == "" {
		oauth = zalo.DefaultOAuthBaseURL
	}
	next, err := zalo.Refresh(ctx, g.client(), oauth, c.setting("app_id"), cur["app_secret_key"], cur["refresh_token"])
	var re *zalo.RefreshError
	if errors.As(err, &re) && re.Permanent {
		// Another process may have spent this refresh token a moment ago:
		// then the stored pair is new and works.
		if now, err := g.Secrets(ctx, c.inbox.ID); err == nil && now["refresh_token"] != cur["refresh_token"] && now["access_token"] != "" {
			return now["access_token"], nil
		}
		return "", &channel.SendError{Code: re.Code, Permanent: true,
			Message: "Zalo no longer accepts this Official Account's tokens: reconnect the OA in the inbox settings (" + re.Message + ")."}
	}
	if err != nil {
		return "", err
	}
	err = g.DB.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		now, err := tx.ChannelSecrets(c.inbox.ID)
		if err != nil {
			return err
		}
		stored, err := g.open(now)
		if err != nil {
			return err
		}
		if stored["refresh_token"] != cur["refresh_token"] {
			return fmt.Errorf("gateway: zalo tokens of inbox %d changed during a refresh", c.inbox.ID)
		}
		stored["access_token"], stored["refresh_token"] = next.AccessToken, next.RefreshToken
		stored[zaloExpiresKey] = next.ExpiresAt.UTC().Format(time.RFC3339)
		s, err := g.seal(stored)
		if err != nil {
			return err
		}
		return tx.SetChannelSecrets(c.inbox.ID, s)
	})
	if err != nil {
		return "", err
	}
	g.Forget(c.inbox.ID)
	return next.AccessToken, nil
}

// media: Zalo's attachment URLs are public CDN links.
func (zaloDriver) media(ctx context.Context, g *Gateway, _ *conn, md inbox.PendingMedia) (io.ReadCloser, string, error) {
	return g.download(ctx, md.URL, nil)
}

// KeepZaloTokens renews Zalo access tokens before they expire, hourly,
// until ctx ends. Sends renew them too, but an OA that sends nothing for
// three months would otherwise let its refresh token lapse.
func (g *Gateway) KeepZaloTokens(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		list, err := g.DB.Inboxes(ctx)
		if err != nil {
			continue
		}
		for _, in := range list {
			if in.ChannelType != parley.ChannelZalo {
				continue
			}
			c, err := g.conn(ctx, in.ID, parley.ChannelZalo)
			if err == nil {
				_, err = g.zaloToken(ctx, c, "")
			}
			if err != nil && ctx.Err() == nil {
				slog.Warn("gateway: renewing a Zalo token", "inbox", in.ID, "err", err)
			}
		}
	}
}
