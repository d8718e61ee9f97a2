package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// load sends incoming messages to nodes and remembers what each answered.
type load struct {
	cli  *api
	path string

	mu      sync.Mutex
	acked   map[string]int64 // provider id → message id, for every 2xx
	by      map[string]*node // provider id → the node that acknowledged it
	bodies  map[string]any   // provider id → the request, for retries
	lost    []pending        // sent to a node that never answered (A, killed)
	bFailed []string         // failures of a node that was never killed
}

// pending is a request a node never answered.
type pending struct {
	id   string
	body any
}

// post sends one message with provider id id from contact.
func (l *load) post(n *node, id, contact string) {
	body := map[string]any{"contact": map[string]string{"external_id": contact},
		"external_message_id": id, "text": "under load: " + id}
	l.send(n, id, body)
}

// send posts body to n and records the answer; it returns the status, 0
// when there was none.
func (l *load) send(n *node, id string, body any) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	status, out, err := l.cli.do(ctx, "POST", n.URL, l.path, body)
	var r struct {
		MessageID int64 `json:"message_id"`
	}
	ok := err == nil && (status == 201 || status == 200) && json.Unmarshal(out, &r) == nil && r.MessageID > 0
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.acked == nil {
		l.acked, l.by, l.bodies = map[string]int64{}, map[string]*node{}, map[string]any{}
	}
	l.bodies[id] = body
	switch {
	case ok:
		if prev, seen := l.acked[id]; seen && prev != r.MessageID {
			l.bFailed = append(l.bFailed, fmt.Sprintf("%s: acknowledged as message %d, then as %d", id, prev, r.MessageID))
		}
		l.acked[id] = r.MessageID
		if l.by[id] == nil {
			l.by[id] = n
		}
	case n.name == "A":
		l.lost = append(l.lost, pending{id: id, body: body})
	default:
		l.bFailed = append(l.bFailed, fmt.Sprintf("%s on %s: %d %s %v", id, n.name, status, out, err))
	}
	if !ok {
		return 0
	}
	return status
}

func (l *load) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// unanswered returns the requests A never answered.
func (l *load) unanswered() []pending {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pending(nil), l.lost...)
}

// ackedOn lists the provider ids that n acknowledged.
func (l *load) ackedOn(n *node) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for id, by := range l.by {
		if by == n {
			out = append(out, id)
		}
	}
	return out
}

func (l *load) failedOnB() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bFailed...)
}

// seenSet records when each message.created event was read from a stream.
type seenSet struct {
	mu sync.Mutex
	at map[int64]time.Time
}

// collect reads a stream's events until it ends.
func collect(ch <-chan streamEvent) *seenSet {
	s := &seenSet{at: map[int64]time.Time{}}
	go func() {
		for e := range ch {
			if e.Type == "message.created" {
				s.mu.Lock()
				if _, ok := s.at[e.MessageID]; !ok {
					s.at[e.MessageID] = e.At
				}
				s.mu.Unlock()
			}
		}
	}()
	return s
}

// wait returns when the message's event was read, waiting up to within.
func (s *seenSet) wait(id int64, within time.Duration) (time.Time, bool) {
	for deadline := time.Now().Add(within); ; time.Sleep(2 * time.Millisecond) {
		s.mu.Lock()
		at, ok := s.at[id]
		s.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return at, ok
		}
	}
}
