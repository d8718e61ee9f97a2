package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Workflow is a saved workflow; Version is the one new runs start on.
type Workflow struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Enabled   bool      `json:"enabled"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FlowRun is one run of one version of a workflow.
type FlowRun struct {
	ID             int64      `json:"id"`
	WorkflowID     int64      `json:"workflow_id"`
	Version        int64      `json:"version"`
	TriggerKey     string     `json:"trigger_key"`
	ConversationID *int64     `json:"conversation_id,omitempty"`
	Status         string     `json:"status"` // running, succeeded, failed, cancelled
	Step           string     `json:"step"`   // the step to run next; "" once ended
	Vars           string     `json:"vars"`   // JSON
	Error          string     `json:"error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`
}

// FlowStep records what one step of a run did.
type FlowStep struct {
	RunID      int64      `json:"run_id"`
	Seq        int64      `json:"seq"`
	Step       string     `json:"step"`
	Kind       string     `json:"kind"`
	State      string     `json:"state"` // started, done, failed
	Input      string     `json:"input"`
	Output     string     `json:"output"`
	Error      string     `json:"error,omitempty"`
	Attempts   int        `json:"attempts"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

const workflowColumns = "id, name, enabled, version, created_at, updated_at"

func scanWorkflow(row interface{ Scan(...any) error }) (w Workflow, err error) {
	var created, updated int64
	err = row.Scan(&w.ID, &w.Name, &w.Enabled, &w.Version, &created, &updated)
	w.CreatedAt, w.UpdatedAt = fromTS(created), fromTS(updated)
	return w, err
}

// SaveWorkflow stores source as the newest version of the workflow named
// name, creating it at version 1, and makes that version the one new runs
// start on. Older versions are kept for the runs still on them.
func (tx *Tx) SaveWorkflow(name, source string) (w Workflow, err error) {
	defer wrap(&err, "store: SaveWorkflow")
	w, err = scanWorkflow(tx.queryRow("SELECT "+workflowColumns+" FROM workflows WHERE name = $1"+tx.db.dialect.forUpdate, name))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		w = Workflow{Name: name, Enabled: true, Version: 1, CreatedAt: tx.now, UpdatedAt: tx.now}
		if err := tx.queryRow("INSERT INTO workflows (name, enabled, version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id",
			name, true, ts(tx.now)).Scan(&w.ID); err != nil {
			return w, err
		}
	case err != nil:
		return w, err
	default:
		w.Version++
		w.UpdatedAt = tx.now
		if _, err := tx.exec("UPDATE workflows SET version = $2, updated_at = $3 WHERE id = $1", w.ID, w.Version, ts(tx.now)); err != nil {
			return w, err
		}
	}
	_, err = tx.exec("INSERT INTO workflow_versions (workflow_id, version, source, created_at) VALUES ($1, $2, $3, $4)",
		w.ID, w.Version, source, ts(tx.now))
	return w, err
}

// SetWorkflowEnabled turns a workflow's triggers on or off. Runs already
// started go on either way.
func (tx *Tx) SetWorkflowEnabled(id int64, enabled bool) error {
	res, err := tx.exec("UPDATE workflows SET enabled = $2, updated_at = $3 WHERE id = $1", id, enabled, ts(tx.now))
	if err != nil {
		return wrapErr("store: SetWorkflowEnabled", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "workflow %d not found", id)
	}
	return nil
}

// Workflows lists every workflow by name.
func (db *DB) Workflows(ctx context.Context) (_ []Workflow, err error) {
	defer wrap(&err, "store: Workflows")
	rows, err := db.queryRead(ctx, "SELECT "+workflowColumns+" FROM workflows ORDER BY name")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Workflow, error) { return scanWorkflow(r) })
}

// Workflow returns one workflow. Returns ENOTFOUND if there is none.
func (db *DB) Workflow(ctx context.Context, id int64) (Workflow, error) {
	w, err := scanWorkflow(db.read.QueryRowContext(ctx, "SELECT "+workflowColumns+" FROM workflows WHERE id = $1", id))
	return w, notFound(err, "workflow", id)
}

// WorkflowSource returns the document of one version of a workflow.
func (db *DB) WorkflowSource(ctx context.Context, workflowID, version int64) (source string, err error) {
	err = db.read.QueryRowContext(ctx, "SELECT source FROM workflow_versions WHERE workflow_id = $1 AND version = $2",
		workflowID, version).Scan(&source)
	return source, notFound(err, "workflow version", version)
}

const flowRunColumns = "id, workflow_id, version, trigger_key, conversation_id, status, step, vars, error, created_at, updated_at, finished_at"

func scanFlowRun(row interface{ Scan(...any) error }) (r FlowRun, err error) {
	var conv, finished sql.NullInt64
	var created, updated int64
	err = row.Scan(&r.ID, &r.WorkflowID, &r.Version, &r.TriggerKey, &conv, &r.Status, &r.Step, &r.Vars, &r.Error,
		&created, &updated, &finished)
	r.ConversationID, r.CreatedAt, r.UpdatedAt = fromNullID(conv), fromTS(created), fromTS(updated)
	if finished.Valid {
		t := fromTS(finished.Int64)
		r.FinishedAt = &t
	}
	return r, err
}

// StartFlowRun inserts r as a running run and sets its ID. It returns
// false, and inserts nothing, when a run with the same trigger key exists:
// a trigger starts a run at most once.
func (tx *Tx) StartFlowRun(r *FlowRun) (started bool, err error) {
	defer wrap(&err, "store: StartFlowRun")
	r.Status, r.CreatedAt, r.UpdatedAt = "running", tx.now, tx.now
	err = tx.queryRow(`INSERT INTO flow_runs (workflow_id, version, trigger_key, conversation_id, status, step, vars, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $7) ON CONFLICT (trigger_key) DO NOTHING RETURNING id`,
		r.WorkflowID, r.Version, r.TriggerKey, idPtr(r.ConversationID), r.Step, r.Vars, ts(tx.now)).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// FlowRun reads a run inside the transaction, locking it on PostgreSQL so
// that two workers cannot both move it on.
func (tx *Tx) FlowRun(id int64) (FlowRun, error) {
	r, err := scanFlowRun(tx.queryRow("SELECT "+flowRunColumns+" FROM flow_runs WHERE id = $1"+tx.db.dialect.forUpdate, id))
	return r, notFound(err, "workflow run", id)
}

// FlowRun returns one run. Returns ENOTFOUND if there is none.
func (db *DB) FlowRun(ctx context.Context, id int64) (FlowRun, error) {
	r, err := scanFlowRun(db.read.QueryRowContext(ctx, "SELECT "+flowRunColumns+" FROM flow_runs WHERE id = $1", id))
	return r, notFound(err, "workflow run", id)
}

// FlowRunByTrigger returns the run a trigger started. Returns ENOTFOUND
// if there is none.
func (db *DB) FlowRunByTrigger(ctx context.Context, key string) (FlowRun, error) {
	r, err := scanFlowRun(db.read.QueryRowContext(ctx, "SELECT "+flowRunColumns+" FROM flow_runs WHERE trigger_key = $1", key))
	return r, notFound(err, "workflow run", key)
}

// FlowRunFilter narrows FlowRuns; zero fields match everything.
type FlowRunFilter struct {
	Status         string
	WorkflowID     int64
	ConversationID int64
	Limit          int
}

// FlowRuns lists runs, newest first.
func (db *DB) FlowRuns(ctx context.Context, f FlowRunFilter) (_ []FlowRun, err error) {
	defer wrap(&err, "store: FlowRuns")
	var q query
	if f.Status != "" {
		q.add("status = ?", f.Status)
	}
	if f.WorkflowID != 0 {
		q.add("workflow_id = ?", f.WorkflowID)
	}
	if f.ConversationID != 0 {
		q.add("conversation_id = ?", f.ConversationID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+flowRunColumns+" FROM flow_runs"+q.clause()+" ORDER BY id DESC LIMIT "+q.next(f.Limit), q.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (FlowRun, error) { return scanFlowRun(r) })
}

// UpdateFlowRun writes a run's progress: the next step, its variables,
// and its status and error, and when it ended (for a status other than
// running).
func (tx *Tx) UpdateFlowRun(r *FlowRun) error {
	r.UpdatedAt = tx.now
	var finished any
	r.FinishedAt = nil
	if r.Status != "running" {
		t := tx.now
		r.FinishedAt, finished = &t, ts(t)
	}
	_, err := tx.exec("UPDATE flow_runs SET status = $2, step = $3, vars = $4, error = $5, updated_at = $6, finished_at = $7 WHERE id = $1",
		r.ID, r.Status, r.Step, r.Vars, r.Error, ts(tx.now), finished)
	return wrapErr("store: UpdateFlowRun", err)
}

const flowStepColumns = "run_id, seq, step, kind, state, input, output, error, attempts, started_at, finished_at"

func scanFlowStep(row interface{ Scan(...any) error }) (s FlowStep, err error) {
	var started int64
	var finished sql.NullInt64
	err = row.Scan(&s.RunID, &s.Seq, &s.Step, &s.Kind, &s.State, &s.Input, &s.Output, &s.Error, &s.Attempts, &started, &finished)
	s.StartedAt = fromTS(started)
	if finished.Valid {
		t := fromTS(finished.Int64)
		s.FinishedAt = &t
	}
	return s, err
}

// LastFlowStep returns a run's latest step record, or ENOTFOUND before its
// first.
func (tx *Tx) LastFlowStep(runID int64) (FlowStep, error) {
	s, err := scanFlowStep(tx.queryRow("SELECT "+flowStepColumns+" FROM flow_steps WHERE run_id = $1 ORDER BY seq DESC LIMIT 1", runID))
	return s, notFound(err, "workflow step of run", runID)
}

// SaveFlowStep inserts a step record, or updates the one with the same
// run and seq.
func (tx *Tx) SaveFlowStep(s *FlowStep) error {
	var finished any
	if s.FinishedAt != nil {
		finished = ts(*s.FinishedAt)
	}
	_, err := tx.exec(`INSERT INTO flow_steps (run_id, seq, step, kind, state, input, output, error, attempts, started_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (run_id, seq) DO UPDATE SET state = excluded.state, input = excluded.input, output = excluded.output,
			error = excluded.error, attempts = excluded.attempts, finished_at = excluded.finished_at`,
		s.RunID, s.Seq, s.Step, s.Kind, s.State, s.Input, s.Output, s.Error, s.Attempts, ts(s.StartedAt), finished)
	return wrapErr("store: SaveFlowStep", err)
}

// FlowSteps returns a run's step records in the order they ran.
func (db *DB) FlowSteps(ctx context.Context, runID int64) (_ []FlowStep, err error) {
	defer wrap(&err, "store: FlowSteps")
	rows, err := db.read.QueryContext(ctx, "SELECT "+flowStepColumns+" FROM flow_steps WHERE run_id = $1 ORDER BY seq", runID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (FlowStep, error) { return scanFlowStep(r) })
}

// CustomerMessageAfter returns the first message the customer wrote on a
// conversation after message afterID, if there is one (a workflow waiting
// for their reply).
func (tx *Tx) CustomerMessageAfter(conversationID, afterID int64) (id int64, text string, ok bool, err error) {
	err = tx.queryRow("SELECT id, text FROM messages WHERE conversation_id = $1 AND id > $2 AND direction = 'incoming' ORDER BY id LIMIT 1",
		conversationID, afterID).Scan(&id, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	return id, text, err == nil, wrapErr("store: CustomerMessageAfter", err)
}

// LastMessageID returns the id of a conversation's newest message (0 when
// it has none).
func (tx *Tx) LastMessageID(conversationID int64) (id int64, err error) {
	err = tx.queryRow("SELECT COALESCE(MAX(id), 0) FROM messages WHERE conversation_id = $1", conversationID).Scan(&id)
	return id, wrapErr("store: LastMessageID", err)
}

// RunningFlowRunsOn returns the running runs on any of the conversations,
// in one query.
func (db *DB) RunningFlowRunsOn(ctx context.Context, conversationIDs []int64) (_ []FlowRun, err error) {
	defer wrap(&err, "store: RunningFlowRunsOn")
	if len(conversationIDs) == 0 {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+flowRunColumns+" FROM flow_runs WHERE status = 'running' AND conversation_id IN ("+
		inList(conversationIDs)+")")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (FlowRun, error) { return scanFlowRun(r) })
}

// FlowStats sums up the workflow runs started in [from, to) and the
// conversations resolved then that a workflow worked on.
type FlowStats struct {
	Started   int `json:"started"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
	Running   int `json:"running"`
	// MedianSeconds is the median time from start to end of the runs
	// that succeeded (0 when none did).
	MedianSeconds float64 `json:"median_seconds"`
	// ResolvedByWorkflows counts the conversations resolved in the period
	// that a workflow ran on to the end and no agent wrote in;
	// ResolvedByPeople those where an agent wrote as well.
	ResolvedByWorkflows int `json:"resolved_by_workflows"`
	ResolvedByPeople    int `json:"resolved_by_people"`
}

// FlowStats returns the workflow figures of a period.
func (db *DB) FlowStats(ctx context.Context, from, to time.Time) (st FlowStats, err error) {
	defer wrap(&err, "store: FlowStats")
	rows, err := db.read.QueryContext(ctx, "SELECT status, COUNT(*) FROM flow_runs WHERE created_at >= $1 AND created_at < $2 GROUP BY status", ts(from), ts(to))
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			rows.Close()
			return st, err
		}
		st.Started += n
		switch status {
		case "succeeded":
			st.Succeeded = n
		case "failed":
			st.Failed = n
		case "cancelled":
			st.Cancelled = n
		case "running":
			st.Running = n
		}
	}
	if err := rows.Close(); err != nil {
		return st, err
	}
	if st.Succeeded > 0 {
		// The middle one, read from the sorted durations: exact however
		// many runs there were.
		var d int64
		err := db.read.QueryRowContext(ctx, "SELECT finished_at - created_at FROM flow_runs WHERE status = 'succeeded' AND created_at >= $1 AND created_at < $2 ORDER BY 1 LIMIT 1 OFFSET $3",
			ts(from), ts(to), st.Succeeded/2).Scan(&d)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, err
		}
		st.MedianSeconds = float64(d) / 1e6
	}
	var withAgent sql.NullInt64
	var total int
	err = db.read.QueryRowContext(ctx, `SELECT COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.author_agent_id IS NOT NULL) THEN 1 ELSE 0 END)
		FROM conversations c WHERE c.id IN (SELECT conversation_id FROM flow_runs WHERE status = 'succeeded' AND conversation_id IS NOT NULL)
			AND c.status = 'resolved' AND c.resolved_at >= $1 AND c.resolved_at < $2`, ts(from), ts(to)).Scan(&total, &withAgent)
	if err != nil {
		return st, err
	}
	st.ResolvedByPeople = int(withAgent.Int64)
	st.ResolvedByWorkflows = total - st.ResolvedByPeople
	return st, nil
}
