package store

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
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

// restartPages is the log's size, in pages (400 MiB at 4 KiB), past which
// the writer resets it (a variable for tests).
var restartPages = 100_000

// restartLog resets the WAL to its start, run by the writer between
// batches when the checkpointer has asked (SQLite only). A RESTART
// checkpoint copies what the checkpointer has not yet copied, waits for
// readers still in the old log, and makes the next commit write from the
// log's start. From the checkpointer's own connection it first had to
// win the write lock from a writer that seldom lets go, retrying for
// 0.7–3.6 s, and then held it: the batch behind took 90–330 ms, the p99
// of sustained full-load runs. Here it runs when the writer is between
// batches anyway (docs/PERFORMANCE.md, "The log's restart").
func (w *writer) restartLog() {
	c := w.db.ckpt
	if c == nil || !c.restart.CompareAndSwap(true, false) {
		return
	}
	// A reader still in the old log holds the reset up, and the writer
	// with it: wait for readers a short while only. If one stays longer
	// (a long report), the reset gives up and the checkpointer asks again
	// at its next look.
	var busy, logPages, done int
	_, err := w.db.write.Exec("PRAGMA busy_timeout = " + fmt.Sprint(restartWait.Milliseconds()))
	if err == nil {
		err = w.db.write.QueryRow("PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &logPages, &done)
		if _, rerr := w.db.write.Exec("PRAGMA busy_timeout = " + fmt.Sprint(busyTimeout.Milliseconds())); err == nil {
			err = rerr
		}
	}
	if err != nil {
		slog.Warn("store: WAL restart", "err", err)
	} else if busy == 0 {
		c.restarts.Add(1)
	}
}

// busyTimeout is how long SQLite connections wait for a lock.
const busyTimeout = 10 * time.Second

// restartWait bounds how long the writer's reset of the log waits for
// readers in the old log.
const restartWait = 100 * time.Millisecond

// checkpointer copies SQLite's write-ahead log back into the database file
// from its own connection, five times a second. SQLite would otherwise do it
// inside a commit on the writer's connection once the log passes 1,000
// pages, stalling every caller of that batch; a PASSIVE checkpoint from
// another connection runs beside the writer and never blocks it.
type checkpointer struct {
	db *sql.DB
	// restart asks the writer to reset the log (see restartLog);
	// restarts counts the resets done.
	restart  atomic.Bool
	restarts atomic.Int64
	quit     chan struct{}
	ended    chan struct{}
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
		// Under sustained writes the log never starts over by itself: the
		// writer may only go back to its start when its transaction begins
		// with every frame copied, and its own last commit always added
		// frames the checkpoint had not copied yet. Once the log is large,
		// the writer resets it between two batches (restartLog).
		if logPages > restartPages {
			c.restart.Store(true)
		}
	}
}

func (c *checkpointer) stop() {
	close(c.quit)
	<-c.ended
	c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)") // leave a small log behind
	c.db.Close()
}
