package store

import (
	"context"
	"database/sql"

	"github.com/parleyhq/parley/internal/parley"
)

// Answers learned from the team (see internal/knowledge/learn.go). An
// answer stands only while the resolution it was learned from stands:
// its conversation still resolved at that same moment, and no bad survey
// answer for that resolution. staleAnswer is that rule in SQL, for the
// answer aliased "a"; reads leave stale answers out at once, and
// PruneLearnedAnswers deletes them later, so neither a reopening nor a
// survey answer (both on the ingest path) has to touch this table.
const staleAnswer = `(NOT EXISTS (SELECT 1 FROM conversations c
		WHERE c.id = a.conversation_id AND c.status = 'resolved' AND c.resolved_at = a.resolved_at)
	OR EXISTS (SELECT 1 FROM surveys s
		WHERE s.conversation_id = a.conversation_id AND s.resolved_at = a.resolved_at AND (s.csat <= 2 OR s.ces >= 4)))`

// BadCSAT and BadCES are the survey scores that make a resolution's
// answers unfit to learn from: satisfaction of 2 or less out of 5, or an
// effort of 4 or more (CES counts up: 1 is very easy, 5 very hard).
const (
	BadCSAT = 2
	BadCES  = 4
)

const answerColumns = `a.id, a.conversation_id, a.message_id, a.inbox_id, a.agent_id, a.resolved_at, a.question, a.answer, a.lang, a.created_at`

func scanAnswer(row interface{ Scan(...any) error }) (parley.LearnedAnswer, error) {
	var a parley.LearnedAnswer
	var agent sql.NullInt64
	var resolved, created int64
	err := row.Scan(&a.ID, &a.ConversationID, &a.MessageID, &a.InboxID, &agent, &resolved, &a.Question, &a.Answer, &a.Lang, &created)
	a.AgentID = fromNullID(agent)
	a.ResolvedAt, a.CreatedAt = fromTS(resolved), fromTS(created)
	return a, err
}

// ReplaceLearnedAnswers makes list (with terms[i] the index terms of
// list[i]) the learned answers of a conversation, replacing any learned
// before: learning a resolution twice stores nothing twice. It sets IDs
// and CreatedAt.
func (tx *Tx) ReplaceLearnedAnswers(conversationID int64, list []parley.LearnedAnswer, terms []string) (err error) {
	defer wrap(&err, "store: ReplaceLearnedAnswers(%d)", conversationID)
	if _, err := tx.ForgetLearnedAnswers(conversationID); err != nil {
		return err
	}
	for i := range list {
		list[i].ConversationID = conversationID
	}
	return tx.AddLearnedAnswers(list, terms)
}

// AddLearnedAnswers stores answers (with terms[i] the index terms of
// list[i]) beside those already learned: for bulk loads, which know
// there are none. It sets IDs and CreatedAt.
func (tx *Tx) AddLearnedAnswers(list []parley.LearnedAnswer, terms []string) (err error) {
	defer wrap(&err, "store: AddLearnedAnswers")
	d := termDelta{}
	for i := range list {
		a := &list[i]
		a.CreatedAt = tx.now
		err := tx.queryRow(`INSERT INTO kb_answers (conversation_id, message_id, inbox_id, agent_id, resolved_at, question, answer, lang, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			a.ConversationID, a.MessageID, a.InboxID, idPtr(a.AgentID), ts(a.ResolvedAt), a.Question, a.Answer, a.Lang, ts(tx.now)).Scan(&a.ID)
		if err != nil {
			return err
		}
		if err := tx.addDoc(d, "answer", a.ID, a.Lang, true, terms[i]); err != nil {
			return err
		}
	}
	return tx.applyTerms(d)
}

// ForgetLearnedAnswers deletes what was learned from a conversation and
// returns how many answers that was.
func (tx *Tx) ForgetLearnedAnswers(conversationID int64) (n int64, err error) {
	defer wrap(&err, "store: ForgetLearnedAnswers(%d)", conversationID)
	if err := tx.removeDocs(`kind = 'answer' AND ref_id IN (SELECT id FROM kb_answers WHERE conversation_id = $1)`, conversationID); err != nil {
		return 0, err
	}
	res, err := tx.exec(`DELETE FROM kb_answers WHERE conversation_id = $1`, conversationID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneLearnedAnswers deletes up to limit answers whose resolution no
// longer stands (reopened, or rated badly) and returns how many.
func (tx *Tx) PruneLearnedAnswers(limit int) (n int64, err error) {
	defer wrap(&err, "store: PruneLearnedAnswers")
	rows, err := tx.query(`SELECT a.id FROM kb_answers a WHERE `+staleAnswer+` ORDER BY a.id LIMIT $1`, limit)
	if err != nil {
		return 0, err
	}
	ids, err := collect(rows, func(r *sql.Rows) (id any, err error) {
		var v int64
		err = r.Scan(&v)
		return v, err
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	in := placeholders(1, len(ids))
	if err := tx.removeDocs(`kind = 'answer' AND ref_id IN (`+in+`)`, ids...); err != nil {
		return 0, err
	}
	res, err := tx.exec(`DELETE FROM kb_answers WHERE id IN (`+in+`)`, ids...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// LearnedAnswersOf returns what was learned from a conversation and still
// stands, oldest first.
func (db *DB) LearnedAnswersOf(ctx context.Context, conversationID int64) (_ []parley.LearnedAnswer, err error) {
	defer wrap(&err, "store: LearnedAnswersOf(%d)", conversationID)
	rows, err := db.read.QueryContext(ctx, "SELECT "+answerColumns+" FROM kb_answers a WHERE a.conversation_id = $1 AND NOT "+staleAnswer+
		" ORDER BY a.id", conversationID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.LearnedAnswer, error) { return scanAnswer(r) })
}

// LearnedAnswers returns the answers with the given ids that still
// stand; stale or unknown ids are left out.
func (db *DB) LearnedAnswers(ctx context.Context, ids []int64) (_ []parley.LearnedAnswer, err error) {
	defer wrap(&err, "store: LearnedAnswers")
	if len(ids) == 0 {
		return []parley.LearnedAnswer{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+answerColumns+" FROM kb_answers a WHERE a.id IN ("+placeholders(1, len(ids))+
		") AND NOT "+staleAnswer, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.LearnedAnswer, error) { return scanAnswer(r) })
}

// CountLearnedAnswers returns how many learned answers are stored (stale
// ones not yet pruned included).
func (db *DB) CountLearnedAnswers(ctx context.Context) (n int64, err error) {
	err = db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM kb_answers").Scan(&n)
	return n, wrapf(err, "store: CountLearnedAnswers")
}
