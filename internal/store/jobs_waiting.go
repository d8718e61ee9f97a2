package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// RetryingJobs returns the jobs of kind with one of these payloads that
// have failed at least once and will run again (pending or running): what
// a queued message shows while its send keeps failing, instead of a bare
// "Queued". The jobs_due index narrows the scan to unfinished jobs.
func (db *DB) RetryingJobs(ctx context.Context, kind string, payloads []string) (_ []Job, err error) {
	defer wrap(&err, "store: RetryingJobs(%s)", kind)
	if len(payloads) == 0 {
		return nil, nil
	}
	args := []any{kind}
	marks := make([]string, len(payloads))
	for i, p := range payloads {
		args = append(args, p)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE status IN ('pending', 'running') AND kind = $1 AND attempts > 0 AND payload IN ("+
		strings.Join(marks, ", ")+") ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Job, error) { return scanJob(r) })
}
