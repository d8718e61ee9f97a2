package inbox

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/sla"
	"github.com/parleyhq/parley/internal/store"
)

// SLAs: a conversation gets the targets of the most specific policy that
// matches it, as business-time countdowns (internal/sla) kept as JSON on
// the conversation. They start, pause, resume and stop as the
// conversation moves (trackSLA); each change schedules a durable sla.check
// job at the next warning or breach moment, which records it once (an
// event and the conversation's sla_state). A job that finds the moment
// moved (a reply came, the clock paused) does nothing but schedule the
// next one.

// JobSLACheck fires SLA warnings and breaches at their moment.
const JobSLACheck = "sla.check"

// SLA target names, in events and the stored state.
const (
	TargetFirstResponse = "first_response"
	TargetNextResponse  = "next_response"
	TargetResolution    = "resolution"
)

// slaState is a conversation's SLA timers.
type slaState struct {
	PolicyID int64                 `json:"policy_id"`
	Warn     int                   `json:"warn_percent"`
	Timers   map[string]*sla.Timer `json:"timers,omitempty"`
	Warned   map[string]bool       `json:"warned,omitempty"`
	Breached map[string]bool       `json:"breached,omitempty"`
}

func loadSLA(c parley.Conversation) *slaState {
	if c.SLA == "" {
		return nil
	}
	var st slaState
	if json.Unmarshal([]byte(c.SLA), &st) != nil {
		return nil
	}
	return &st
}

type slaCache struct {
	mu        sync.Mutex
	policies  []parley.SLAPolicy
	at        time.Time
	schedules sync.Map // hours JSON → hours.Schedule
}

// policies returns the SLA policies, from a short-lived cache: every
// customer message asks whether any apply.
func (s *Service) policies(tx *store.Tx) ([]parley.SLAPolicy, error) {
	s.sla.mu.Lock()
	defer s.sla.mu.Unlock()
	if s.sla.policies != nil && time.Since(s.sla.at) < inboxTTL {
		return s.sla.policies, nil
	}
	list, err := tx.SLAPolicies()
	if err != nil {
		return nil, err
	}
	s.sla.policies, s.sla.at = list, time.Now()
	return list, nil
}

func (s *Service) forgetPolicies() {
	s.sla.mu.Lock()
	s.sla.policies = nil
	s.sla.mu.Unlock()
}

// schedule returns the business hours a conversation is timed by: its
// team's, else its inbox's, else always open.
func (s *Service) schedule(tx *store.Tx, in parley.Inbox, c parley.Conversation) hours.Schedule {
	sch, _ := s.scheduleOf(tx, in, c)
	return sch
}

// scheduleOf is schedule, and whether the team or inbox has hours at all
// (false: always open by default, which says nothing about when anyone
// works).
func (s *Service) scheduleOf(tx *store.Tx, in parley.Inbox, c parley.Conversation) (hours.Schedule, bool) {
	raw := string(in.Routing.Hours)
	if c.TeamID != nil {
		if t, err := tx.TeamHours(*c.TeamID); err == nil && t != "" {
			raw = t
		}
	}
	if raw == "" || raw == "null" {
		return hours.AlwaysOpen(), false
	}
	if v, ok := s.sla.schedules.Load(raw); ok {
		return v.(hours.Schedule), true
	}
	sch, err := hours.Parse([]byte(raw))
	if err != nil {
		return hours.AlwaysOpen(), false // refused when saved; a bad stored value counts as always open
	}
	s.sla.schedules.Store(raw, sch)
	return sch, true
}

// policyFor returns the most specific policy matching c.
func policyFor(list []parley.SLAPolicy, c parley.Conversation) *parley.SLAPolicy {
	var best *parley.SLAPolicy
	for i := range list {
		p := &list[i]
		if p.Matches(c) && (best == nil || p.Specificity() > best.Specificity()) {
			best = p
		}
	}
	return best
}

// What moved a conversation, for trackSLA.
const (
	slaCustomer = "customer" // the customer wrote
	slaReply    = "reply"    // the team replied
	slaChange   = "change"   // status, priority, team or labels changed
)

// trackSLA moves c's SLA timers for what just happened (before is c as it
// was) and schedules the next check. It reports whether c's SLA fields
// changed (so the caller saves the row).
func (s *Service) trackSLA(tx *store.Tx, in parley.Inbox, before parley.Conversation, c *parley.Conversation, what string) (bool, error) {
	list, err := s.policies(tx)
	if err != nil {
		return false, err
	}
	st := loadSLA(*c)
	if len(list) == 0 && st == nil {
		return false, nil // no SLAs anywhere: the common case costs nothing
	}
	now := tx.Now()
	sch := s.schedule(tx, in, *c)
	p := policyFor(list, *c)
	if st != nil && p == nil && st.PolicyID != 0 {
		// No policy applies any more (its label removed, the priority
		// lowered, the policy deleted): no targets, so no clocks.
		st = &slaState{}
	}
	fresh := st == nil // no policy applied to it until now
	if st == nil {
		if p == nil {
			return false, nil
		}
		st = &slaState{PolicyID: p.ID, Warn: p.WarnPercent, Timers: map[string]*sla.Timer{}}
	}
	if st.Timers == nil {
		st.Timers = map[string]*sla.Timer{}
	}
	// A different policy now applies (triage raised the priority, a team
	// or label changed): keep the time used, take the new targets.
	changed := p != nil && p.ID != st.PolicyID
	if changed {
		retarget(st, p, sch, now)
	}
	targets := map[string]time.Duration{}
	if p != nil {
		targets = map[string]time.Duration{TargetFirstResponse: p.FirstResponse, TargetNextResponse: p.NextResponse, TargetResolution: p.Resolution}
	}
	start := func(name string) {
		if d := targets[name]; d > 0 {
			t := sla.Start(d, now)
			st.Timers[name] = &t
			delete(st.Warned, name)
			delete(st.Breached, name)
		}
	}
	stop := func(name string) { delete(st.Timers, name) }
	var met []string // targets met by this change, recorded below
	meet := func(name string) {
		if t := st.Timers[name]; t != nil && t.Running && !st.Breached[name] {
			met = append(met, name)
		}
	}
	running := func(name string) bool { t := st.Timers[name]; return t != nil && t.Running }

	// A policy that starts to apply to a conversation already under way (a
	// label or team added where no policy applied, or a policy with a
	// target the old one lacked) starts the clocks it adds from now: the
	// wait before was under no target, so it is not counted against this
	// one. First response runs until the first reply, resolution until
	// resolved; the status below pauses them while pending or snoozed.
	// Next response starts with the customer's next message.
	if (fresh || changed) && c.Status != parley.StatusResolved {
		for _, name := range []string{TargetFirstResponse, TargetResolution} {
			if st.Timers[name] == nil && (name != TargetFirstResponse || c.FirstResponseAt == nil) {
				start(name)
			}
		}
	}

	switch what {
	case slaCustomer:
		switch {
		case before.ID == 0: // a new conversation
			start(TargetFirstResponse)
			start(TargetResolution)
		default:
			if before.Status == parley.StatusResolved { // reopened: resolution time adds up
				if t := st.Timers[TargetResolution]; t != nil {
					t.Resume(now)
				} else {
					start(TargetResolution)
				}
			}
			if !running(TargetFirstResponse) && !running(TargetNextResponse) && c.FirstResponseAt != nil {
				start(TargetNextResponse)
			}
		}
	case slaReply:
		meet(TargetFirstResponse)
		meet(TargetNextResponse)
		stop(TargetFirstResponse)
		stop(TargetNextResponse)
	}
	// Status: the clocks run only while the conversation is open.
	switch {
	case c.Status == parley.StatusResolved:
		stop(TargetFirstResponse)
		stop(TargetNextResponse)
		if t := st.Timers[TargetResolution]; t != nil && t.Running {
			meet(TargetResolution)
			t.Pause(sch, now)
		}
	case c.Status != parley.StatusOpen:
		for _, t := range st.Timers {
			if t.Running {
				t.Pause(sch, now)
			}
		}
	case before.ID != 0 && before.Status != parley.StatusOpen && before.Status != parley.StatusResolved:
		for _, t := range st.Timers {
			if !t.Running {
				t.Resume(now)
			}
		}
	}
	for _, name := range met {
		if err := tx.AppendEvent(&parley.Event{Type: parley.EventSLAMet, ConversationID: &c.ID, ContactID: &c.ContactID},
			map[string]any{"target": name, "policy_id": st.PolicyID}); err != nil {
			return false, err
		}
	}
	old := c.SLA
	next, err := s.applySLA(c, st, sch)
	if err != nil || c.SLA == old {
		return false, err // nothing moved (a message in a running clock): no write, no new check
	}
	return true, s.scheduleCheck(tx, c, next)
}

// retarget moves timers to a new policy's targets, keeping the business
// time already used.
func retarget(st *slaState, p *parley.SLAPolicy, sch hours.Schedule, now time.Time) {
	targets := map[string]time.Duration{TargetFirstResponse: p.FirstResponse, TargetNextResponse: p.NextResponse, TargetResolution: p.Resolution}
	for name, t := range st.Timers {
		d := targets[name]
		if d == 0 {
			delete(st.Timers, name)
			continue
		}
		used := t.Target - t.Left(sch, now)
		running := t.Running
		nt := sla.Start(d, now)
		nt.Remaining = d - used
		if !running {
			nt.Pause(sch, now)
			nt.Remaining = d - used
		}
		st.Timers[name] = &nt
		delete(st.Warned, name)
		delete(st.Breached, name)
	}
	st.PolicyID, st.Warn = p.ID, p.WarnPercent
}

// saveSLA stores the timers on c, sets its nearest due time and state,
// and schedules a check at the next moment that needs one.
func (s *Service) saveSLA(tx *store.Tx, c *parley.Conversation, st *slaState, sch hours.Schedule) error {
	next, err := s.applySLA(c, st, sch)
	if err != nil {
		return err
	}
	return s.scheduleCheck(tx, c, next)
}

// scheduleCheck enqueues an sla.check at next (none when zero).
func (s *Service) scheduleCheck(tx *store.Tx, c *parley.Conversation, next time.Time) error {
	if next.IsZero() {
		return nil
	}
	return s.enqueue(tx, JobSLACheck, slaCheckPayload{ConversationID: c.ID, At: next.UnixMicro()}, next, 5)
}

// applySLA writes the timers onto c (SLA, SLADueAt, SLAState) and returns
// the next moment a check is needed (zero: none).
func (s *Service) applySLA(c *parley.Conversation, st *slaState, sch hours.Schedule) (time.Time, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return time.Time{}, err
	}
	c.SLA = string(b)
	c.SLADueAt = nil
	var next time.Time
	for name, t := range st.Timers {
		if !t.Running {
			continue
		}
		due := t.Due(sch)
		if due.IsZero() {
			continue // business hours that never open: no moment to wait for
		}
		if c.SLADueAt == nil || due.Before(*c.SLADueAt) {
			d := due
			c.SLADueAt = &d
		}
		moments := []time.Time{}
		if !st.Breached[name] {
			moments = append(moments, due)
		}
		if !st.Warned[name] {
			moments = append(moments, t.WarnAt(sch, float64(st.Warn)/100))
		}
		for _, m := range moments {
			if !m.IsZero() && (next.IsZero() || m.Before(next)) {
				next = m
			}
		}
	}
	c.SLAState = slaStateName(st)
	return next, nil
}

// slaCheckPayload is an sla.check job's payload: the conversation, and the
// moment the check is for.
type slaCheckPayload struct {
	ConversationID int64 `json:"conversation_id"`
	At             int64 `json:"at"` // Unix µs
}

// tooEarly asks the job runner to run a check again at its moment: a
// runner whose clock is behind the one that scheduled it (another process,
// a clock step) must not drop the check.
type tooEarly struct{ wait time.Duration }

func (e tooEarly) Error() string             { return "sla: check ran before its moment" }
func (e tooEarly) RetryAfter() time.Duration { return e.wait }

func slaStateName(st *slaState) string {
	state := ""
	for name, t := range st.Timers {
		switch {
		case st.Breached[name]:
			return "breached"
		case st.Warned[name]:
			state = "warning"
		case state == "" && t != nil:
			state = "ok"
		}
	}
	return state
}

// CheckSLA is the sla.check job: it records the warnings and breaches
// whose moment has come, once each, and schedules the next check.
func (s *Service) CheckSLA(ctx context.Context, payload string) error {
	var p slaCheckPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return &PermanentError{err}
	}
	if at := time.UnixMicro(p.At); p.At != 0 && s.now().Before(at) {
		return tooEarly{at.Sub(s.now())}
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(p.ConversationID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		st := loadSLA(c)
		if st == nil {
			return nil
		}
		in, err := tx.Inbox(c.InboxID)
		if err != nil {
			return err
		}
		sch := s.schedule(tx, in, c)
		now := tx.Now()
		fired := false
		for name, t := range st.Timers {
			if !t.Running {
				continue
			}
			if w := t.WarnAt(sch, float64(st.Warn)/100); !st.Warned[name] && !w.IsZero() && !now.Before(w) {
				if st.Warned == nil {
					st.Warned = map[string]bool{}
				}
				st.Warned[name], fired = true, true
				if err := slaEvent(tx, c, parley.EventSLAWarning, name, st.PolicyID, t.Due(sch)); err != nil {
					return err
				}
			}
			if !st.Breached[name] && t.Breached(sch, now) {
				if st.Breached == nil {
					st.Breached = map[string]bool{}
				}
				st.Breached[name], fired = true, true
				if err := slaEvent(tx, c, parley.EventSLABreached, name, st.PolicyID, t.Due(sch)); err != nil {
					return err
				}
			}
		}
		if !fired {
			return nil // moved since this check was scheduled; a later one is queued
		}
		if err := s.saveSLA(tx, &c, st, sch); err != nil {
			return err
		}
		return tx.SaveConversation(&c)
	})
}

func slaEvent(tx *store.Tx, c parley.Conversation, typ, target string, policyID int64, due time.Time) error {
	return tx.AppendEvent(&parley.Event{Type: typ, ConversationID: &c.ID, ContactID: &c.ContactID},
		map[string]any{"target": target, "policy_id": policyID, "due_at": due.UTC().Format(time.RFC3339)})
}

// SaveSLAPolicy creates or updates an SLA policy (admins only).
func (s *Service) SaveSLAPolicy(ctx context.Context, actor Actor, p parley.SLAPolicy) (parley.SLAPolicy, error) {
	if err := requireAdmin(actor); err != nil {
		return p, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SaveSLAPolicy(&p) })
	s.forgetPolicies()
	s.expected.Clear()
	return p, err
}

// DeleteSLAPolicy removes an SLA policy (admins only).
func (s *Service) DeleteSLAPolicy(ctx context.Context, actor Actor, id int64) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.DeleteSLAPolicy(id) })
	s.forgetPolicies()
	s.expected.Clear()
	return err
}

// SetTeamHours sets the business hours that time a team's conversations
// (admins only); empty removes them, and the inbox's hours apply.
func (s *Service) SetTeamHours(ctx context.Context, actor Actor, teamID int64, raw json.RawMessage) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	text := ""
	if len(raw) > 0 && string(raw) != "null" {
		if _, err := hours.Parse(raw); err != nil {
			return parley.Errorf(parley.EINVALID, "business %v", err) // "business hours: …"
		}
		text = string(raw)
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetTeamHours(teamID, text) })
}
