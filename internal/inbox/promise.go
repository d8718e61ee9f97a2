package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/promise"
	"github.com/parleyhq/parley/internal/store"
)

// Promises: when a conversation starts or reopens in an inbox with
// acknowledgements on, a conversation.ack job tells the customer when to
// expect a reply; the widget and the API say the same before anyone
// writes. All three read their figures here (promiseInput) and leave the
// arithmetic to internal/promise, so they can only differ when the data
// does. The promise is recorded on the conversation.

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
	ReplyBy    time.Time // zero: nobody is online and no business hours say when someone will be
	Text       string    // in English, the team's time zone: "within 2 hours", "by 9:00 tomorrow"
	AfterHours bool      // business hours are closed
	Away       bool      // no agent who could take it has chosen to be online
	Online     int       // how many have
	Position   int       // in the queue (1 is next); 0 when not queued
	AsOf       time.Time // when it was computed

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
	if p.ReplyBy.IsZero() {
		return ph.back
	}
	return ph.describe(p.AsOf, p.ReplyBy, p.estimate, p.AfterHours || p.Away, loc)
}

// Sentence is the widget's line about the promise, in a language.
func (p Promise) Sentence(language string, loc *time.Location) string {
	_, ph := phrasesFor(language)
	if p.AfterHours || p.Away {
		return fmt.Sprintf(ph.away, p.In(language, loc))
	}
	return fmt.Sprintf(ph.usually, p.In(language, loc))
}

// promise computes the reply time for a conversation, or, with c.ID 0,
// for one that would start now in the inbox (queued as it would be).
func (s *Service) promise(tx *store.Tx, in parley.Inbox, c parley.Conversation) (Promise, error) {
	now := tx.Now()
	if c.Priority == "" {
		c.Priority = parley.PriorityNormal
	}
	sch, hasHours := s.scheduleOf(tx, in, c)
	pin := promise.Input{Now: now, Hours: sch, HasHours: hasHours, Target: defaultFirstResponse[c.Priority]}
	if list, err := s.policies(tx); err == nil {
		if p := policyFor(list, c); p != nil && p.FirstResponse > 0 {
			pin.Target = p.FirstResponse
		}
	}
	team := c.TeamID
	if team == nil {
		team = in.Routing.TeamID
	}
	var routed []int64 // inboxes whose unteamed conversations are the team's
	if team != nil {
		all, err := tx.Inboxes()
		if err != nil {
			return Promise{}, err
		}
		for _, o := range all {
			if o.Routing.TeamID != nil && *o.Routing.TeamID == *team {
				routed = append(routed, o.ID)
			}
		}
	}
	recent, err := tx.RecentFirstResponses(c.Priority, team, in.ID, routed, promise.HistorySize)
	if err != nil {
		return Promise{}, err
	}
	for _, r := range recent {
		pin.History = append(pin.History, sch.Between(r[0], r[1]))
	}
	pool, err := tx.Candidates(team)
	if err != nil {
		return Promise{}, err
	}
	pin.Online = len(pool)
	var p Promise
	if c.ID == 0 && in.Routing.AutoAssign && pickAgent(pool) < 0 {
		// Nobody has room: it would be queued now, behind everyone queued
		// at its priority or above.
		c.QueuedAt, c.ID = &now, math.MaxInt64
	}
	if p.Position, err = tx.QueuePosition(c); err != nil {
		return p, err
	}
	pin.Queued, pin.Ahead = p.Position > 0, max(0, p.Position-1)
	e := promise.Make(pin)
	p.ReplyBy, p.AfterHours, p.Away, p.Online = e.ReplyBy, e.AfterHours, e.Away, pin.Online
	p.AsOf, p.estimate, p.loc = now, e.Wait, sch.Location
	p.Text = p.In("en", nil)
	return p, nil
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
		if !pr.ReplyBy.IsZero() { // "as soon as we're back" names no time to keep
			by := pr.ReplyBy
			cur.PromisedReplyBy = &by
		}
		if err := tx.SaveConversation(&cur); err != nil {
			return err
		}
		return tx.AppendEvent(&parley.Event{Type: parley.EventPromise, ConversationID: &cur.ID, ContactID: &cur.ContactID, MessageID: &m.ID},
			map[string]any{"reply_by": replyByJSON(pr.ReplyBy), "text": pr.Text, "after_hours": pr.AfterHours, "away": pr.Away, "position": pr.Position})
	})
	if code := parley.ErrorCode(err); code == parley.ECONFLICT || code == parley.EINVALID {
		return nil // the channel will not carry it now (a closed window): nothing to promise on
	}
	return err
}

// ExpectedTTL bounds how long a computed expected reply is reused: every
// page view of the business's site may ask, and the queue moves with every
// message. The answer says when it was computed (Promise.AsOf), and
// changes of availability, capacity, inboxes and SLA policies made in this
// process drop it at once.
const ExpectedTTL = 15 * time.Second

type cachedPromise struct {
	p  Promise
	at time.Time
}

// ExpectedReply is what an inbox promises a customer who writes now: the
// widget shows it before they write, and the API returns it. It is the
// acknowledgement's estimate for a normal-priority conversation started
// now, queued where it would be. Returns ENOTFOUND for an unknown inbox.
func (s *Service) ExpectedReply(ctx context.Context, inboxID int64) (p Promise, err error) {
	now := s.now()
	if v, ok := s.expected.Load(inboxID); ok {
		if c := v.(cachedPromise); !now.Before(c.at) && now.Sub(c.at) < ExpectedTTL {
			return c.p, nil
		}
	}
	// It only reads: a reading connection, so page views never queue
	// behind the writer (a write transaction cost 17-60 ms a call here
	// under load; see docs/PERFORMANCE.md).
	err = s.DB.Read(ctx, func(tx *store.Tx) error {
		in, err := tx.Inbox(inboxID)
		if err != nil {
			return err
		}
		p, err = s.promise(tx, in, parley.Conversation{InboxID: inboxID, Priority: parley.PriorityNormal})
		return err
	})
	if err == nil {
		s.expected.Store(inboxID, cachedPromise{p, p.AsOf})
	}
	return p, err
}

// replyByJSON is a promise's time in events and answers: null when it
// names none.
func replyByJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
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
	if pr.AfterHours || pr.Away {
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
