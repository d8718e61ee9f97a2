package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// testIMAP is an in-memory IMAP server on loopback with one user.
type testIMAP struct {
	port   int
	conns  *trackListener // the server side of every connection, to drop them
	user   *imapmemserver.User
	idling chan struct{} // gets a token each time a client starts IDLE
}

func startIMAP(t *testing.T) *testIMAP {
	t.Helper()
	return startIMAPTLS(t, nil, false)
}

// startIMAPTLS starts the server with STARTTLS offered when tlsConf is
// set, or with implicit TLS when implicit is also true.
func startIMAPTLS(t *testing.T, tlsConf *tls.Config, implicit bool) *testIMAP {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("ann", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	s := &testIMAP{user: user, idling: make(chan struct{}, 100)}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleSession{mem.NewSession(), s.idling}, nil, nil
		},
		InsecureAuth: tlsConf == nil,
		Logger:       log.New(io.Discard, "", 0),
		TLSConfig:    tlsConf,
	})
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tlsConf)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	s.conns = &trackListener{Listener: l}
	go srv.Serve(s.conns)
	t.Cleanup(func() { srv.Close() })
	return s
}

// idleSession makes the memory server's IDLE dependable for tests and
// tells the test when a client is idling. The memory server only
// announces changes made after its IDLE handler has registered, so mail
// appended between the client's IDLE command and that moment would go
// unannounced (real servers report pending changes when IDLE starts);
// this one checks for changes every 10 ms instead.
type idleSession struct {
	imapserver.Session
	idling chan<- struct{}
}

func (s idleSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.idling <- struct{}{}:
	default:
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if err := s.Session.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// deliver appends a small message with the given subject to INBOX.
func (s *testIMAP) deliver(t *testing.T, subject string) {
	t.Helper()
	raw := "From: Customer <c@example.com>\r\nTo: support@acme.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@example.com>\r\n\r\nBody of " + subject + "\r\n"
	if _, err := s.user.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

// store is a cursor store and message sink for a Poller under test.
type store struct {
	mu       sync.Mutex
	cursor   Cursor
	handled  []string // subjects, in order
	uids     []uint32
	fail     func(subject string) error
	received chan string
	saved    chan struct{} // a token per Save
}

func newStore() *store {
	return &store{received: make(chan string, 1000), saved: make(chan struct{}, 1000)}
}

func (s *store) poller(srv *testIMAP) *Poller {
	return &Poller{
		Config: IMAPConfig{Host: "127.0.0.1", Port: srv.port, Username: "ann", Password: "secret", Security: "none", Dial: loopbackDial},
		Load: func(context.Context) (Cursor, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.cursor, nil
		},
		Save: func(_ context.Context, c Cursor) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.cursor = c
			s.saved <- struct{}{}
			return nil
		},
		Handle: func(_ context.Context, uid uint32, raw []byte, omitted []Omission) error {
			m, err := Parse(raw)
			if err != nil {
				return err
			}
			s.mu.Lock()
			fail := s.fail
			s.mu.Unlock()
			if fail != nil {
				if err := fail(m.Subject); err != nil {
					return err
				}
			}
			s.mu.Lock()
			s.handled = append(s.handled, m.Subject)
			s.uids = append(s.uids, uid)
			s.mu.Unlock()
			s.received <- m.Subject
			return nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
}

func (s *store) snapshot() (Cursor, []string, []uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor, append([]string(nil), s.handled...), append([]uint32(nil), s.uids...)
}

// wait waits up to 10 seconds for the next handled message.
func (s *store) wait(t *testing.T) string {
	t.Helper()
	select {
	case subj := <-s.received:
		return subj
	case <-time.After(10 * time.Second):
		t.Fatal("no message handled within 10s")
		return ""
	}
}

func mustPoll(t *testing.T, p *Poller, want int) {
	t.Helper()
	n, err := p.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("PollOnce handled %d messages, want %d", n, want)
	}
}

func TestPollOnce(t *testing.T) {
	srv := startIMAP(t)
	srv.deliver(t, "old 1")
	srv.deliver(t, "old 2")
	st := newStore()
	p := st.poller(srv)

	// First run: history stays where it is; the cursor marks its end.
	mustPoll(t, p, 0)
	cur, handled, _ := st.snapshot()
	if cur.UIDValidity == 0 || cur.LastUID != 2 || len(handled) != 0 {
		t.Fatalf("after first run: cursor %+v, handled %q", cur, handled)
	}

	for i := 1; i <= 3; i++ {
		srv.deliver(t, "new "+strconv.Itoa(i))
	}
	mustPoll(t, p, 3)
	cur, handled, uids := st.snapshot()
	if strings.Join(handled, ",") != "new 1,new 2,new 3" || fmt.Sprint(uids) != "[3 4 5]" || cur.LastUID != 5 {
		t.Fatalf("handled %q uids %v cursor %+v", handled, uids, cur)
	}
	mustPoll(t, p, 0) // nothing new

	// Bodies were fetched with BODY.PEEK[]: nothing was marked \Seen.
	c, err := imapclient.DialInsecure("127.0.0.1:"+strconv.Itoa(srv.port), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("ann", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2, 3, 4, 5), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		for _, f := range m.Flags {
			if f == imap.FlagSeen {
				t.Errorf("message %d was marked seen", m.SeqNum)
			}
		}
	}
}

func TestPollerCursorPersists(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	mustPoll(t, st.poller(srv), 0)
	srv.deliver(t, "one")
	mustPoll(t, st.poller(srv), 1)

	// A new Poller (a restarted process) with the saved cursor handles
	// nothing old, then only what is new.
	p2 := st.poller(srv)
	mustPoll(t, p2, 0)
	srv.deliver(t, "two")
	mustPoll(t, p2, 1)
	if _, handled, _ := st.snapshot(); strings.Join(handled, ",") != "one,two" {
		t.Fatalf("handled %q", handled)
	}
}

func TestPollerHandleErrorRetries(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	p := st.poller(srv)
	mustPoll(t, p, 0)
	for _, s := range []string{"a", "b", "c"} {
		srv.deliver(t, s)
	}
	errDown := errors.New("database is down")
	st.fail = func(subject string) error {
		if subject == "b" {
			return errDown
		}
		return nil
	}
	n, err := p.PollOnce(context.Background())
	if n != 1 || !errors.Is(err, errDown) {
		t.Fatalf("PollOnce = %d, %v; want 1 and the Handle error", n, err)
	}
	if cur, _, _ := st.snapshot(); cur.LastUID != 1 {
		t.Fatalf("cursor advanced past the failed message: %+v", cur)
	}
	st.mu.Lock()
	st.fail = nil
	st.mu.Unlock()
	mustPoll(t, p, 2)
	if cur, handled, _ := st.snapshot(); strings.Join(handled, ",") != "a,b,c" || cur.LastUID != 3 {
		t.Fatalf("handled %q cursor %+v", handled, cur)
	}
}

func TestPollerUIDValidityChange(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	var logs lockedBuffer
	p := st.poller(srv)
	p.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	mustPoll(t, p, 0)
	srv.deliver(t, "before")
	mustPoll(t, p, 1)
	before, _, _ := st.snapshot()

	// The mailbox is recreated: a new UIDVALIDITY, and UIDs start again.
	if err := srv.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := srv.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, "restored 1")
	srv.deliver(t, "restored 2")
	mustPoll(t, p, 0)
	after, handled, _ := st.snapshot()
	if after.UIDValidity == before.UIDValidity || after.LastUID != 2 || len(handled) != 1 {
		t.Fatalf("cursor %+v → %+v, handled %q", before, after, handled)
	}
	if !strings.Contains(logs.String(), "UIDVALIDITY changed") {
		t.Errorf("change not logged: %s", logs.String())
	}
	srv.deliver(t, "fresh")
	mustPoll(t, p, 1)
}

func TestPollerBatchCap(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	p := st.poller(srv)
	mustPoll(t, p, 0)
	for i := range maxBatch + 5 {
		srv.deliver(t, "m"+strconv.Itoa(i))
	}
	mustPoll(t, p, maxBatch)
	mustPoll(t, p, 5)
	if _, handled, _ := st.snapshot(); len(handled) != maxBatch+5 || handled[maxBatch+4] != "m204" {
		t.Fatalf("handled %d, last %q", len(handled), handled[len(handled)-1])
	}
}

// runPoller runs p until the test ends and checks that Run returns nil
// soon after its context is cancelled.
func runPoller(t *testing.T, p *Poller) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
}

func TestRunIdle(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	p := st.poller(srv)
	p.Interval = time.Hour // only IDLE can deliver within the test
	runPoller(t, p)
	for _, subject := range []string{"first", "second"} {
		select {
		case <-srv.idling:
		case <-time.After(10 * time.Second):
			t.Fatal("the poller never entered IDLE")
		}
		srv.deliver(t, subject)
		if got := st.wait(t); got != subject {
			t.Fatalf("handled %q, want %q", got, subject)
		}
	}
}

func TestRunPollsWithoutIdle(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	p := st.poller(srv)
	p.noIdle = true
	p.Interval = 20 * time.Millisecond
	runPoller(t, p)
	select { // the first pass marks the end of the history
	case <-st.saved:
	case <-time.After(10 * time.Second):
		t.Fatal("no first pass")
	}
	srv.deliver(t, "polled")
	if got := st.wait(t); got != "polled" {
		t.Fatalf("handled %q", got)
	}
	select {
	case <-srv.idling:
		t.Error("the poller used IDLE")
	default:
	}
}

func TestRunRenewsIdle(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	p := st.poller(srv)
	p.Interval = time.Hour
	p.idleRestart = 20 * time.Millisecond
	runPoller(t, p)
	for range 3 {
		select {
		case <-srv.idling:
		case <-time.After(10 * time.Second):
			t.Fatal("IDLE was not renewed")
		}
	}
	srv.deliver(t, "after renewals")
	if got := st.wait(t); got != "after renewals" {
		t.Fatalf("handled %q", got)
	}
}

func TestRunRetriesAfterHandleError(t *testing.T) {
	srv := startIMAP(t)
	st := newStore()
	var mu sync.Mutex
	failures := 0
	st.fail = func(string) error {
		mu.Lock()
		defer mu.Unlock()
		if failures < 2 {
			failures++
			return errors.New("temporary")
		}
		return nil
	}
	p := st.poller(srv)
	p.Interval = 10 * time.Millisecond
	mustPoll(t, p, 0) // set the cursor first, so the next message is new
	srv.deliver(t, "eventually")
	runPoller(t, p)
	if got := st.wait(t); got != "eventually" {
		t.Fatalf("handled %q", got)
	}
	if _, handled, _ := st.snapshot(); len(handled) != 1 {
		t.Fatalf("handled %q", handled)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
