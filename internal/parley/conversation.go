package parley

import (
	"sort"
	"strings"
	"time"
)

// Priority orders conversations in queues; urgent ones jump ahead.
type Priority string

const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Conversation is one thread between a contact and the team in one inbox.
type Conversation struct {
	ID         int64    `json:"id"`
	InboxID    int64    `json:"inbox_id"`
	ContactID  int64    `json:"contact_id"`
	Status     Status   `json:"status"`
	Priority   Priority `json:"priority"`
	AssigneeID *int64   `json:"assignee_id"`
	TeamID     *int64   `json:"team_id"`
	Labels     []string `json:"labels"`
	// SnoozedUntil is when a snoozed conversation wakes; nil while snoozed
	// means until the customer writes.
	SnoozedUntil    *time.Time `json:"snoozed_until"`
	FirstResponseAt *time.Time `json:"first_response_at"` // the first agent reply
	ResolvedAt      *time.Time `json:"resolved_at"`       // the latest resolution
	ReopenCount     int        `json:"reopen_count"`
	// PreviousID is the conversation this one continues: the customer wrote
	// again after the reopen window of that one had passed.
	PreviousID *int64 `json:"previous_id"`
	// QueuedAt is when the conversation started waiting for an agent with
	// room; nil when it is not in the queue.
	QueuedAt *time.Time `json:"queued_at,omitempty"`
	// QueuedFor is the agent a queued conversation is held for: it was
	// reopened while its agent was at capacity, and goes back to them as
	// soon as they have room (see inbox.Service.ReopenHold). Nil when any
	// agent may take it, and whenever QueuedAt is nil.
	QueuedFor *int64 `json:"queued_for,omitempty"`
	// SLA is the running SLA timers (JSON kept by internal/inbox); SLADueAt
	// the nearest due time of a running one; SLAState ok, warning or breached.
	SLA      string     `json:"-"`
	SLADueAt *time.Time `json:"sla_due_at,omitempty"`
	SLAState string     `json:"sla_state,omitempty"`
	// PromisedReplyBy is the reply time the acknowledgement promised.
	PromisedReplyBy *time.Time `json:"promised_reply_by,omitempty"`
	LastActivityAt  time.Time  `json:"last_activity_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// MaxLabels and MaxLabelLength bound a conversation's labels.
const (
	MaxLabels      = 50
	MaxLabelLength = 64
)

// NormalizeLabels trims, lower-cases, de-duplicates and sorts labels, and
// refuses empty, over-long or too many.
func NormalizeLabels(in []string) ([]string, error) {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, raw := range in {
		raw = strings.TrimSpace(raw)
		l := strings.ToLower(raw)
		if l == "" {
			return nil, Errorf(EINVALID, "labels cannot be empty")
		}
		if len(l) > MaxLabelLength {
			return nil, Errorf(EINVALID, "label %q is longer than %d characters", l, MaxLabelLength)
		}
		// Refused rather than cleaned: a label is a key that views and
		// filters match exactly, and the agent who typed it is there to fix it.
		if strings.Contains(l, ",") || CheckID("label", raw) != nil {
			return nil, Errorf(EINVALID, "label %q may not contain commas or control characters", l)
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	if len(out) > MaxLabels {
		return nil, Errorf(EINVALID, "at most %d labels", MaxLabels)
	}
	sort.Strings(out)
	return out, nil
}

// ConversationFilter selects conversations for a list. Zero fields do not filter.
type ConversationFilter struct {
	Status     Status
	InboxID    int64
	AssigneeID int64 // -1 means unassigned
	TeamID     int64
	ContactID  int64
	Label      string
	Priority   Priority
	// Cursor continues a list after the last item of a previous page.
	Cursor string
	Limit  int
}
