package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/parleyhq/parley/internal/outbound"
)

// IMAPConfig is how to reach the mailbox an inbox receives mail in.
type IMAPConfig struct {
	Host     string
	Port     int // zero: 993 for "tls", 143 otherwise
	Username string
	Password string
	// Security is "tls" (implicit TLS, the default), "starttls"
	// (required, not opportunistic) or "none" (loopback only: the
	// password crosses the network in clear).
	Security string
	TLS      *tls.Config // nil: verify Host's certificate
	Mailbox  string      // empty: INBOX
	// Dial connects to the server; nil: outbound.Strict's, which reaches
	// public addresses only.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Cursor is how far a mailbox has been read: the highest UID handled,
// valid for one UIDVALIDITY of the mailbox.
type Cursor struct {
	UIDValidity uint32
	LastUID     uint32
}

// Poller receives the mail of one IMAP mailbox and hands each message,
// once, to Handle.
//
// It reads by UID, never by date or flags: each pass fetches the UIDs
// above the cursor, oldest first, and saves the cursor after every
// message Handle accepts, so a crash repeats at most the message being
// handled (Handle should therefore be idempotent, e.g. by Message-ID).
//
// On the first run (a zero cursor) it starts at the mailbox's current end
// and does not import the mail already there: an inbox connected to a
// mailbox with years of history starts with what arrives from then on.
// If the mailbox's UIDVALIDITY changes (the server rebuilt it or the
// mailbox was recreated) the old UIDs mean nothing any more; it logs
// that, starts again at the mailbox's current end, and does not
// re-import what is already there.
//
// A message over MaxMessageSize is not lost: it is fetched without the
// parts that do not fit (see fetchTrimmed), which are handed to Handle as
// omissions, so the text arrives and the agent learns what is missing.
//
// It never changes the mailbox: the mailbox is opened with EXAMINE (read
// only) and bodies are fetched with BODY.PEEK[], so \Seen flags stay as
// they were and the mailbox can still be read by people.
type Poller struct {
	Config IMAPConfig
	// Load returns the saved cursor; a zero Cursor on the first run.
	Load func(ctx context.Context) (Cursor, error)
	// Handle is given each new message in UID order. It returns nil once
	// the message is safely stored (or deliberately dropped, for mail that
	// can never be accepted); an error stops the pass without moving the
	// cursor, so the message is offered again on the next pass.
	// omitted lists the parts of a message over MaxMessageSize that were
	// left on the server (raw is then the message without them).
	Handle func(ctx context.Context, uid uint32, raw []byte, omitted []Omission) error
	Save   func(ctx context.Context, c Cursor) error
	// Interval is the poll interval when the server lacks IDLE and the
	// longest wait between reconnection attempts; zero: one minute.
	Interval time.Duration
	// MaxPartSize is the largest decoded part fetched from a message over
	// MaxMessageSize; zero: DefaultMaxPartSize.
	MaxPartSize int64
	Logger      *slog.Logger // nil: slog.Default()

	// idleRestart is how long one IDLE lasts before it is renewed: under
	// the 29 minutes after which RFC 2177 lets servers drop an idle
	// client. Tests shorten it.
	idleRestart time.Duration
	noIdle      bool          // tests: poll even if the server offers IDLE
	retryBase   time.Duration // first reconnect wait; zero: one second
	maxMessage  int64         // tests: a smaller MaxMessageSize
	mu          sync.Mutex    // one pass at a time, so PollOnce and Run cannot handle a message twice
}

// maxBatch caps the messages handled in one pass, so a large backlog is
// worked through in steps and the cursor advances between them.
const maxBatch = 200

// PollOnce connects, handles the mail that arrived since the saved
// cursor (up to a batch of 200 messages), saves the cursor and
// disconnects. It returns how many messages Handle accepted; an error
// from connecting, from the server, from Handle or from Save stops the
// pass where it was.
func (p *Poller) PollOnce(ctx context.Context) (int, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	c, stop, err := p.connect(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer stop()
	n, _, err := p.pass(ctx, c)
	if err == nil {
		c.Logout().Wait()
	}
	return n, err
}

// Run receives mail until ctx ends, then returns nil; it returns an
// error at once only for a Poller without Load, Handle or Save. It keeps
// one connection: after each pass it waits in IDLE when the server offers
// it (renewing it every 25 minutes) and otherwise polls every Interval.
// Errors, including Handle's and a dropped connection, are logged and
// retried on a new connection after a backoff (see retryWait): one second
// after a connection that worked, doubling while the failures go on, up
// to Interval. A server that restarts is therefore read again within
// seconds, not after a whole poll interval.
func (p *Poller) Run(ctx context.Context) error {
	if err := p.check(); err != nil {
		return err
	}
	failures := 0
	for {
		progressed, err := p.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if progressed {
			failures = 0
		}
		failures++
		wait := p.retryWait(failures)
		p.logger().Warn("email: IMAP receive failed; retrying", "host", p.Config.Host,
			"mailbox", p.mailbox(), "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// retryWait is the pause before reconnecting after the n-th failure in a
// row (n ≥ 1): retryBase (one second) doubled n-1 times, capped at the
// poll interval, then cut by a random 0–25 %, so that many pollers
// dropped by one server restart do not all reconnect in the same instant.
func (p *Poller) retryWait(n int) time.Duration {
	base := p.retryBase
	if base <= 0 {
		base = time.Second
	}
	limit := p.interval()
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - time.Duration(rand.Float64()*0.25*float64(d))
}

// session is one connection's life: passes separated by IDLE or sleep.
// progressed reports whether at least one pass succeeded.
func (p *Poller) session(ctx context.Context) (progressed bool, err error) {
	wake := make(chan struct{}, 1)
	c, stop, err := p.connect(ctx, wake)
	if err != nil {
		return false, err
	}
	defer stop()
	caps := c.Caps()
	canIdle := !p.noIdle && (caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2))
	for {
		// Drain before the pass: anything announced after this point is
		// looked at by the next one.
		select {
		case <-wake:
		default:
		}
		_, full, err := p.pass(ctx, c)
		if err != nil {
			return progressed, err
		}
		progressed = true
		if full {
			continue // more is waiting
		}
		if canIdle {
			err = p.idle(ctx, c, wake)
		} else {
			err = p.sleep(ctx, c)
		}
		if err != nil {
			return progressed, err
		}
	}
}

// idle waits in IDLE until the server announces new mail, the restart
// interval passes, or ctx ends.
func (p *Poller) idle(ctx context.Context, c *imapclient.Client, wake <-chan struct{}) error {
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("email: IDLE: %w", err)
	}
	restart := p.idleRestart
	if restart <= 0 {
		restart = 25 * time.Minute
	}
	t := time.NewTimer(restart)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	case <-c.Closed():
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("email: end IDLE: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("email: IDLE: %w", err)
	}
	return ctx.Err()
}

func (p *Poller) sleep(ctx context.Context, c *imapclient.Client) error {
	t := time.NewTimer(p.interval())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.Closed():
		return errors.New("email: IMAP connection closed")
	case <-t.C:
		return nil
	}
}

// connect dials, logs in and returns a client and the function that
// closes it. wake, if not nil, gets a token whenever the server announces
// a new message count.
func (p *Poller) connect(ctx context.Context, wake chan<- struct{}) (*imapclient.Client, func(), error) {
	cfg := p.Config
	port := cfg.Port
	if port == 0 {
		port = 143
		if cfg.Security == "tls" || cfg.Security == "" {
			port = 993
		}
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	tlsConf := cfg.TLS
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConf = tlsConf.Clone()
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = cfg.Host
	}
	opts := &imapclient.Options{TLSConfig: tlsConf}
	if wake != nil {
		opts.UnilateralDataHandler = &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		}
	}
	switch cfg.Security {
	case "tls", "", "starttls", "none":
	default:
		return nil, nil, fmt.Errorf("email: IMAP security %q is not tls, starttls or none", cfg.Security)
	}
	dial := cfg.Dial
	if dial == nil {
		dial = outbound.Strict().DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, err := dial(dctx, "tcp", addr)
	cancel()
	if err != nil {
		// The guard's error names the host without the network's detail.
		return nil, nil, fmt.Errorf("email: IMAP: %w", err)
	}
	// "none" sends the password in clear: only to this machine, judged
	// by the address reached rather than the name.
	if cfg.Security == "none" && !outbound.IsLoopbackConn(conn) {
		conn.Close()
		return nil, nil, fmt.Errorf("email: IMAP security \"none\" is only for a server on this machine (loopback); use tls or starttls")
	}
	// The client library takes no context: closing the connection is
	// what interrupts it, at any step, when ctx ends.
	unwatch := context.AfterFunc(ctx, func() { conn.Close() })
	closeAll := func() {
		unwatch()
		conn.Close()
	}
	var c *imapclient.Client
	switch cfg.Security {
	case "tls", "":
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("email: TLS with IMAP %s: %w", addr, err)
		}
		c = imapclient.New(tc, opts)
	case "starttls":
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("email: STARTTLS with IMAP %s: %w", addr, err)
		}
	default: // "none", on loopback (checked above)
		c = imapclient.New(conn, opts)
	}
	stop := func() {
		unwatch()
		c.Close()
	}
	fail := func(step string, err error) (*imapclient.Client, func(), error) {
		stop()
		return nil, nil, fmt.Errorf("email: IMAP %s at %s: %w", step, addr, err)
	}
	if err := c.WaitGreeting(); err != nil {
		return fail("greeting", err)
	}
	if cfg.Username != "" {
		if err := c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
			return fail("login", err)
		}
	}
	return c, stop, nil
}

// pass examines the mailbox and hands on what is new. It returns how many
// messages Handle accepted and whether the batch was full, so more may be
// waiting. It holds p.mu.
func (p *Poller) pass(ctx context.Context, c *imapclient.Client) (n int, full bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sel, err := c.Select(p.mailbox(), &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return 0, false, fmt.Errorf("email: EXAMINE %s: %w", p.mailbox(), err)
	}
	if sel.UIDValidity == 0 {
		// Without it a zero cursor would look valid and the whole
		// mailbox would be imported; RFC 3501 requires servers to send it.
		return 0, false, fmt.Errorf("email: EXAMINE %s: the server sent no UIDVALIDITY", p.mailbox())
	}
	cur, err := p.Load(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("email: load cursor: %w", err)
	}
	if cur.UIDValidity != sel.UIDValidity {
		return 0, false, p.restart(ctx, c, sel, cur)
	}
	if cur.LastUID == math.MaxUint32 {
		return 0, false, nil
	}
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(cur.LastUID + 1), Stop: 0}}}}
	found, err := c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return 0, false, fmt.Errorf("email: UID SEARCH: %w", err)
	}
	var uids []imap.UID
	for _, u := range found.AllUIDs() {
		// "n:*" always includes the last message, even below n.
		if uint32(u) > cur.LastUID {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	if len(uids) > maxBatch {
		uids = uids[:maxBatch]
	}
	if len(uids) == 0 {
		return 0, false, nil
	}
	sizes, err := fetchSizes(c, uids)
	if err != nil {
		return 0, false, err
	}
	for _, uid := range uids {
		size, exists := sizes[uid]
		switch {
		case !exists:
			// Expunged since the search: nothing to hand on.
		default:
			var raw []byte
			var omitted []Omission
			var err error
			if limit := p.maxMessageSize(); size > limit {
				raw, omitted, err = fetchTrimmed(c, uid, limit, p.maxPart())
				p.logger().Warn("email: a message over the size limit is received without its largest parts", "mailbox", p.mailbox(),
					"uid", uid, "size", size, "limit", limit, "left_out", len(omitted))
			} else {
				raw, err = fetchBody(c, uid)
			}
			if err != nil {
				return n, false, err
			}
			if raw == nil {
				p.logger().Info("email: message expunged before it was fetched", "mailbox", p.mailbox(), "uid", uid)
				break
			}
			if err := p.Handle(ctx, uint32(uid), raw, omitted); err != nil {
				return n, false, fmt.Errorf("email: handle UID %d: %w", uid, err)
			}
			n++
		}
		cur.LastUID = uint32(uid)
		if err := p.Save(ctx, cur); err != nil {
			return n, false, fmt.Errorf("email: save cursor: %w", err)
		}
	}
	return n, len(uids) == maxBatch, nil
}

// restart points the cursor at the mailbox's current end, for a first
// run or after a UIDVALIDITY change.
func (p *Poller) restart(ctx context.Context, c *imapclient.Client, sel *imap.SelectData, old Cursor) error {
	last := uint32(sel.UIDNext) - 1
	if sel.UIDNext == 0 {
		// UIDNEXT is optional in old servers: ask for the highest UID.
		found, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			return fmt.Errorf("email: UID SEARCH ALL: %w", err)
		}
		last = 0
		for _, u := range found.AllUIDs() {
			last = max(last, uint32(u))
		}
	}
	cur := Cursor{UIDValidity: sel.UIDValidity, LastUID: last}
	if old.UIDValidity == 0 {
		p.logger().Info("email: first run; mail already in the mailbox is not imported",
			"mailbox", p.mailbox(), "uidvalidity", cur.UIDValidity, "last_uid", cur.LastUID)
	} else {
		p.logger().Warn("email: UIDVALIDITY changed; starting after the mailbox's current last message, mail already there is not imported",
			"mailbox", p.mailbox(), "old_uidvalidity", old.UIDValidity, "uidvalidity", cur.UIDValidity, "last_uid", cur.LastUID)
	}
	if err := p.Save(ctx, cur); err != nil {
		return fmt.Errorf("email: save cursor: %w", err)
	}
	return nil
}

func fetchSizes(c *imapclient.Client, uids []imap.UID) (map[imap.UID]int64, error) {
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("email: FETCH sizes: %w", err)
	}
	sizes := make(map[imap.UID]int64, len(msgs))
	for _, m := range msgs {
		sizes[m.UID] = m.RFC822Size
	}
	return sizes, nil
}

// fetchBody returns the whole message with BODY.PEEK[], which leaves the
// \Seen flag alone; nil if the message is gone.
func fetchBody(c *imapclient.Client, uid imap.UID) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("email: FETCH UID %d: %w", uid, err)
	}
	for _, m := range msgs {
		if m.UID == uid {
			return m.FindBodySection(section), nil
		}
	}
	return nil, nil
}

func (p *Poller) check() error {
	if p.Load == nil || p.Handle == nil || p.Save == nil {
		return errors.New("email: Poller needs Load, Handle and Save")
	}
	return nil
}

func (p *Poller) mailbox() string {
	if p.Config.Mailbox == "" {
		return "INBOX"
	}
	return p.Config.Mailbox
}

func (p *Poller) interval() time.Duration {
	if p.Interval <= 0 {
		return time.Minute
	}
	return p.Interval
}

func (p *Poller) maxMessageSize() int64 {
	if p.maxMessage > 0 {
		return p.maxMessage
	}
	return MaxMessageSize
}

func (p *Poller) maxPart() int64 {
	if p.MaxPartSize <= 0 {
		return DefaultMaxPartSize
	}
	return p.MaxPartSize
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}
