// Package inbox holds Parley's use cases: receiving messages, replying,
// moving conversations through their lifecycle, merging contacts. Each
// use case is one store transaction that writes the change and its events
// together; rules and permissions live here, not in handlers or SQL.
package inbox

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/cache"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
)

// Job kinds this package enqueues and handles.
const (
	JobSnoozeWake     = "snooze.wake"
	JobWebhookDeliver = "webhook.deliver"
)

// Service runs the use cases.
type Service struct {
	DB    *store.DB
	Blobs blob.Store
	// WakeJobs is called after a commit that enqueued a job, so the job
	// runner looks again at once instead of at its next timer.
	WakeJobs func()
	// HTTPClient posts outgoing messages to API inboxes' webhooks; nil:
	// a client of outbound.Strict (public addresses only).
	HTTPClient interface {
		Do(*http.Request) (*http.Response, error)
	}
	// Outbound guards notification mail (SMTP) and is told when an admin
	// changes the outbound allow-list; nil: outbound.Strict.
	Outbound *outbound.Guard
	// Box holds the key widget links are signed with (widget.go).
	Box *secret.Box
	// AwayAfter is how long an online agent may have no inbox open before
	// they are set away (DefaultAwayAfter when zero).
	AwayAfter time.Duration
	// ReopenHold is how long a reopened conversation whose agent is at
	// capacity is held for them before any agent may take it
	// (DefaultReopenHold when zero).
	ReopenHold time.Duration
	// Channels enforces provider channels' rules on replies; nil in a
	// Parley without them (replies on provider inboxes are then refused).
	Channels Channels
	// OnReceived, when set, is called after Receive commits a customer's
	// message, with its inbox's channel and whether it was a duplicate
	// (already received, nothing stored); metrics count messages with it.
	// It runs on the request's path, so it must be cheap and not block.
	OnReceived func(channel parley.ChannelType, duplicate bool)
	// BaseURL is Parley's public URL, for survey links; nil: relative links.
	BaseURL func() string
	// OnTokenRevoked, when set, is called after a token's revocation
	// commits, so that an API server caching checked tokens forgets it at
	// once rather than when its cache entry runs out.
	OnTokenRevoked func(id int64)

	inboxes  cache.Map[int64, parley.Inbox] // inbox id → inbox (inboxTTL; Changed)
	router   router
	sla      slaCache
	triage   triageCache
	expected sync.Map // inbox id → the promise the widget shows, briefly cached
}

// inboxTTL bounds how long a cached inbox, the SLA policies and the
// triage rules are trusted. It is a safety net only: a change made in
// any process appends a config.changed event, and Changed drops the copy
// when this process reads it (within the live-update latency).
const inboxTTL = time.Minute

// inbox returns an inbox, from the cache: every received message needs
// its inbox's settings, which change rarely. Returns ENOTFOUND for an
// unknown inbox.
func (s *Service) inbox(ctx context.Context, id int64) (parley.Inbox, error) {
	return s.inboxes.Get(id, inboxTTL, func() (parley.Inbox, error) {
		in, _, err := s.DB.Inbox(ctx, id)
		return in, err
	})
}

// Actor is who asks for a change: an agent, or an API token (which may
// act for an agent).
type Actor struct {
	AgentID *int64
	TokenID int64
	Role    parley.Role
}

// System is the actor for changes Parley makes by itself (timers).
var System = Actor{Role: parley.RoleOwner}

func (s *Service) now() time.Time { return s.DB.Now().UTC() }

// enqueue stores a job in tx and wakes the runner after the commit.
func (s *Service) enqueue(tx *store.Tx, kind string, payload any, runAt time.Time, maxAttempts int) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	if _, err := tx.EnqueueJob(kind, string(b), runAt, maxAttempts); err != nil {
		return err
	}
	if s.WakeJobs != nil {
		tx.AfterCommit(s.WakeJobs)
	}
	return nil
}

// statusEvent appends a conversation.status event.
func statusEvent(tx *store.Tx, c *parley.Conversation, from parley.Status, reason string, agentID *int64) error {
	return tx.AppendEvent(&parley.Event{Type: parley.EventConversationStatus, ConversationID: &c.ID, ContactID: &c.ContactID, AgentID: agentID},
		map[string]string{"from": string(from), "to": string(c.Status), "reason": reason})
}

// History returns a conversation's whole history: its messages and those
// of every conversation it continues, oldest first.
func (s *Service) History(ctx context.Context, conversationID int64) ([]parley.Message, error) {
	chain, err := s.DB.ConversationChain(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	return s.DB.Messages(ctx, chain)
}
