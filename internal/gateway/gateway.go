// Package gateway connects Parley to messaging providers: it answers their
// webhooks on /hooks/{channel}/{inbox_id} (handshake, signature over the
// raw body, parse, store through the inbox use cases), sends outgoing
// messages as durable jobs with per-inbox rate limits and the providers'
// error codes turned into reasons, fetches media into the attachment
// store, and enforces each channel's rules about when a business may
// write. The provider wire formats themselves live in internal/channel/*;
// this package is the glue between them and the rest of Parley.
package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/cache"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
)

// Gateway is the provider side of Parley.
type Gateway struct {
	DB    *store.DB
	Inbox *inbox.Service
	Blobs blob.Store
	Box   *secret.Box
	// HTTP is the client for provider APIs; nil: Outbound's HTTPClient.
	HTTP *http.Client
	// Outbound guards every connection to providers (HTTP, SMTP, IMAP,
	// media downloads); nil: outbound.Strict, public addresses only.
	Outbound *outbound.Guard
	// BaseURL is Parley's public URL: Twilio signs the URL it called, and
	// providers fetch outgoing media from signed links under it.
	BaseURL func() string
	// MaxMediaBytes bounds one fetched or sent file.
	MaxMediaBytes int64
	// Hold runs run while this node holds the named lease (the app passes
	// its work kernel's Hold), so that each mailbox is read by one node at
	// a time and moves to another when its node dies. Nil runs it at once.
	Hold func(ctx context.Context, name string, run func(ctx context.Context) error)
	// Limits holds each inbox's send rate: ratelimit.New(DB) shares it
	// between every node on PostgreSQL, so N nodes together keep to the
	// provider's rate; nil: in this process only.
	Limits ratelimit.Limiter

	conns    cache.Map[int64, *conn] // inbox id → conn (connTTL; Changed)
	changed  chan struct{}           // an inbox changed: RunEmail looks again
	initOnce sync.Once
	memLimit ratelimit.Memory // when Limits is nil
	locks    sync.Map         // inbox id → *sync.Mutex, serialising token refreshes
	// guarded are the HTTP clients made from Outbound (see outbound.go).
	guardedOnce sync.Once
	guarded     guardClients

	// accepted holds sends a provider took whose record failed (message id
	// → provider id), so a later run records them instead of guessing.
	accepted sync.Map
	// markSent records an accepted send (Inbox.MarkSent when nil); tests
	// make it fail as a lost database connection would.
	markSent func(ctx context.Context, messageID int64, attempt, providerID string) error
}

// conn is one inbox with its settings and opened secrets: everything a
// driver needs for a webhook or a send.
type conn struct {
	inbox    parley.Inbox
	settings map[string]string
	secrets  map[string]string
	driver   driver
}

func (c *conn) setting(name string) string { return c.settings[name] }
func (c *conn) secret(name string) string  { return c.secrets[name] }

// connTTL bounds how long a cached inbox and its opened secrets are used.
// It is a safety net only: a change from any process (an admin's edit, a
// rotated token) appends a config.changed event, and Changed drops the
// inbox when this process reads it.
const connTTL = time.Minute

// conn loads an inbox for a provider channel. Returns ENOTFOUND for an
// unknown inbox or one of another channel type.
func (g *Gateway) conn(ctx context.Context, inboxID int64, want parley.ChannelType) (*conn, error) {
	c, err := g.conns.Get(inboxID, connTTL, func() (*conn, error) { return g.loadConn(ctx, inboxID) })
	if err != nil {
		return nil, err
	}
	if want != "" && c.inbox.ChannelType != want {
		return nil, parley.Errorf(parley.ENOTFOUND, "inbox %d is not a %s inbox", inboxID, want)
	}
	return c, nil
}

func (g *Gateway) loadConn(ctx context.Context, inboxID int64) (*conn, error) {
	in, _, err := g.DB.Inbox(ctx, inboxID)
	if err != nil {
		return nil, err
	}
	d := drivers[in.ChannelType]
	if d == nil {
		return nil, parley.Errorf(parley.ENOTFOUND, "inbox %d is not a provider channel", inboxID)
	}
	sealed, err := g.DB.ChannelSecrets(ctx, inboxID)
	if err != nil {
		return nil, err
	}
	secrets, err := g.open(sealed)
	if err != nil {
		return nil, err
	}
	c := &conn{inbox: in, settings: in.Settings, secrets: secrets, driver: d}
	if c.settings == nil {
		c.settings = map[string]string{}
	}
	return c, nil
}

// Changed drops what a change from any process makes stale (the app
// calls it for every config.changed event): an inbox's settings and
// secrets, and the email pollers look again.
func (g *Gateway) Changed(c parley.Change) {
	switch c.What {
	case parley.ChangeInbox:
		g.Forget(c.ID)
	case parley.ChangeEverything:
		g.conns.Clear()
		g.Forget(0)
	}
}

// Forget drops an inbox from the cache after it was created or changed.
func (g *Gateway) Forget(inboxID int64) {
	g.conns.Forget(inboxID)
	select {
	case g.changes() <- struct{}{}:
	default:
	}
}

func (g *Gateway) changes() chan struct{} {
	g.initOnce.Do(func() { g.changed = make(chan struct{}, 1) })
	return g.changed
}

func (g *Gateway) open(sealed string) (map[string]string, error) {
	m := map[string]string{}
	if sealed == "" {
		return m, nil
	}
	plain, err := g.Box.Open(sealed)
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "%v", err)
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, fmt.Errorf("gateway: stored secrets: %w", err)
	}
	return m, nil
}

func (g *Gateway) seal(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, _ := json.Marshal(m)
	s, err := g.Box.Seal(b)
	if err != nil {
		return "", parley.Errorf(parley.EINVALID, "%v", err)
	}
	return s, nil
}

// waitToSend waits for a place under the inbox's send rate: its
// rate_per_second setting, or the channel's default, with bursts of one
// second's worth. Providers enforce their own limits; keeping under them
// avoids burning retries on 429s. The limit is per inbox across every
// node (Limits), read from the inbox's settings at each send, so a
// changed rate applies at once.
func (g *Gateway) waitToSend(ctx context.Context, c *conn) error {
	per := c.driver.rate()
	if v, err := strconv.ParseFloat(c.setting("rate_per_second"), 64); err == nil && v > 0 {
		per = v // validated as a number when the inbox was saved
	}
	var l ratelimit.Limiter = &g.memLimit
	if g.Limits != nil {
		l = g.Limits
	}
	return ratelimit.Wait(ctx, l, "send:inbox:"+strconv.FormatInt(c.inbox.ID, 10), ratelimit.PerSecond(per))
}

func (g *Gateway) lock(inboxID int64) *sync.Mutex {
	m, _ := g.locks.LoadOrStore(inboxID, &sync.Mutex{})
	return m.(*sync.Mutex)
}

func (g *Gateway) now() time.Time { return g.DB.Now().UTC() }

func (g *Gateway) client() *http.Client {
	if g.HTTP != nil {
		return g.HTTP
	}
	return g.clients().api
}
