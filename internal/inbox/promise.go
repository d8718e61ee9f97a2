package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/fill"
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
	Text       string // in English, the team's time zone: "within 2 hours", "by 9:00 tomorrow"
	AfterHours bool
	Position   int // in the queue; 0 when not queued

	now      time.Time
	estimate time.Duration
	loc      *time.Location // the team's time zone
}

// In says the promise in a language, and in the customer's time zone when
// it is known (nil: the team's).
func (p Promise) In(language string, loc *time.Location) string {
	_, ph := phrasesFor(language)
	if loc == nil {
		loc = p.loc
	}
	return ph.describe(p.now, p.ReplyBy, p.estimate, p.AfterHours, loc)
}

// Sentence is the widget's line about the promise, in a language.
func (p Promise) Sentence(language string, loc *time.Location) string {
	_, ph := phrasesFor(language)
	if p.AfterHours {
		return fmt.Sprintf(ph.away, p.In(language, loc))
	}
	return fmt.Sprintf(ph.usually, p.In(language, loc))
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
	p.now, p.estimate, p.loc = now, est, sch.Location
	p.Text = p.In("en", nil)
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
	return (d + time.Hour - 1).Truncate(time.Hour) // whole hours, rounded up
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
		contact, err := tx.Contact(c.ContactID)
		if err != nil {
			return err
		}
		text = ackText(in.Routing.Ack, contact, pr)
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

// ackText writes the acknowledgement for a contact: in their language
// when the inbox has texts for it (or uses Parley's defaults, which exist
// in several), with the promise in the same language and in their time
// zone when known; otherwise the inbox's texts in the inbox's language.
func ackText(a parley.AckSettings, contact parley.Contact, pr Promise) string {
	lang := a.Language
	text, after := a.Text, a.AfterHours
	if l := primaryLanguage(contact.Language); l != "" {
		if t, ok := a.Languages[l]; ok {
			lang, text, after = l, t.Text, t.AfterHours
		} else if a.Text == "" && a.AfterHours == "" {
			if _, ok := phrasebook[l]; ok {
				lang = l
			}
		}
	}
	_, ph := phrasesFor(lang)
	if text == "" {
		text = ph.ack
	}
	if after == "" {
		after = ph.ackAfter
	}
	if pr.AfterHours {
		text = after
	}
	vars := contactVars(contact, parley.Agent{})
	vars["reply_by"] = pr.In(lang, contactLocation(contact))
	out := fill.Fill(text, vars)
	if pr.Position > 0 {
		out += fmt.Sprintf(ph.humanPlace, pr.Position)
	}
	return out
}
