package parley

import (
	"encoding/json"
	"strings"
	"time"
)

// Availability is whether an agent takes new conversations now.
type Availability string

const (
	Online  Availability = "online"  // takes new conversations
	Away    Availability = "away"    // keeps theirs, gets no new ones
	Offline Availability = "offline" // not working
)

// Valid reports whether a is a known availability.
func (a Availability) Valid() bool { return a == Online || a == Away || a == Offline }

// DefaultCapacity is how many open conversations an agent carries at once
// unless set otherwise: async agents work many threads in parallel.
const DefaultCapacity = 12

// Routing is an inbox's routing, hours, acknowledgement and auto-resolve
// settings, stored as JSON on the inbox.
type Routing struct {
	// AutoAssign gives new and reopened conversations to the online agent
	// with the most room (among TeamID's members when set).
	AutoAssign bool   `json:"auto_assign"`
	TeamID     *int64 `json:"team_id,omitempty"`
	// RequeueOnAway returns an agent's open conversations to the queue when
	// they go away or offline.
	RequeueOnAway bool `json:"requeue_on_away,omitempty"`
	// Hours are the inbox's business hours (internal/hours JSON); empty:
	// always open.
	Hours json.RawMessage `json:"hours,omitempty"`
	// Ack sends an acknowledgement when a conversation starts or reopens.
	Ack AckSettings `json:"ack"`
	// AutoResolveDays resolves a conversation pending on the customer for
	// this many days (0: never), with AutoResolveMessage if set.
	AutoResolveDays    int    `json:"auto_resolve_days,omitempty"`
	AutoResolveMessage string `json:"auto_resolve_message,omitempty"`
	// Survey asks for effort and satisfaction after a resolution.
	Survey SurveySettings `json:"survey"`
}

// AckSettings are the texts of the acknowledgement. {{reply_by}} is
// replaced with the promise ("within 2 hours", "by 9:00 tomorrow").
type AckSettings struct {
	Enabled bool `json:"enabled"`
	// Text is for open hours, AfterHours for when the team is away; empty
	// ones use Parley's defaults (DefaultAck, DefaultAckAfterHours, and
	// their translations). Language is the language they are written in
	// (default "en"), for the words of {{reply_by}}.
	Text       string `json:"text,omitempty"`
	AfterHours string `json:"after_hours,omitempty"`
	Language   string `json:"language,omitempty"`
	// Languages holds texts for customers of other languages, by primary
	// language subtag ("fr", "vi").
	Languages map[string]AckTexts `json:"languages,omitempty"`
}

// AckTexts are an acknowledgement's texts in one language.
type AckTexts struct {
	Text       string `json:"text,omitempty"`
	AfterHours string `json:"after_hours,omitempty"`
}

// Default acknowledgement texts.
const (
	DefaultAck           = "We've got your message. We'll reply {{reply_by}} — feel free to add any details now so we can answer everything at once."
	DefaultAckAfterHours = "We've got your message. Our team is away right now; we'll reply {{reply_by}}. Feel free to add any details now so we can answer everything at once."
)

// Validate checks routing settings.
func (r *Routing) Validate() error {
	if err := r.Survey.Validate(); err != nil {
		return err
	}
	if r.AutoResolveDays < 0 || r.AutoResolveDays > 365 {
		return Errorf(EINVALID, "auto_resolve_days must be between 0 and 365")
	}
	if len(r.AutoResolveMessage) > 2000 || len(r.Ack.Text) > 2000 || len(r.Ack.AfterHours) > 2000 {
		return Errorf(EINVALID, "routing texts are limited to 2000 characters")
	}
	texts := []string{r.Ack.Text, r.Ack.AfterHours}
	if r.Ack.Language != "" && NormalizeLanguage(r.Ack.Language) == "" {
		return Errorf(EINVALID, "acknowledgement language %q is not a language tag such as \"en\" or \"fr\"", r.Ack.Language)
	}
	if len(r.Ack.Languages) > 50 {
		return Errorf(EINVALID, "acknowledgements in at most 50 languages")
	}
	for lang, t := range r.Ack.Languages {
		if NormalizeLanguage(lang) == "" || strings.Contains(lang, "-") || strings.ToLower(lang) != lang {
			return Errorf(EINVALID, "acknowledgement languages are keyed by a lower-case language code such as \"fr\", not %q", lang)
		}
		if t.Text == "" {
			return Errorf(EINVALID, "the %s acknowledgement needs a text", lang)
		}
		texts = append(texts, t.Text, t.AfterHours)
	}
	for _, t := range texts {
		if len(t) > 2000 {
			return Errorf(EINVALID, "routing texts are limited to 2000 characters")
		}
		if t != "" && !strings.Contains(t, "{{reply_by}}") {
			return Errorf(EINVALID, "an acknowledgement text must say when the reply comes: include {{reply_by}}")
		}
	}
	return nil
}

// SLAPolicy sets reply and resolution targets, in business time, for the
// conversations it matches: a priority (empty: any), optionally narrowed
// to an inbox, a team or a label. The most specific match applies.
type SLAPolicy struct {
	ID            int64         `json:"id"`
	Name          string        `json:"name"`
	Priority      Priority      `json:"priority,omitempty"`
	InboxID       *int64        `json:"inbox_id,omitempty"`
	TeamID        *int64        `json:"team_id,omitempty"`
	Label         string        `json:"label,omitempty"`
	FirstResponse time.Duration `json:"-"`
	NextResponse  time.Duration `json:"-"`
	Resolution    time.Duration `json:"-"`
	WarnPercent   int           `json:"warn_percent"`
}

// Validate checks a policy before it is stored.
func (p *SLAPolicy) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len(p.Name) > 100 {
		return Errorf(EINVALID, "an SLA policy needs a name of at most 100 characters")
	}
	if p.Priority != "" && !p.Priority.Valid() {
		return Errorf(EINVALID, "priority %q is not one of low, normal, high, urgent", p.Priority)
	}
	for _, d := range []time.Duration{p.FirstResponse, p.NextResponse, p.Resolution} {
		if d < 0 || d > 365*24*time.Hour {
			return Errorf(EINVALID, "SLA targets must be between 0 (none) and 365 days")
		}
	}
	if p.FirstResponse == 0 && p.NextResponse == 0 && p.Resolution == 0 {
		return Errorf(EINVALID, "an SLA policy needs at least one target")
	}
	if p.WarnPercent == 0 {
		p.WarnPercent = 80
	}
	if p.WarnPercent < 1 || p.WarnPercent > 99 {
		return Errorf(EINVALID, "warn_percent must be between 1 and 99")
	}
	return nil
}

// Specificity ranks how narrowly a policy matches: the most specific
// matching policy is the one that applies.
func (p SLAPolicy) Specificity() int {
	n := 0
	if p.Priority != "" {
		n++
	}
	if p.InboxID != nil {
		n += 2
	}
	if p.TeamID != nil {
		n += 2
	}
	if p.Label != "" {
		n += 4
	}
	return n
}

// Matches reports whether the policy applies to a conversation.
func (p SLAPolicy) Matches(c Conversation) bool {
	if p.Priority != "" && p.Priority != c.Priority {
		return false
	}
	if p.InboxID != nil && *p.InboxID != c.InboxID {
		return false
	}
	if p.TeamID != nil && (c.TeamID == nil || *c.TeamID != *p.TeamID) {
		return false
	}
	if p.Label != "" {
		for _, l := range c.Labels {
			if l == p.Label {
				return true
			}
		}
		return false
	}
	return true
}

// Rank orders priorities for queues: urgent first.
func (p Priority) Rank() int {
	switch p {
	case PriorityUrgent:
		return 3
	case PriorityHigh:
		return 2
	case PriorityNormal:
		return 1
	}
	return 0
}
