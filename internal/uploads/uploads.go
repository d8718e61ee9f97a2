// Package uploads deletes uploads that no message uses. A file is
// uploaded first and attached to a message later (API, agent composer,
// widget); an upload that is never attached would otherwise stay on disk
// forever, which let one client fill the disk.
//
// The cleanup runs as a durable periodic job (JobCleanup): each run
// schedules the next, and store.EnsureJob keeps a single pending run
// however many processes start. A blob is deleted once no attachment
// refers to it and Grace has passed since it was last uploaded; its file
// is removed only if nobody has put the same bytes again since (blobs are
// shared by content, see blob.FS.Remove).
package uploads

import (
	"context"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store"
)

// JobCleanup is the job kind of the periodic cleanup.
const JobCleanup = "uploads.cleanup"

// Defaults for Cleaner.
const (
	DefaultGrace  = 24 * time.Hour
	DefaultEvery  = time.Hour
	DefaultWindow = 24 * time.Hour // how long widget uploads count against quotas
	batch         = 500
)

// Cleaner deletes orphan uploads.
type Cleaner struct {
	DB    *store.DB
	Blobs blob.Store
	// Grace is how long an upload may wait for a message (DefaultGrace).
	Grace time.Duration
	// Every is the time between runs (DefaultEvery).
	Every time.Duration
	// QuotaWindow is how long widget uploads are kept for quotas
	// (DefaultWindow); older rows are pruned.
	QuotaWindow time.Duration
}

func (c *Cleaner) defaults() {
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.Every <= 0 {
		c.Every = DefaultEvery
	}
	if c.QuotaWindow <= 0 {
		c.QuotaWindow = DefaultWindow
	}
}

// Register adds the cleanup job to r and makes sure a run is scheduled.
// Call it once, before r runs.
func (c *Cleaner) Register(ctx context.Context, r *jobs.Runner) error {
	c.defaults()
	r.Handle(JobCleanup, func(ctx context.Context, _ store.Job) error { return c.run(ctx) })
	return c.schedule(ctx)
}

// schedule makes sure the next run is pending.
func (c *Cleaner) schedule(ctx context.Context) error {
	return c.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.EnsureJob(JobCleanup, "{}", tx.Now().Add(c.Every), 3)
		return err
	})
}

// run is one job: the next run is scheduled first, so a failing run does
// not end the chain.
func (c *Cleaner) run(ctx context.Context) error {
	if err := c.schedule(ctx); err != nil {
		return err
	}
	_, err := c.Clean(ctx)
	return err
}

// Clean deletes every orphan upload older than the grace period now, and
// resumable uploads untouched as long, and prunes widget upload counts
// older than the quota window. It returns how
// many blobs it deleted.
func (c *Cleaner) Clean(ctx context.Context) (int, error) {
	c.defaults()
	total := 0
	for {
		var shas []string
		var cutoff time.Time
		err := c.DB.Write(ctx, func(tx *store.Tx) (err error) {
			cutoff = tx.Now().Add(-c.Grace)
			shas, err = tx.DeleteOrphanBlobs(cutoff, batch)
			return err
		})
		if err != nil {
			return total, err
		}
		for _, sha := range shas {
			// The row is gone; a file left behind by a failure here costs
			// disk until the same bytes are uploaded and cleaned again.
			if err := c.Blobs.Remove(sha, cutoff); err != nil {
				slog.Error("uploads: remove orphan file", "sha256", sha, "err", err)
			}
		}
		total += len(shas)
		if len(shas) < batch {
			break
		}
	}
	err := c.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.PruneWidgetUploads(tx.Now().Add(-c.QuotaWindow))
		return err
	})
	// Resumable uploads left untouched for the grace period (and those
	// completed: their blob is an upload of its own by then) go, with the
	// pieces they hold, a batch at a time.
	for err == nil {
		var n int
		err = c.DB.Write(ctx, func(tx *store.Tx) (err error) {
			n, err = tx.DeleteStaleUploadSessions(tx.Now().Add(-c.Grace), batch)
			return err
		})
		if n < batch {
			break
		}
	}
	if total > 0 {
		slog.Info("uploads: deleted orphan uploads", "count", total)
	}
	return total, err
}
