package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// What the inbox shows of routing and SLAs: the agent's own availability
// in the top bar, SLA and queue badges on rows and headers, the Queue and
// Breaching soon views, and the urgent alert.

// Bounds on what one render reads: the queue is read once per list (to
// number its rows), the two special views show at most this many rows,
// and their sidebar counts stop at viewCountCap ("100+").
const (
	queueScan    = 500
	viewLimit    = 200
	viewCountCap = 100
	breachWithin = time.Hour
)

// SLABadge is a conversation's nearest SLA target as a badge: "due in
// 25m" (ok), amber when warned, red once overdue.
type SLABadge struct {
	State string // ok, warning, breached
	Text  string
	Due   time.Time
	Now   time.Time // the database clock it was computed at, for the live countdown
}

// slaBadge returns the badge for c at now, nil when no SLA target runs.
// The state comes from the stored SLA state, but a target already past
// is shown overdue even if its breach has not been recorded yet.
func slaBadge(c parley.Conversation, now time.Time) *SLABadge {
	if c.SLADueAt == nil || c.Status == parley.StatusResolved {
		return nil
	}
	b := &SLABadge{State: c.SLAState, Due: *c.SLADueAt, Now: now}
	if b.State != "warning" && b.State != "breached" {
		b.State = "ok"
	}
	if left := c.SLADueAt.Sub(now); left > 0 {
		b.Text = "due in " + shortDuration(left)
	} else {
		b.State, b.Text = "breached", "overdue "+shortDuration(-left)
	}
	return b
}

// shortDuration is a duration as a badge says it: "45s" is "<1m", then
// "25m", "2h 5m", "3d 4h".
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// queuePositions numbers the queue (1 is next) from one read of it.
// Conversations beyond queueScan are queued but unnumbered.
func (s *Server) queuePositions(r *http.Request) (map[int64]int, error) {
	q, err := s.DB.Queue(r.Context(), queueScan)
	if err != nil {
		return nil, err
	}
	pos := make(map[int64]int, len(q))
	for i, c := range q {
		pos[c.ID] = i + 1
	}
	return pos, nil
}

// specialView loads the Queue (in queue order) or Breaching soon (soonest
// due first, overdue included) view; ok is false for the other views.
func (s *Server) specialView(r *http.Request, v View) (convs []parley.Conversation, pos map[int64]int, ok bool, err error) {
	switch v.Name {
	case "queue":
		if convs, err = s.DB.Queue(r.Context(), viewLimit); err != nil {
			return nil, nil, true, err
		}
		pos = make(map[int64]int, len(convs))
		for i, c := range convs {
			pos[c.ID] = i + 1
		}
		return convs, pos, true, nil
	case "breaching":
		convs, err = s.DB.BreachingSoon(r.Context(), s.DB.Now().Add(breachWithin), viewLimit)
		return convs, nil, true, err
	}
	return nil, nil, false, nil
}

// specialCounts are the sidebar counts of Queue and Breaching soon: one
// bounded count each per render, like the other counts.
func (s *Server) specialCounts(r *http.Request, sb *SidebarView) error {
	q, err := s.DB.CountQueued(r.Context(), viewCountCap)
	if err != nil {
		return err
	}
	b, err := s.DB.CountBreachingSoon(r.Context(), s.DB.Now().Add(breachWithin), viewCountCap)
	if err != nil {
		return err
	}
	sb.Queued, sb.Breaching = capped(q), capped(b)
	return nil
}

// choiceID reads a select of ids whose "0" (or nothing) means none or any.
func choiceID(s string) (int64, error) {
	if s == "0" {
		return 0, nil
	}
	return optID(s)
}

func capped(n int) string {
	if n >= viewCountCap {
		return strconv.Itoa(viewCountCap) + "+"
	}
	return strconv.Itoa(n)
}

// withAvailability fills in the signed-in agent's availability, which the
// session lookup does not read, for the top bar.
func (s *Server) withAvailability(r *http.Request, p *Page) {
	if p.Agent.ID == 0 {
		return
	}
	if a, err := s.DB.Agent(r.Context(), p.Agent.ID); err == nil {
		p.Agent.Availability = a.Availability
	}
}

// setAvailability is the top bar's select: agents set their own. htmx gets
// the control back; a plain form post goes back to the inbox.
func (s *Server) setAvailability(w http.ResponseWriter, r *http.Request) error {
	u, _ := userFrom(r)
	to := parley.Availability(r.PostFormValue("availability"))
	if err := s.Inbox.SetAvailability(r.Context(), actorFrom(r), u.Agent.ID, to, "manual"); err != nil {
		return err
	}
	if !isHX(r) {
		http.Redirect(w, r, "/app/", http.StatusSeeOther)
		return nil
	}
	p := s.page(r, "", "")
	return s.render(w, r, http.StatusOK, "partials", "availability-fields", p)
}

// alertView is the urgent toast.
type alertView struct {
	ID      int64
	Contact string
	Rules   []string
	Href    string
}

// Bounds on the rule names an alert repeats from the event.
const (
	maxAlertRules    = 10
	maxAlertRuleName = 80
)

// urgentAlert renders the toast for a conversation that became urgent,
// for the live client to show: 204 when the agent is not online or the
// conversation is not urgent (any more). The rule names come from the
// event the client received; they are only ever shown as text.
func (s *Server) urgentAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, _ := userFrom(r)
	me, err := s.DB.Agent(r.Context(), u.Agent.ID)
	if err != nil {
		return err
	}
	c, err := s.DB.Conversation(r.Context(), id)
	if err != nil {
		return err
	}
	if me.Availability != parley.Online || c.Priority != parley.PriorityUrgent || c.Status == parley.StatusResolved {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	contact, err := s.DB.Contact(r.Context(), c.ContactID)
	if err != nil {
		return err
	}
	v := alertView{ID: c.ID, Contact: contactName(contact), Href: convHref(c.ID, "")}
	for _, name := range r.URL.Query()["rule"] {
		name = strings.TrimSpace(name)
		if name == "" || !utf8.ValidString(name) {
			continue
		}
		if utf8.RuneCountInString(name) > maxAlertRuleName {
			name = string([]rune(name)[:maxAlertRuleName]) + "…"
		}
		if v.Rules = append(v.Rules, name); len(v.Rules) == maxAlertRules {
			break
		}
	}
	return s.render(w, r, http.StatusOK, "partials", "urgent-toast", v)
}
