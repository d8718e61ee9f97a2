package inbox

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/triage"
)

// settingTriage holds the admins' triage rules; without it, the defaults.
const settingTriage = "triage_rules"

type triageCache struct {
	mu      sync.Mutex
	matcher *triage.Matcher
	at      time.Time
}

// matcher returns the compiled triage rules, from a short-lived cache:
// every customer message is matched.
func (s *Service) matcher(ctx context.Context) (*triage.Matcher, error) {
	s.triage.mu.Lock()
	defer s.triage.mu.Unlock()
	if s.triage.matcher != nil && time.Since(s.triage.at) < inboxTTL {
		return s.triage.matcher, nil
	}
	rules, err := s.TriageRules(ctx)
	if err != nil {
		return nil, err
	}
	s.triage.matcher, s.triage.at = rules.Compile(), time.Now()
	return s.triage.matcher, nil
}

// TriageRules returns the rules in force: the admins' or the defaults.
func (s *Service) TriageRules(ctx context.Context) (triage.Rules, error) {
	var raw json.RawMessage
	ok, err := s.DB.Setting(ctx, settingTriage, &raw)
	if err != nil || !ok {
		return triage.Defaults(), err
	}
	return triage.Parse(raw)
}

// SetTriageRules replaces the triage rules (admins only); nil restores
// the defaults.
func (s *Service) SetTriageRules(ctx context.Context, actor Actor, rules triage.Rules) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if rules == nil {
		rules = triage.Defaults()
	}
	if err := rules.Validate(); err != nil {
		return err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(settingTriage, rules) })
	s.forgetTriage()
	return err
}

func (s *Service) forgetTriage() {
	s.triage.mu.Lock()
	s.triage.matcher = nil
	s.triage.mu.Unlock()
}

// verdict is what the triage rules made of a customer message: matched
// (ok) at priority p by the rules named.
type verdict struct {
	p     parley.Priority
	names []string
	ok    bool
}

// triageText matches a message against the rules. It needs nothing from
// the database, so Receive runs it before the write: matching every
// message's text inside the single writer's transaction cost the writer
// ~4 µs a message.
func triageText(m *triage.Matcher, text string) verdict {
	if m == nil {
		return verdict{}
	}
	p, names, ok := m.Match(text)
	return verdict{p, names, ok}
}

// triageMessage raises c's priority when a customer message matched a
// rule (v), never lowers it, and records which rules said so. It reports
// whether c changed.
func (s *Service) triageMessage(tx *store.Tx, v verdict, c *parley.Conversation) (bool, error) {
	if !v.ok || v.p.Rank() <= c.Priority.Rank() {
		return false, nil
	}
	from := c.Priority
	c.Priority = v.p
	if c.QueuedAt != nil && v.p == parley.PriorityUrgent {
		tx.AfterCommit(s.kickRouting) // it jumps the queue now
	}
	return true, tx.AppendEvent(&parley.Event{Type: parley.EventConversationPriority, ConversationID: &c.ID, ContactID: &c.ContactID},
		map[string]any{"from": from, "to": v.p, "reason": "triage", "rules": v.names})
}
