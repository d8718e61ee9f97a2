package store

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// checkpointEvery is how often the WAL is copied back into the database.
// A checkpoint syncs the log, then the database, to disk. Once a second,
// with a second's worth of log to sync (~20 MB at 1,000 messages/s), the
// writer's commit that ran beside it took 20–50 ms, and that was the p99
// at a fixed rate. Five times a second, each sync has a fifth as much to
// write and those stalls were gone; throughput at full load was the same
// (docs/PERFORMANCE.md, "Checkpoints five times a second"). Turning the
// checkpoint's syncs off made it far worse: the kernel then wrote the
// dirty pages back in large bursts of its own.
const checkpointEvery = 200 * time.Millisecond

// checkpointer copies SQLite's write-ahead log back into the database file
// from its own connection, five times a second. SQLite would otherwise do it
// inside a commit on the writer's connection once the log passes 1,000
// pages, stalling every caller of that batch; a PASSIVE checkpoint from
// another connection runs beside the writer and never blocks it.
type checkpointer struct {
	db    *sql.DB
	quit  chan struct{}
	ended chan struct{}
}

func startCheckpointer(path string) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, quit: make(chan struct{}), ended: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.ended)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
		}
		var busy, logPages, done int
		if err := c.db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &done); err != nil {
			slog.Warn("store: WAL checkpoint", "err", err)
			continue
		}
		// A log that keeps growing (readers always in the way) is reset
		// by a full checkpoint once it is large.
		if logPages > 100_000 {
			c.db.Exec("PRAGMA wal_checkpoint(RESTART)")
		}
	}
}

func (c *checkpointer) stop() {
	close(c.quit)
	<-c.ended
	c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)") // leave a small log behind
	c.db.Close()
}
