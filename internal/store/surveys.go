package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

const surveyColumns = `s.id, s.conversation_id, s.contact_id, s.inbox_id, s.agent_id, s.resolved_at, s.token, s.channel,
	s.status, s.skip_reason, s.message_id, s.language, s.ask_csat, s.sent_at, s.ces, s.csat, s.comment, s.answered_at, s.created_at`

func scanSurvey(row interface{ Scan(...any) error }) (parley.Survey, error) {
	var s parley.Survey
	var agent, msg, sent, ces, csat, answered sql.NullInt64
	var resolved, created int64
	err := row.Scan(&s.ID, &s.ConversationID, &s.ContactID, &s.InboxID, &agent, &resolved, &s.Token, &s.Channel,
		&s.Status, &s.SkipReason, &msg, &s.Language, &s.AskCSAT, &sent, &ces, &csat, &s.Comment, &answered, &created)
	s.AgentID, s.MessageID, s.SentAt, s.AnsweredAt = fromNullID(agent), fromNullID(msg), fromNullTS(sent), fromNullTS(answered)
	s.CES, s.CSAT = nullInt(ces), nullInt(csat)
	s.ResolvedAt, s.CreatedAt = fromTS(resolved), fromTS(created)
	return s, err
}

func scanSurveyRow(r *sql.Rows) (parley.Survey, error) { return scanSurvey(r) }

func nullInt(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func intPtr(v *int) any {
	if v == nil {
		return nil
	}
	return *v
}

// CreateSurvey stores a survey (sent or skipped). Returns ECONFLICT when
// the resolution already has one: the send job ran before.
func (tx *Tx) CreateSurvey(s *parley.Survey) (err error) {
	defer wrap(&err, "store: CreateSurvey")
	s.CreatedAt = tx.now
	err = tx.queryRow(`INSERT INTO surveys (conversation_id, contact_id, inbox_id, agent_id, resolved_at, token, channel, status,
			skip_reason, message_id, language, ask_csat, sent_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
		s.ConversationID, s.ContactID, s.InboxID, idPtr(s.AgentID), ts(s.ResolvedAt), s.Token, s.Channel, s.Status,
		s.SkipReason, idPtr(s.MessageID), s.Language, s.AskCSAT, tsPtr(s.SentAt), ts(tx.now)).Scan(&s.ID)
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "conversation %d already has a survey for this resolution", s.ConversationID)
	}
	return err
}

// SurveyForResolution returns the survey of one resolution of a
// conversation. Returns ENOTFOUND when there is none.
func (tx *Tx) SurveyForResolution(conversationID int64, resolvedAt time.Time) (parley.Survey, error) {
	s, err := scanSurvey(tx.queryRow("SELECT "+surveyColumns+" FROM surveys s WHERE s.conversation_id = $1 AND s.resolved_at = $2",
		conversationID, ts(resolvedAt)))
	return s, notFound(err, "survey of conversation", conversationID)
}

// LastSurveySentTo returns when a contact was last sent a survey; ok is
// false if never. It reads the (contact_id, sent_at) index.
func (tx *Tx) LastSurveySentTo(contactID int64) (at time.Time, ok bool, err error) {
	var v sql.NullInt64
	err = tx.queryRow("SELECT MAX(sent_at) FROM surveys WHERE contact_id = $1 AND sent_at IS NOT NULL", contactID).Scan(&v)
	if err != nil || !v.Valid {
		return at, false, wrapf(err, "store: LastSurveySentTo")
	}
	return fromTS(v.Int64), true, nil
}

// SurveyByToken returns the survey a token authenticates, locked for
// update on PostgreSQL. Returns ENOTFOUND for an unknown token.
func (tx *Tx) SurveyByToken(token string) (parley.Survey, error) {
	s, err := scanSurvey(tx.queryRow("SELECT "+surveyColumns+" FROM surveys s WHERE s.token = $1"+tx.db.dialect.forUpdate, token))
	return s, notFound(err, "survey", "token")
}

// SurveyByToken returns the survey a token authenticates. Returns
// ENOTFOUND for an unknown token.
func (db *DB) SurveyByToken(ctx context.Context, token string) (parley.Survey, error) {
	s, err := scanSurvey(db.read.QueryRowContext(ctx, "SELECT "+surveyColumns+" FROM surveys s WHERE s.token = $1", token))
	return s, notFound(err, "survey", "token")
}

// SaveSurveyAnswer writes a survey's scores, comment and answered time.
func (tx *Tx) SaveSurveyAnswer(s *parley.Survey) error {
	_, err := tx.exec("UPDATE surveys SET ces = $2, csat = $3, comment = $4, answered_at = $5, updated_at = $6 WHERE id = $1",
		s.ID, intPtr(s.CES), intPtr(s.CSAT), s.Comment, tsPtr(s.AnsweredAt), ts(tx.now))
	return wrapf(err, "store: SaveSurveyAnswer")
}

// PendingSurveyFor returns the survey a contact, known by a channel's
// key, may be answering with a bare digit in an inbox: sent since since,
// with a score still open, and its conversation still resolved by the
// resolution it asks about (a reopened conversation makes a digit an
// ordinary message again). Returns ENOTFOUND when there is none.
func (tx *Tx) PendingSurveyFor(inboxID int64, k ContactKey, since time.Time) (parley.Survey, error) {
	var q query
	var ids []string
	if k.ExternalID != "" {
		ids = append(ids, "(i.kind = "+q.next(k.Kind)+" AND i.scope = "+q.next(inboxID)+" AND i.external_id = "+q.next(k.ExternalID)+")")
	}
	if k.Phone != "" {
		ids = append(ids, "(i.kind = "+q.next(parley.IdentityPhone)+" AND i.scope = 0 AND i.external_id = "+q.next(k.Phone)+")")
	}
	if k.Email != "" {
		ids = append(ids, "(i.kind = "+q.next(parley.IdentityEmail)+" AND i.scope = 0 AND i.external_id = "+q.next(k.Email)+")")
	}
	if len(ids) == 0 {
		return parley.Survey{}, parley.Errorf(parley.ENOTFOUND, "no pending survey")
	}
	s, err := scanSurvey(tx.queryRow(`SELECT `+surveyColumns+` FROM surveys s JOIN conversations c ON c.id = s.conversation_id
		WHERE s.contact_id IN (SELECT i.contact_id FROM identities i WHERE `+strings.Join(ids, " OR ")+`)
		  AND s.inbox_id = `+q.next(inboxID)+` AND s.status = 'sent' AND s.sent_at >= `+q.next(ts(since))+`
		  AND (s.ces IS NULL OR (s.ask_csat AND s.csat IS NULL))
		  AND c.status = 'resolved' AND c.resolved_at = s.resolved_at
		ORDER BY s.sent_at DESC LIMIT 1`, q.args...))
	return s, notFound(err, "pending survey", inboxID)
}

// Surveys returns a conversation's surveys, newest first.
func (db *DB) Surveys(ctx context.Context, conversationID int64) (_ []parley.Survey, err error) {
	defer wrap(&err, "store: Surveys")
	rows, err := db.read.QueryContext(ctx, "SELECT "+surveyColumns+" FROM surveys s WHERE s.conversation_id = $1 ORDER BY s.resolved_at DESC",
		conversationID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanSurveyRow)
}

// SurveysByMessage returns the surveys whose question is one of these
// messages, by message id (the widget draws their buttons).
func (db *DB) SurveysByMessage(ctx context.Context, messageIDs []int64) (_ map[int64]parley.Survey, err error) {
	defer wrap(&err, "store: SurveysByMessage")
	out := map[int64]parley.Survey{}
	for len(messageIDs) > 0 {
		chunk := messageIDs[:min(len(messageIDs), 500)]
		messageIDs = messageIDs[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := db.read.QueryContext(ctx, "SELECT "+surveyColumns+" FROM surveys s WHERE s.message_id IN ("+placeholders(1, len(args))+")", args...)
		if err != nil {
			return nil, err
		}
		list, err := collect(rows, scanSurveyRow)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			out[*s.MessageID] = s
		}
	}
	return out, nil
}

// SurveyFilter narrows a survey report. Team, priority and label are the
// conversation's as they are now; the agent is the survey's (the
// assignee at the resolution).
type SurveyFilter struct {
	InboxIDs []int64
	Channels []string
	TeamID   int64
	AgentID  int64
	Label    string
	Priority string
}

// SurveyCell counts the answers of one agent with one pair of scores.
type SurveyCell struct {
	AgentID   *int64
	CES, CSAT *int
	N         int
}

// SurveyCounts is a period's survey numbers, aggregated in SQL: Sent and
// SentAnswered count surveys sent in the period (and answered since);
// Cells group the surveys answered in the period by agent and scores
// (at most 36 cells per agent, whatever the volume).
type SurveyCounts struct {
	Sent, SentAnswered int
	Cells              []SurveyCell
}

// where returns the join and WHERE clause of surveys s with col in
// [from, to) under f, and its arguments.
func (f SurveyFilter) where(col string, from, to time.Time) (string, []any) {
	var q query
	q.add("s."+col+" >= ?", ts(from))
	q.add("s."+col+" < ?", ts(to))
	q.where = append(q.where, "s.status = 'sent'")
	if len(f.InboxIDs) > 0 {
		var ph []string
		for _, id := range f.InboxIDs {
			ph = append(ph, q.next(id))
		}
		q.where = append(q.where, "s.inbox_id IN ("+strings.Join(ph, ", ")+")")
	}
	if len(f.Channels) > 0 {
		var ph []string
		for _, c := range f.Channels {
			ph = append(ph, q.next(c))
		}
		q.where = append(q.where, "s.channel IN ("+strings.Join(ph, ", ")+")")
	}
	if f.AgentID != 0 {
		q.add("s.agent_id = ?", f.AgentID)
	}
	if f.TeamID != 0 {
		q.add("c.team_id = ?", f.TeamID)
	}
	if f.Priority != "" {
		q.add("c.priority = ?", f.Priority)
	}
	if f.Label != "" {
		q.add("EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = s.conversation_id AND l.label = ?)", f.Label)
	}
	join := ""
	if f.TeamID != 0 || f.Priority != "" {
		join = " JOIN conversations c ON c.id = s.conversation_id"
	}
	return join + q.clause(), q.args
}

// SurveyReport counts the surveys sent in [from, to) by sent_at and
// those answered in it by answered_at. Both are indexed range scans with
// the aggregation done by the database.
func (db *DB) SurveyReport(ctx context.Context, from, to time.Time, f SurveyFilter) (out SurveyCounts, err error) {
	defer wrap(&err, "store: SurveyReport")
	clause, args := f.where("sent_at", from, to)
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(s.answered_at) FROM surveys s"+clause, args...).
		Scan(&out.Sent, &out.SentAnswered); err != nil {
		return out, err
	}
	clause, args = f.where("answered_at", from, to)
	rows, err := db.read.QueryContext(ctx, "SELECT s.agent_id, s.ces, s.csat, COUNT(*) FROM surveys s"+clause+
		" GROUP BY s.agent_id, s.ces, s.csat ORDER BY s.agent_id, s.ces, s.csat", args...)
	if err != nil {
		return out, err
	}
	out.Cells, err = collect(rows, func(r *sql.Rows) (SurveyCell, error) {
		var c SurveyCell
		var agent, ces, csat sql.NullInt64
		err := r.Scan(&agent, &ces, &csat, &c.N)
		c.AgentID, c.CES, c.CSAT = fromNullID(agent), nullInt(ces), nullInt(csat)
		return c, err
	})
	return out, err
}

// AnsweredSurveys returns the latest answered survey of each of the given
// conversations that has one, by conversation id (the conversation-level
// export).
func (db *DB) AnsweredSurveys(ctx context.Context, conversationIDs []int64) (_ map[int64]parley.Survey, err error) {
	defer wrap(&err, "store: AnsweredSurveys")
	list, err := readByIDs(ctx, db, conversationIDs, func(in string) string {
		return "SELECT " + surveyColumns + " FROM surveys s WHERE s.conversation_id IN (" + in + ") AND s.answered_at IS NOT NULL ORDER BY s.resolved_at"
	}, scanSurveyRow)
	out := map[int64]parley.Survey{}
	for _, s := range list { // in resolution order within a chunk: the latest wins
		out[s.ConversationID] = s
	}
	return out, err
}

// SurveyReplySeen notes externalID as the provider id of the texted
// digit now answering survey id and reports whether it already was: a
// provider redelivering the same message must not answer the next
// question too.
func (tx *Tx) SurveyReplySeen(id int64, externalID string) (seen bool, err error) {
	defer wrap(&err, "store: SurveyReplySeen(%d)", id)
	res, err := tx.exec("UPDATE surveys SET last_reply_id = $1 WHERE id = $2 AND last_reply_id <> $1", externalID, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 0, err
}

// SurveyedConversations returns up to limit conversations with a survey
// answered in [from, to) under f, the hardest effort first, and how many
// there are.
func (db *DB) SurveyedConversations(ctx context.Context, from, to time.Time, f SurveyFilter, limit int) (ids []int64, total int, err error) {
	defer wrap(&err, "store: SurveyedConversations")
	clause, args := f.where("answered_at", from, to)
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(DISTINCT s.conversation_id) FROM surveys s"+clause, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.read.QueryContext(ctx, "SELECT s.conversation_id FROM surveys s"+clause+
		" ORDER BY COALESCE(s.ces, 0) DESC, s.answered_at DESC LIMIT "+strconv.Itoa(2*limit), args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := collect(rows, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	seen := map[int64]bool{}
	for _, id := range list {
		if !seen[id] && len(ids) < limit {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, total, err
}
