// Package live fans the event log out to Server-Sent Events streams: agent
// inboxes and widgets. The database stays the source of truth. After each
// commit the hub reads the new events once and hands each subscriber the
// ones its filter accepts. A reconnecting client sends Last-Event-ID and is
// replayed what it missed from the log, so nothing is lost when a
// connection drops.
package live

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Hub reads committed events and delivers them to subscribers.
type Hub struct {
	db     *store.DB
	notify chan struct{}

	mu    sync.Mutex
	subs  map[*Sub]struct{}
	last  int64 // highest seq handed to subscribers
	ready bool  // last was read from the log

	streams atomic.Int64 // open SSE streams (subscribers that are connections)

	// Poll bounds how late events committed by another process (on
	// PostgreSQL) are noticed if its notice is lost (the listening
	// connection dropped); this process's commits wake the hub at once,
	// and other processes' through the database's notifications.
	Poll time.Duration
}

// NewHub returns a hub over db, woken by db's commits. Call Run.
func NewHub(db *store.DB) *Hub {
	h := &Hub{db: db, notify: make(chan struct{}, 1), subs: map[*Sub]struct{}{}, Poll: time.Second}
	// The log's end is read now, before the app serves, not when Run
	// starts: an event committed in between (a reply made while Parley was
	// starting) would otherwise never reach a subscriber, and the widget's
	// email watcher, subscribed early, never heard of that reply.
	if last, err := db.LastEventSeq(context.Background()); err == nil {
		h.last, h.ready = last, true
	}
	db.OnCommit(func(int64) { h.wake() })
	return h
}

func (h *Hub) wake() {
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// Run delivers events until ctx ends.
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	ready := h.ready
	h.mu.Unlock()
	if !ready {
		last, err := h.db.LastEventSeq(ctx)
		if err != nil {
			return err
		}
		h.mu.Lock()
		h.last, h.ready = last, true
		h.mu.Unlock()
	}
	// Other processes' commits wake the hub through the database (NOTIFY
	// on PostgreSQL); the poll is the safety net while that is down.
	listening, stopListening := context.WithCancel(ctx)
	defer stopListening()
	go h.db.Listen(listening, h.wake)
	t := time.NewTicker(h.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			h.closeAll()
			return nil
		case <-h.notify:
		case <-t.C:
		}
		if err := h.deliver(ctx); err != nil && ctx.Err() == nil {
			slog.Error("live: read events", "err", err)
		}
	}
}

// deliver reads every event after the last delivered one, in pages.
func (h *Hub) deliver(ctx context.Context) error {
	for {
		h.mu.Lock()
		after := h.last
		h.mu.Unlock()
		events, err := h.db.Events(ctx, after, 1000)
		if err != nil || len(events) == 0 {
			return err
		}
		frames := make([]*Frame, len(events))
		for i := range events {
			frames[i] = &Frame{Event: events[i]}
		}
		h.mu.Lock()
		for s := range h.subs {
			s.push(frames)
		}
		h.last = events[len(events)-1].Seq
		h.mu.Unlock()
		if len(events) < 1000 {
			return nil
		}
	}
}

// LastSeq returns the highest sequence number delivered so far.
func (h *Hub) LastSeq() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Count returns the number of subscribers, including ones inside Parley
// (the widget's reply scanner) that are not connections.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Streams returns the number of SSE streams open now: agents' inboxes and
// visitors' widgets. Metrics read it at each scrape.
func (h *Hub) Streams() int { return int(h.streams.Load()) }

// Subscribe registers a subscriber for events that filter accepts. It
// returns the sequence number from which delivery starts: events up to it
// must be replayed from the log by the caller (see Stream).
func (h *Hub) Subscribe(filter func(*parley.Event) bool) (*Sub, int64) {
	s := &Sub{filter: filter, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	from := h.last
	h.mu.Unlock()
	return s, from
}

// Unsubscribe removes s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

func (h *Hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.signal()
	}
}

// maxQueued bounds a slow subscriber's queue. A subscriber that falls this
// far behind is dropped; its client reconnects with Last-Event-ID and is
// replayed from the log, so it loses nothing and holds no memory meanwhile.
const maxQueued = 1024

// Sub is one subscriber: a queue that grows only while events wait, so an
// idle connection costs a few words, not a buffer.
type Sub struct {
	filter func(*parley.Event) bool
	wake   chan struct{}
	mu     sync.Mutex
	queue  []*Frame
	closed bool // the hub stopped, or the subscriber fell too far behind
	// notify, when set, replaces the wake channel: a detached stream
	// (detach.go) has no goroutine waiting on it, and starts a writer.
	notify atomic.Pointer[func()]
}

// Frame is a committed event on its way to streams. Its default SSE
// encoding is made once, by the first stream that needs it, and shared by
// all the others: with a thousand agents watching, an event is encoded
// once, not a thousand times.
type Frame struct {
	Event parley.Event
	once  sync.Once
	wire  []byte
}

// Wire returns the event as an SSE message: id, event name, JSON data.
func (f *Frame) Wire() []byte {
	f.once.Do(func() { f.wire = encode(Message{Seq: f.Event.Seq, Name: f.Event.Type, Data: &f.Event}) })
	return f.wire
}

func (s *Sub) push(frames []*Frame) {
	s.mu.Lock()
	n := 0
	for _, f := range frames {
		if s.closed || (s.filter != nil && !s.filter(&f.Event)) {
			continue
		}
		if len(s.queue) >= maxQueued {
			s.closed, s.queue = true, nil
			break
		}
		s.queue = append(s.queue, f)
		n++
	}
	s.mu.Unlock()
	if n > 0 || s.closed {
		s.signal()
	}
}

func (s *Sub) signal() {
	if n := s.notify.Load(); n != nil {
		(*n)()
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Wait returns a channel that receives when events are queued.
func (s *Sub) Wait() <-chan struct{} { return s.wake }

// Take returns the queued events and empties the queue; closed is true
// when the subscription ended and the client should reconnect.
func (s *Sub) Take() (frames []*Frame, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	frames, s.queue = s.queue, nil
	return frames, s.closed
}
