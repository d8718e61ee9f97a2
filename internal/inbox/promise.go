package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Promises: when a conversation starts or reopens in an inbox with
// acknowledgements on, a conversation.ack job tells the customer when to
// expect a reply. The time is computed from live data: the team's recent
// first-response times for that priority (the 80th percentile, so it is
// not faster than the team really is), the SLA target when there is no
// history, the queue, and business hours (after hours, when the team is
// back). The promise is recorded on the conversation.

// JobAck sends an acknowledgement.
const JobAck = "conversation.ack"

// defaultFirstResponse is the promise before there is any history or SLA.
var defaultFirstResponse = map[parley.Priority]time.Duration{
	parley.PriorityUrgent: 15 * time.Minute,
	parley.PriorityHigh:   time.Hour,
	parley.PriorityNormal: 4 * time.Hour,
	parley.PriorityLow:    8 * time.Hour,
}

// Promise is when a team expects to reply.
type Promise struct {
	ReplyBy    time.Time
	Text       string // "within 2 hours", "by 9:00 tomorrow"
	AfterHours bool
	Position   int // in the queue; 0 when not queued
}

// promise computes the reply time for a conversation (or, with c.ID 0, for
// a conversation that would start now in the inbox).
func (s *Service) promise(tx *store.Tx, in parley.Inbox, c parley.Conversation) (Promise, error) {
	now := tx.Now()
	sch := s.schedule(tx, in, c)
	if c.Priority == "" {
		c.Priority = parley.PriorityNormal
	}
	recent, err := tx.RecentFirstResponses(c.Priority, 50)
	if err != nil {
		return Promise{}, err
	}
	var took []time.Duration
	for _, r := range recent {
		took = append(took, sch.Between(r[0], r[1]))
	}
	est := percentile(took, 0.8)
	if len(took) < 5 {
		est = defaultFirstResponse[c.Priority]
		if list, err := s.policies(tx); err == nil {
			if p := policyFor(list, c); p != nil && p.FirstResponse > 0 {
				est = p.FirstResponse
			}
		}
	}
	var p Promise
	if p.Position, err = tx.QueuePosition(c); err != nil {
		return p, err
	}
	if p.Position > 0 {
		online, err := tx.Candidates(nil)
		if err != nil {
			return p, err
		}
		// Each place ahead takes some of an agent's time; more agents
		// online share the queue.
		est += time.Duration(float64(est) * float64(p.Position) / float64(max(1, len(online))))
	}
	est = roundUp(est)
	p.AfterHours = !sch.IsOpen(now)
	p.ReplyBy = sch.Add(now, est)
	if p.ReplyBy.IsZero() { // never open: promise nothing faster than the estimate
		p.ReplyBy = now.Add(est)
	}
	p.Text = describeBy(now, p.ReplyBy, est, p.AfterHours, sch.Location)
	return p, nil
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[int(math.Ceil(q*float64(len(d))))-1]
}

// roundUp makes an estimate a promise a person would make: 10, 15, 30
// minutes, then whole hours.
func roundUp(d time.Duration) time.Duration {
	for _, step := range []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour} {
		if d <= step {
			return step
		}
	}
	return d.Truncate(time.Hour) + time.Hour*time.Duration(min(1, int(d%time.Hour)))
}

// describeBy says when the reply comes, in the team's time zone.
func describeBy(now, by time.Time, est time.Duration, afterHours bool, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	if !afterHours && by.Sub(now) <= 12*time.Hour {
		switch {
		case est < time.Hour:
			return fmt.Sprintf("within %d minutes", int(est/time.Minute))
		case est == time.Hour:
			return "within an hour"
		}
		return fmt.Sprintf("within %d hours", int(est/time.Hour))
	}
	lb, ln := by.In(loc), now.In(loc)
	clock := lb.Format("15:04")
	days := int(time.Date(lb.Year(), lb.Month(), lb.Day(), 0, 0, 0, 0, loc).Sub(time.Date(ln.Year(), ln.Month(), ln.Day(), 0, 0, 0, 0, loc)).Hours() / 24)
	switch {
	case days <= 0:
		return "today by " + clock
	case days == 1:
		return "by " + clock + " tomorrow"
	case days < 7:
		return "by " + lb.Format("Monday") + " " + clock
	}
	return "by " + lb.Format("Monday 2 January") + " " + clock
}

// enqueueAck asks for an acknowledgement of a conversation that just
// started or reopened, in an inbox that sends them.
func (s *Service) enqueueAck(tx *store.Tx, in parley.Inbox, c parley.Conversation) error {
	if !in.Routing.Ack.Enabled {
		return nil
	}
	return s.enqueue(tx, JobAck, SendPayload{MessageID: c.ID}, tx.Now(), 5)
}

// SendAck is the conversation.ack job: it tells the customer when to
// expect a reply, unless the team already answered, and records the
// promise with the message in one transaction.
func (s *Service) SendAck(ctx context.Context, payload string) error {
	var p SendPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return &PermanentError{err}
	}
	var text string
	var pr Promise
	var c parley.Conversation
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.Conversation(p.MessageID); err != nil {
			return err
		}
		in, err := tx.Inbox(c.InboxID)
		if err != nil {
			return err
		}
		if c.Status != parley.StatusOpen {
			text = "" // set aside or resolved already
			return nil
		}
		if pr, err = s.promise(tx, in, c); err != nil {
			return err
		}
		text = in.Routing.Ack.Text
		if text == "" {
			text = parley.DefaultAck
		}
		if pr.AfterHours {
			text = in.Routing.Ack.AfterHours
			if text == "" {
				text = parley.DefaultAckAfterHours
			}
		}
		text = strings.ReplaceAll(text, "{{reply_by}}", pr.Text)
		if pr.Position > 0 {
			text += fmt.Sprintf(" (You're number %d in line.)", pr.Position)
		}
		return nil
	})
	if err != nil || text == "" {
		return err
	}
	_, err = s.write(ctx, System, c.ID, parley.Outgoing, Outgoing{Text: text}, func(tx *store.Tx, m parley.Message) error {
		cur, err := tx.Conversation(c.ID)
		if err != nil {
			return err
		}
		by := pr.ReplyBy
		cur.PromisedReplyBy = &by
		if err := tx.SaveConversation(&cur); err != nil {
			return err
		}
		return tx.AppendEvent(&parley.Event{Type: parley.EventPromise, ConversationID: &cur.ID, ContactID: &cur.ContactID, MessageID: &m.ID},
			map[string]any{"reply_by": by.UTC().Format(time.RFC3339), "text": pr.Text, "after_hours": pr.AfterHours, "position": pr.Position})
	})
	if code := parley.ErrorCode(err); code == parley.ECONFLICT || code == parley.EINVALID {
		return nil // the channel will not carry it now (a closed window): nothing to promise on
	}
	return err
}

// ExpectedReply is what an inbox promises a customer who writes now: the
// widget shows it before they write. It is cached for a minute per inbox,
// since every page view of the business's site may ask.
func (s *Service) ExpectedReply(ctx context.Context, inboxID int64) (p Promise, err error) {
	type cached struct {
		p  Promise
		at time.Time
	}
	if v, ok := s.expected.Load(inboxID); ok && time.Since(v.(cached).at) < time.Minute {
		return v.(cached).p, nil
	}
	defer func() {
		if err == nil {
			s.expected.Store(inboxID, cached{p, time.Now()})
		}
	}()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		in, err := tx.Inbox(inboxID)
		if err != nil {
			return err
		}
		p, err = s.promise(tx, in, parley.Conversation{InboxID: inboxID, Priority: parley.PriorityNormal})
		return err
	})
	return p, err
}
