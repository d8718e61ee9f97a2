package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
)

// Approval policies, requests and their audit (migration 0023). Whether a
// policy's condition compiles is internal/approval's business: callers
// check it before they save.

const approvalPolicyColumns = "id, name, inbox_id, condition, approver_ids, enabled, created_at, updated_at"

func scanApprovalPolicy(row interface{ Scan(...any) error }) (parley.ApprovalPolicy, error) {
	var p parley.ApprovalPolicy
	var inbox sql.NullInt64
	var ids string
	var created, updated int64
	if err := row.Scan(&p.ID, &p.Name, &inbox, &p.Condition, &ids, &p.Enabled, &created, &updated); err != nil {
		return p, err
	}
	p.InboxID, p.CreatedAt, p.UpdatedAt = fromNullID(inbox), fromTS(created), fromTS(updated)
	return p, json.Unmarshal([]byte(ids), &p.ApproverIDs)
}

func idList(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// CreateApprovalPolicy stores a new policy. Returns EINVALID for bad
// fields or an unknown inbox.
func (tx *Tx) CreateApprovalPolicy(p *parley.ApprovalPolicy) (err error) {
	defer wrap(&err, "store: CreateApprovalPolicy")
	if err := p.Validate(); err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	err = tx.queryRow(`INSERT INTO approval_policies (name, inbox_id, condition, approver_ids, enabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		p.Name, idPtr(p.InboxID), p.Condition, idList(p.ApproverIDs), p.Enabled, ts(tx.now)).Scan(&p.ID)
	if isForeignKeyViolation(err) {
		return parley.Errorf(parley.EINVALID, "inbox %d does not exist", *p.InboxID)
	}
	return err
}

// UpdateApprovalPolicy saves a policy. Returns ENOTFOUND or EINVALID.
func (tx *Tx) UpdateApprovalPolicy(p *parley.ApprovalPolicy) (err error) {
	defer wrap(&err, "store: UpdateApprovalPolicy(%d)", p.ID)
	if err := p.Validate(); err != nil {
		return err
	}
	p.UpdatedAt = tx.now
	res, err := tx.exec(`UPDATE approval_policies SET name = $2, inbox_id = $3, condition = $4, approver_ids = $5, enabled = $6, updated_at = $7
		WHERE id = $1`, p.ID, p.Name, idPtr(p.InboxID), p.Condition, idList(p.ApproverIDs), p.Enabled, ts(tx.now))
	if isForeignKeyViolation(err) {
		return parley.Errorf(parley.EINVALID, "inbox %d does not exist", *p.InboxID)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "approval policy %d not found", p.ID)
	}
	return nil
}

// DeleteApprovalPolicy removes a policy; requests it made keep its name.
// Returns ENOTFOUND.
func (tx *Tx) DeleteApprovalPolicy(id int64) error {
	res, err := tx.exec("DELETE FROM approval_policies WHERE id = $1", id)
	if err != nil {
		return wrapErr("store: DeleteApprovalPolicy", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "approval policy %d not found", id)
	}
	return nil
}

// ApprovalPolicy returns one policy. Returns ENOTFOUND.
func (db *DB) ApprovalPolicy(ctx context.Context, id int64) (parley.ApprovalPolicy, error) {
	p, err := scanApprovalPolicy(db.read.QueryRowContext(ctx, "SELECT "+approvalPolicyColumns+" FROM approval_policies WHERE id = $1", id))
	return p, notFound(err, "approval policy", id)
}

// ApprovalPolicies returns every policy, oldest first (the order they are
// evaluated in).
func (db *DB) ApprovalPolicies(ctx context.Context) (_ []parley.ApprovalPolicy, err error) {
	defer wrap(&err, "store: ApprovalPolicies")
	rows, err := db.read.QueryContext(ctx, "SELECT "+approvalPolicyColumns+" FROM approval_policies ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.ApprovalPolicy, error) { return scanApprovalPolicy(r) })
}

const approvalRequestColumns = `id, kind, conversation_id, policy_id, policy_name, requested_by_agent, requested_by_token, payload,
	reason, binding, bound_state, approver_ids, state, decided_by_agent, decided_by_token, decided_at, note, result_message_id,
	created_at, updated_at`

func scanApprovalRequest(row interface{ Scan(...any) error }) (parley.ApprovalRequest, error) {
	var r parley.ApprovalRequest
	var conv, policy, byAgent, byToken, decAgent, decToken, decAt, msg sql.NullInt64
	var payload, bound, ids string
	var created, updated int64
	if err := row.Scan(&r.ID, &r.Kind, &conv, &policy, &r.PolicyName, &byAgent, &byToken, &payload, &r.Reason, &r.Binding,
		&bound, &ids, &r.State, &decAgent, &decToken, &decAt, &r.Note, &msg, &created, &updated); err != nil {
		return r, err
	}
	r.ConversationID, r.PolicyID, r.RequestedBy, r.DecidedBy = fromNullID(conv), fromNullID(policy), fromNullID(byAgent), fromNullID(decAgent)
	r.RequestedToken, r.DecidedToken = byToken.Int64, decToken.Int64
	r.DecidedAt, r.ResultMessage = fromNullTS(decAt), fromNullID(msg)
	r.Payload, r.BoundState = json.RawMessage(payload), json.RawMessage(bound)
	r.CreatedAt, r.UpdatedAt = fromTS(created), fromTS(updated)
	return r, json.Unmarshal([]byte(ids), &r.ApproverIDs)
}

func nullToken(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateApprovalRequest stores a pending request with its first audit row
// and appends approval.requested.
func (tx *Tx) CreateApprovalRequest(r *parley.ApprovalRequest) (err error) {
	defer wrap(&err, "store: CreateApprovalRequest")
	if r.Kind == "" || len(r.Payload) == 0 || r.Binding == "" {
		return parley.Errorf(parley.EINVALID, "an approval request needs a kind, a payload and a binding")
	}
	if len(r.BoundState) == 0 {
		r.BoundState = json.RawMessage("{}")
	}
	r.State, r.CreatedAt, r.UpdatedAt = parley.ApprovalPending, tx.now, tx.now
	err = tx.queryRow(`INSERT INTO approval_requests (kind, conversation_id, policy_id, policy_name, requested_by_agent, requested_by_token,
		payload, reason, binding, bound_state, approver_ids, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
		r.Kind, idPtr(r.ConversationID), idPtr(r.PolicyID), r.PolicyName, idPtr(r.RequestedBy), nullToken(r.RequestedToken),
		string(r.Payload), r.Reason, r.Binding, string(r.BoundState), idList(r.ApproverIDs), r.State, ts(tx.now)).Scan(&r.ID)
	if err != nil {
		return err
	}
	if err := tx.auditApproval(r.ID, r.RequestedBy, r.RequestedToken, "", r.State, r.Reason); err != nil {
		return err
	}
	return tx.approvalEvent(parley.EventApprovalRequested, *r, r.RequestedBy)
}

// Decision is a move of a pending request to a final state.
type Decision struct {
	To            parley.ApprovalState
	AgentID       *int64 // who decided; nil with TokenID 0: Parley itself
	TokenID       int64
	Note          string
	ResultMessage *int64 // the message an approved reply became
}

// DecideApproval moves request id from pending to d.To, only if it is
// still pending: the compare-and-swap that makes an approval take effect
// once, whoever clicks at the same moment. It writes the audit row and the
// event. Returns ECONFLICT (naming the current state) when the request is
// no longer pending, ENOTFOUND when there is none.
func (tx *Tx) DecideApproval(id int64, d Decision) (r parley.ApprovalRequest, err error) {
	defer wrap(&err, "store: DecideApproval(%d)", id)
	if d.To == parley.ApprovalPending || !d.To.Valid() {
		return r, parley.Errorf(parley.EINVALID, "a request can only be approved, rejected or cancelled")
	}
	res, err := tx.exec(`UPDATE approval_requests SET state = $2, decided_by_agent = $3, decided_by_token = $4, decided_at = $5,
		note = $6, result_message_id = $7, updated_at = $5 WHERE id = $1 AND state = $8`,
		id, d.To, idPtr(d.AgentID), nullToken(d.TokenID), ts(tx.now), d.Note, idPtr(d.ResultMessage), parley.ApprovalPending)
	if err != nil {
		return r, err
	}
	r, err = scanApprovalRequest(tx.queryRow("SELECT "+approvalRequestColumns+" FROM approval_requests WHERE id = $1", id))
	if err != nil {
		return r, notFound(err, "approval request", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return r, parley.Errorf(parley.ECONFLICT, "approval request %d is no longer pending: it was %s", id, r.State)
	}
	if err := tx.auditApproval(id, d.AgentID, d.TokenID, parley.ApprovalPending, d.To, d.Note); err != nil {
		return r, err
	}
	kind := map[parley.ApprovalState]string{parley.ApprovalApproved: parley.EventApprovalApproved,
		parley.ApprovalRejected: parley.EventApprovalRejected, parley.ApprovalCancelled: parley.EventApprovalCancelled}[d.To]
	return r, tx.approvalEvent(kind, r, d.AgentID)
}

func (tx *Tx) auditApproval(id int64, agent *int64, token int64, from, to parley.ApprovalState, note string) error {
	_, err := tx.exec(`INSERT INTO approval_audit (request_id, agent_id, token_id, from_state, to_state, note, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, idPtr(agent), nullToken(token), from, to, note, ts(tx.now))
	return err
}

// approvalEventData is the data of approval.* events.
type approvalEventData struct {
	RequestID   int64                `json:"request_id"`
	Kind        string               `json:"kind"`
	State       parley.ApprovalState `json:"state"`
	Reason      string               `json:"reason"`
	Note        string               `json:"note,omitempty"`
	RequestedBy *int64               `json:"requested_by,omitempty"`
	DecidedBy   *int64               `json:"decided_by,omitempty"`
}

func (tx *Tx) approvalEvent(kind string, r parley.ApprovalRequest, agent *int64) error {
	ev := &parley.Event{Type: kind, ConversationID: r.ConversationID, MessageID: r.ResultMessage, AgentID: agent}
	if r.ConversationID != nil {
		var contact int64
		if err := tx.queryRow("SELECT contact_id FROM conversations WHERE id = $1", *r.ConversationID).Scan(&contact); err == nil {
			ev.ContactID = &contact
		}
	}
	return tx.AppendEvent(ev, approvalEventData{RequestID: r.ID, Kind: r.Kind, State: r.State, Reason: r.Reason, Note: r.Note,
		RequestedBy: r.RequestedBy, DecidedBy: r.DecidedBy})
}

// ApprovalRequest reads a request in the transaction, locked on
// PostgreSQL until it ends. Returns ENOTFOUND.
func (tx *Tx) ApprovalRequest(id int64) (parley.ApprovalRequest, error) {
	r, err := scanApprovalRequest(tx.queryRow("SELECT "+approvalRequestColumns+" FROM approval_requests WHERE id = $1"+tx.db.dialect.forUpdate, id))
	return r, notFound(err, "approval request", id)
}

// ApprovalRequest returns one request. Returns ENOTFOUND.
func (db *DB) ApprovalRequest(ctx context.Context, id int64) (parley.ApprovalRequest, error) {
	r, err := scanApprovalRequest(db.read.QueryRowContext(ctx, "SELECT "+approvalRequestColumns+" FROM approval_requests WHERE id = $1", id))
	return r, notFound(err, "approval request", id)
}

// ApprovalFilter selects requests; zero fields select everything.
type ApprovalFilter struct {
	State          parley.ApprovalState
	RequestedBy    *int64
	ConversationID *int64
	Limit          int // default 100
}

// ApprovalRequests returns the requests f selects, newest first.
func (db *DB) ApprovalRequests(ctx context.Context, f ApprovalFilter) (_ []parley.ApprovalRequest, err error) {
	defer wrap(&err, "store: ApprovalRequests")
	var q query
	if f.State != "" {
		q.add("state = ?", f.State)
	}
	if f.RequestedBy != nil {
		q.add("requested_by_agent = ?", *f.RequestedBy)
	}
	if f.ConversationID != nil {
		q.add("conversation_id = ?", *f.ConversationID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	text := "SELECT " + approvalRequestColumns + " FROM approval_requests" + q.clause()
	text += " ORDER BY id DESC LIMIT " + q.next(f.Limit)
	rows, err := db.read.QueryContext(ctx, text, q.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.ApprovalRequest, error) { return scanApprovalRequest(r) })
}

// PendingApprovals counts the requests waiting for a decision (the
// queue's badge; one indexed count per page, never per live event).
func (db *DB) PendingApprovals(ctx context.Context) (n int, err error) {
	err = db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM approval_requests WHERE state = $1", parley.ApprovalPending).Scan(&n)
	return n, wrapErr("store: PendingApprovals", err)
}

// ApprovalAudit returns every transition of request id, oldest first.
func (db *DB) ApprovalAudit(ctx context.Context, id int64) (_ []parley.ApprovalAudit, err error) {
	defer wrap(&err, "store: ApprovalAudit(%d)", id)
	rows, err := db.read.QueryContext(ctx, `SELECT id, request_id, agent_id, token_id, from_state, to_state, note, at
		FROM approval_audit WHERE request_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.ApprovalAudit, error) {
		var a parley.ApprovalAudit
		var agent, token sql.NullInt64
		var at int64
		err := r.Scan(&a.ID, &a.RequestID, &agent, &token, &a.From, &a.To, &a.Note, &at)
		a.AgentID, a.TokenID, a.At = fromNullID(agent), token.Int64, fromTS(at)
		return a, err
	})
}

// LastExchangedMessage returns the id of conversation id's newest message
// that is not an internal note (0 if none), leaving out message except (an
// approved reply checking, in its own transaction, the world it was bound
// to): what an approval of a reply is bound to, so a customer's new
// message or another reply voids it while a colleague's note does not.
func (tx *Tx) LastExchangedMessage(conversationID, except int64) (id int64, err error) {
	err = tx.queryRow("SELECT COALESCE(MAX(id), 0) FROM messages WHERE conversation_id = $1 AND direction <> $2 AND id <> $3",
		conversationID, parley.Note, except).Scan(&id)
	return id, wrapErr("store: LastExchangedMessage", err)
}

// EscalateApproval widens a pending request's approvers to approvers,
// with an audit row saying why. Returns ECONFLICT when the request is no
// longer pending: a decision came first, and it stands.
func (tx *Tx) EscalateApproval(id int64, approvers []int64, note string) (r parley.ApprovalRequest, err error) {
	defer wrap(&err, "store: EscalateApproval(%d)", id)
	res, err := tx.exec(`UPDATE approval_requests SET approver_ids = $2, updated_at = $3 WHERE id = $1 AND state = $4`,
		id, idList(approvers), ts(tx.now), parley.ApprovalPending)
	if err != nil {
		return r, err
	}
	r, err = scanApprovalRequest(tx.queryRow("SELECT "+approvalRequestColumns+" FROM approval_requests WHERE id = $1", id))
	if err != nil {
		return r, notFound(err, "approval request", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return r, parley.Errorf(parley.ECONFLICT, "approval request %d is no longer pending: it was %s", id, r.State)
	}
	return r, tx.auditApproval(id, nil, 0, parley.ApprovalPending, parley.ApprovalPending, note)
}
