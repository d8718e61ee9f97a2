package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// mediaLinkTTL is how long a provider may fetch an outgoing attachment.
// Providers fetch within seconds; retries over a day still find it.
const mediaLinkTTL = 48 * time.Hour

// MediaURL returns a signed public link to an attachment for a provider
// to fetch: no session, valid for mediaLinkTTL, bound to one attachment.
func (g *Gateway) MediaURL(a parley.Attachment) (string, error) {
	return g.signedURL("media", a, mediaLinkTTL)
}

// watchLinkTTL is how long a customer's link to a recording works: a
// message read days later still plays.
const watchLinkTTL = 30 * 24 * time.Hour

// signedURL is a public link to one attachment under /hooks/{kind}/ (the
// file itself, or the page that plays it), signed until now+ttl; both
// kinds share the signature, so the page can name the file.
func (g *Gateway) signedURL(kind string, a parley.Attachment, ttl time.Duration) (string, error) {
	exp := g.now().Add(ttl).Unix()
	sig, err := g.Box.MAC("media", []byte(fmt.Sprintf("%d/%d", a.ID, exp)))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/hooks/%s/%d/%d/%s", g.BaseURL(), kind, a.ID, exp, sig), nil
}

// signedAttachment checks a signed link's path and returns its
// attachment; any fault is ENOTFOUND, so a guessed link learns nothing.
func (g *Gateway) signedAttachment(r *http.Request) (parley.Attachment, time.Time, error) {
	id, err1 := strconv.ParseInt(r.PathValue("attachment_id"), 10, 64)
	exp, err2 := strconv.ParseInt(r.PathValue("expires"), 10, 64)
	if err1 != nil || err2 != nil || !g.Box.CheckMAC("media", []byte(fmt.Sprintf("%d/%d", id, exp)), r.PathValue("sig")) {
		return parley.Attachment{}, time.Time{}, parley.Errorf(parley.ENOTFOUND, "no such file")
	}
	if g.now().Unix() > exp {
		return parley.Attachment{}, time.Time{}, parley.Errorf(parley.ENOTFOUND, "this link has expired")
	}
	a, err := g.DB.Attachment(r.Context(), id)
	return a, time.Unix(exp, 0), err
}

// serveMedia serves the file; a picture or a video plays in the browser
// (the customer's watch page embeds it), anything else downloads.
func (g *Gateway) serveMedia(w http.ResponseWriter, r *http.Request) {
	a, _, err := g.signedAttachment(r)
	if err != nil {
		jsonhttp.Error(w, r, err)
		return
	}
	ct, _, _ := strings.Cut(a.ContentType, ";")
	inline := (strings.HasPrefix(ct, "video/") || strings.HasPrefix(ct, "image/")) && ct != "image/svg+xml"
	if err := blob.Serve(w, r, g.Blobs, a, inline); err != nil {
		jsonhttp.Error(w, r, err)
	}
}

// FetchMedia is the media.fetch job: it downloads a file from an incoming
// message into the attachment store and attaches it. A rerun after a
// crash finds the attachment there and adds nothing.
func (g *Gateway) FetchMedia(ctx context.Context, job store.Job) error {
	var p inbox.MediaPayload
	if err := json.Unmarshal([]byte(job.Payload), &p); err != nil {
		return permanentErr{err}
	}
	c, err := g.conn(ctx, p.InboxID, "")
	if err != nil {
		return permanentErr{err}
	}
	body, mime, err := c.driver.media(ctx, g, c, p.Media)
	if err != nil {
		return err
	}
	defer body.Close()
	limit := g.MaxMediaBytes
	if limit <= 0 {
		limit = 25 << 20
	}
	info, err := g.Blobs.Put(body, limit)
	if err != nil {
		if parley.ErrorCode(err) == parley.ETOOLARGE || parley.ErrorCode(err) == parley.EINVALID {
			return permanentErr{err}
		}
		return err
	}
	name := p.Media.Filename
	if name == "" {
		name = "attachment" + extFor(mime, info.ContentType)
	}
	return g.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.RegisterBlob(info.SHA256, info.Size, info.ContentType); err != nil {
			return err
		}
		m, err := tx.Message(p.MessageID)
		if err != nil {
			return err
		}
		if have, err := tx.HasAttachment(m.ID, info.SHA256); have || err != nil {
			return err
		}
		conv, err := tx.Conversation(m.ConversationID)
		if err != nil {
			return err
		}
		return tx.AddAttachment(&m, conv, parley.Attachment{SHA256: info.SHA256, Filename: name, ContentType: info.ContentType, Size: info.Size})
	})
}

// extFor names a fetched file that came without a name.
func extFor(types ...string) string {
	for _, t := range types {
		switch t {
		case "image/jpeg":
			return ".jpg"
		case "image/png":
			return ".png"
		case "image/webp":
			return ".webp"
		case "image/gif":
			return ".gif"
		case "audio/ogg", "audio/ogg; codecs=opus":
			return ".ogg"
		case "audio/mpeg":
			return ".mp3"
		case "video/mp4":
			return ".mp4"
		case "application/pdf":
			return ".pdf"
		}
	}
	return ""
}

// download GETs a media URL with an optional request decorator (auth).
func (g *Gateway) download(ctx context.Context, url string, decorate func(*http.Request)) (io.ReadCloser, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", permanentErr{err}
	}
	if decorate != nil {
		decorate(req)
	}
	resp, err := g.clients().download.Do(req)
	var refused *outbound.RefusedError
	if errors.As(err, &refused) {
		return nil, "", permanentErr{err}
	}
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err := fmt.Errorf("gateway: media download answered %s", resp.Status)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusGone {
			return nil, "", permanentErr{err}
		}
		return nil, "", err
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// VideoTypes are the video types a channel carries as media; a video of
// another type (a screen recording in WebM on WhatsApp) goes as a link to
// watch it instead. Email carries any file; SMS, RCS and Zalo none.
func VideoTypes(ch parley.ChannelType) []string {
	switch ch {
	case parley.ChannelWhatsApp:
		return []string{"video/mp4", "video/3gpp"}
	case parley.ChannelMessenger:
		return []string{"video/mp4"}
	case parley.ChannelEmail, parley.ChannelWidget, parley.ChannelAPI:
		return []string{"*"}
	}
	return nil
}

// carriesVideo says whether ch carries a video of contentType as media.
func carriesVideo(ch parley.ChannelType, contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	for _, t := range VideoTypes(ch) {
		if t == "*" || t == strings.TrimSpace(ct) {
			return true
		}
	}
	return false
}
