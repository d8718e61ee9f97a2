package knowledge

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/redact"
	"github.com/parleyhq/parley/internal/store"
)

// Answers learned from the team. When an answered conversation is
// resolved, the inbox enqueues JobLearn for the moment its reopen window
// closes (inbox/learn.go), in the transaction that resolves it: nothing
// runs on the ingest path, and a conversation reopened meanwhile is not
// learned from, because the job finds it no longer resolved by that
// resolution. The job stores each agent reply (outgoing, by a person,
// not automated, not a note, not failed) with the customer's messages
// before it as the question, both masked by package redact; it replaces
// whatever it learned before, so running twice stores nothing twice.
//
// A resolution that stops standing later (an agent reopens it, or the
// customer rates it badly) is left out of every read at once (the store's
// staleAnswer rule) and deleted by the hourly JobPrune.

// JobLearn learns from one resolution; its payload is the inbox's.
const JobLearn = "knowledge.learn"

// JobPrune deletes learned answers whose resolution no longer stands.
const JobPrune = "knowledge.prune"

// PruneEvery is the time between prunes.
const PruneEvery = time.Hour

// learnPayload matches inbox.learnPayload.
type learnPayload struct {
	ConversationID int64 `json:"conversation_id"`
	ResolvedAt     int64 `json:"resolved_at"` // Unix µs
}

// minAnswerWords is the shortest reply worth learning: "Thanks!" or
// "Done." answers nothing another customer could be sent.
const minAnswerWords = 4

// maxQuestion bounds a stored question (bytes): the customer's last
// messages before the reply carry it.
const maxQuestion = 4000

// Register adds the knowledge jobs to r. Call it once, before r runs.
// The prune is scheduled by the first learning, and keeps itself
// scheduled while learned answers exist, so a Parley that learned
// nothing carries no timer for it.
func (s *Service) Register(r *jobs.Runner) {
	r.Handle(JobLearn, func(ctx context.Context, j store.Job) error { return s.Learn(ctx, j.Payload) })
	r.Handle(JobPrune, func(ctx context.Context, _ store.Job) error {
		if _, err := s.Prune(ctx); err != nil {
			return err
		}
		n, err := s.DB.CountLearnedAnswers(ctx)
		if err != nil || n == 0 {
			return err
		}
		return s.DB.Write(ctx, func(tx *store.Tx) error { return schedulePrune(tx) })
	})
}

func schedulePrune(tx *store.Tx) error {
	_, err := tx.EnsureJob(JobPrune, "{}", tx.Now().Add(PruneEvery), 3)
	return err
}

// Prune deletes every learned answer whose resolution no longer stands
// and returns how many.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.DB.Write(ctx, func(tx *store.Tx) (err error) { n, err = tx.PruneLearnedAnswers(500); return err })
		if err != nil {
			return total, fmt.Errorf("knowledge: Prune: %w", err)
		}
		total += n
		if n < 500 {
			return total, nil
		}
	}
}

// Learn is the JobLearn job: it learns the answers of one resolution, or
// does nothing when the conversation was reopened (or resolved again)
// since, or the resolution was rated badly.
func (s *Service) Learn(ctx context.Context, payload string) error {
	var p learnPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.ConversationID <= 0 {
		return &permanent{fmt.Errorf("knowledge: bad learn payload %q", payload)}
	}
	c, err := s.DB.Conversation(ctx, p.ConversationID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if !stillResolved(c, p.ResolvedAt) {
		return nil
	}
	msgs, err := s.DB.Messages(ctx, []int64{c.ID})
	if err != nil {
		return err
	}
	contact, err := s.DB.Contact(ctx, c.ContactID)
	if err != nil {
		return err
	}
	agents, err := s.DB.Agents(ctx)
	if err != nil {
		return err
	}
	names := []string{contact.Name}
	for _, a := range agents {
		names = append(names, a.Name)
	}
	learned := harvest(msgs, names, langOf(contact.Language))
	terms := make([]string, len(learned))
	for i := range learned {
		learned[i].InboxID, learned[i].ResolvedAt = c.InboxID, *c.ResolvedAt
		terms[i] = docTerms(learned[i].Question, learned[i].Answer, nil)
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(p.ConversationID) // again, inside the write: it may have changed since
		if err != nil || !stillResolved(c, p.ResolvedAt) {
			return err
		}
		sv, err := tx.SurveyForResolution(c.ID, *c.ResolvedAt)
		switch {
		case err == nil && ratedBadly(sv):
			_, err = tx.ForgetLearnedAnswers(c.ID)
			return err
		case err != nil && parley.ErrorCode(err) != parley.ENOTFOUND:
			return err
		}
		if len(learned) == 0 {
			_, err := tx.ForgetLearnedAnswers(c.ID)
			return err
		}
		if err := tx.ReplaceLearnedAnswers(c.ID, learned, terms); err != nil {
			return err
		}
		return schedulePrune(tx)
	})
}

func stillResolved(c parley.Conversation, resolvedAt int64) bool {
	return c.Status == parley.StatusResolved && c.ResolvedAt != nil && c.ResolvedAt.UnixMicro() == resolvedAt
}

func ratedBadly(sv parley.Survey) bool {
	return sv.CSAT != nil && *sv.CSAT <= store.BadCSAT || sv.CES != nil && *sv.CES >= store.BadCES
}

// harvest pairs each agent reply with the customer's messages since the
// previous reply. A reply with no new customer message continues the one
// before it (an answer split in two) and is joined to it.
func harvest(msgs []parley.Message, names []string, lang string) []parley.LearnedAnswer {
	var out []parley.LearnedAnswer
	var question []string
	for _, m := range msgs {
		text := strings.TrimSpace(m.Text)
		switch {
		case text == "":
		case m.Direction == parley.Incoming:
			question = append(question, redact.Text(text, names...))
		case m.Direction == parley.Outgoing && m.AuthorAgentID != nil && !m.Automated && m.DeliveryState != parley.DeliveryFailed:
			answer := redact.Text(text, names...)
			if len(question) == 0 {
				if len(out) > 0 {
					out[len(out)-1].Answer += "\n\n" + answer
				}
				continue
			}
			q := strings.Join(question, "\n")
			if len(q) > maxQuestion {
				q = strings.ToValidUTF8(q[len(q)-maxQuestion:], "") // the latest messages carry the question
			}
			question = question[:0]
			out = append(out, parley.LearnedAnswer{MessageID: m.ID, AgentID: m.AuthorAgentID, Question: q, Answer: answer, Lang: lang})
		}
	}
	kept := out[:0]
	for _, a := range out {
		if len(strings.Fields(a.Answer)) >= minAnswerWords {
			if a.Lang == "" {
				a.Lang = guessLang(a.Question + "\n" + a.Answer)
			}
			kept = append(kept, a)
		}
	}
	return kept
}

// langOf is the primary language of a BCP 47 tag ("fr-FR" → "fr").
func langOf(tag string) string {
	tag = strings.ToLower(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// permanent fails a job at once (jobs.Handler's Permanent rule).
type permanent struct{ error }

func (permanent) Permanent() bool  { return true }
func (p *permanent) Unwrap() error { return p.error }
