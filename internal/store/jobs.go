package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Job is one unit of work that happens later or must be retried.
type Job struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Payload     string     `json:"payload"` // JSON, read by the kind's handler
	Status      string     `json:"status"`  // pending, running, done, failed
	RunAt       time.Time  `json:"run_at"`
	Attempts    int        `json:"attempts"`
	MaxAttempts int        `json:"max_attempts"`
	LastError   string     `json:"last_error,omitempty"`
	LockedBy    string     `json:"locked_by,omitempty"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

const jobColumns = "id, kind, payload, status, run_at, attempts, max_attempts, last_error, locked_by, locked_until, created_at, updated_at"

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var runAt, created, updated int64
	var locked sql.NullInt64
	err := row.Scan(&j.ID, &j.Kind, &j.Payload, &j.Status, &runAt, &j.Attempts, &j.MaxAttempts, &j.LastError, &j.LockedBy, &locked, &created, &updated)
	j.RunAt, j.LockedUntil, j.CreatedAt, j.UpdatedAt = fromTS(runAt), fromNullTS(locked), fromTS(created), fromTS(updated)
	return j, err
}

// EnqueueJob stores a job to run at runAt, in the same transaction as the
// change that wants it: the job exists if and only if the change committed.
func (tx *Tx) EnqueueJob(kind, payload string, runAt time.Time, maxAttempts int) (id int64, err error) {
	defer wrap(&err, "store: EnqueueJob(%s)", kind)
	err = tx.queryRow(`INSERT INTO jobs (kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at)
		VALUES ($1, $2, 'pending', $3, 0, $4, $5, $5) RETURNING id`, kind, payload, ts(runAt), maxAttempts, ts(tx.now)).Scan(&id)
	return id, err
}

// ClaimJobs marks up to limit due jobs as running under worker until the
// lease ends, and returns them. Jobs whose lease ran out (their process
// died mid-run) are due again. On PostgreSQL, SKIP LOCKED lets several
// processes claim side by side without taking the same job.
func (tx *Tx) ClaimJobs(worker string, lease time.Duration, limit int) (_ []Job, err error) {
	defer wrap(&err, "store: ClaimJobs")
	now := ts(tx.now)
	rows, err := tx.query(`UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
		WHERE id IN (SELECT id FROM jobs
			WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until <= $3)
			ORDER BY run_at, id LIMIT $4 `+tx.db.dialect.skipLocked+`)
		RETURNING `+jobColumns, worker, ts(tx.now.Add(lease)), now, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Job, error) { return scanJob(r) })
}

// RenewJob extends worker's claim on a running job to lease from now. It
// returns false when the job is no longer worker's (its claim ran out and
// another worker took it, or it finished).
func (tx *Tx) RenewJob(id int64, worker string, lease time.Duration) (bool, error) {
	res, err := tx.exec("UPDATE jobs SET locked_until = $3 WHERE id = $1 AND locked_by = $2 AND status = 'running'",
		id, worker, ts(tx.now.Add(lease)))
	if err != nil {
		return false, wrapErr("store: RenewJob", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishJob records a job's outcome: done when runErr is nil; otherwise
// pending again at retryAt, or failed for good when retryAt is nil. Only
// the worker holding the job may finish it; a worker whose lease ran out
// and was taken over gets false.
func (tx *Tx) FinishJob(id int64, worker string, runErr error, retryAt *time.Time) (bool, error) {
	status, msg := "done", ""
	var runAt any // NULL keeps run_at
	if runErr != nil {
		msg = runErr.Error()
		if len(msg) > 2000 {
			msg = msg[:2000]
		}
		status = "failed"
		if retryAt != nil {
			status, runAt = "pending", ts(*retryAt)
		}
	}
	res, err := tx.exec(`UPDATE jobs SET status = $3, last_error = $4, run_at = COALESCE($5, run_at),
			locked_by = '', locked_until = NULL, updated_at = $6
		WHERE id = $1 AND locked_by = $2 AND status = 'running'`, id, worker, status, msg, runAt, ts(tx.now))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RetryJob makes a failed job due now, with its attempts reset. Returns
// ENOTFOUND for an unknown job and ECONFLICT for one that has not failed.
func (tx *Tx) RetryJob(id int64) (Job, error) {
	j, err := scanJob(tx.queryRow("SELECT "+jobColumns+" FROM jobs WHERE id = $1", id))
	if err != nil {
		return j, notFound(err, "job", id)
	}
	if j.Status != "failed" {
		return j, parley.Errorf(parley.ECONFLICT, "job %d is %s, not failed", id, j.Status)
	}
	if _, err := tx.exec("UPDATE jobs SET status = 'pending', attempts = 0, run_at = $2, updated_at = $2 WHERE id = $1", id, ts(tx.now)); err != nil {
		return j, err
	}
	j.Status, j.Attempts, j.RunAt = "pending", 0, tx.now
	return j, nil
}

// PruneJobs deletes jobs that finished before cutoff; failed jobs stay for inspection.
func (tx *Tx) PruneJobs(cutoff time.Time) (int64, error) {
	res, err := tx.exec("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1", ts(cutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// NextJobAt returns when the next job falls due (a pending job's run_at or
// a running job's lease end), and false when there is nothing to wait for.
func (db *DB) NextJobAt(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MIN(t) FROM (
			SELECT MIN(run_at) AS t FROM jobs WHERE status = 'pending'
			UNION ALL SELECT MIN(locked_until) AS t FROM jobs WHERE status = 'running') AS due`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, false, err
	}
	return fromTS(next.Int64), true, nil
}

// Jobs lists jobs with the given status ("" for all), newest first.
func (db *DB) Jobs(ctx context.Context, status string, limit int) (_ []Job, err error) {
	defer wrap(&err, "store: Jobs")
	var q query
	if status != "" {
		q.add("status = ?", status)
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+jobColumns+" FROM jobs"+q.clause()+" ORDER BY id DESC LIMIT "+q.next(limit), q.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Job, error) { return scanJob(r) })
}

// Job returns one job. Returns ENOTFOUND if there is none.
func (db *DB) Job(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(db.read.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1", id))
	return j, notFound(err, "job", id)
}

// JobCount is how many jobs of one kind are in one status.
type JobCount struct {
	Kind   string
	Status string // pending, running or failed
	Count  int64
}

// JobCounts counts the jobs that are not done, by kind and status: the
// queue's depth and what failed for good. It reads through the jobs_due
// index, so it stays cheap however many done jobs are kept.
func (db *DB) JobCounts(ctx context.Context) (_ []JobCount, err error) {
	defer wrap(&err, "store: JobCounts")
	rows, err := db.read.QueryContext(ctx, `SELECT kind, status, COUNT(*) FROM jobs
		WHERE status IN ('pending', 'running', 'failed') GROUP BY kind, status ORDER BY kind, status`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (JobCount, error) {
		var c JobCount
		err := r.Scan(&c.Kind, &c.Status, &c.Count)
		return c, err
	})
}
