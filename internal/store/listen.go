package store

import (
	"context"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Live updates across processes. On PostgreSQL several Parley processes
// share one event log; a hub learns of its own process's commits at once
// (OnCommit), and of the others' through NOTIFY: every batch that appends
// events notifies, inside its transaction, so the notice is delivered
// exactly when the events are visible (a rolled-back batch notifies no
// one). The notice carries nothing: the event log stays the truth, and a
// woken hub reads it as it would after its own commit. A lost notice (a
// reconnecting listener) costs at most the hub's poll interval.

// eventsChannel is the NOTIFY channel of this database's event log: one
// per schema, so databases sharing a server (tests use a schema each) do
// not wake each other.
func eventsChannel(schema string) string {
	if schema == "" || schema == "public" {
		return "parley_events"
	}
	c := "parley_events_" + unsafeIdent.ReplaceAllString(strings.ToLower(schema), "_")
	if len(c) > 63 {
		c = c[:63] // PostgreSQL's identifier limit
	}
	return c
}

var unsafeIdent = regexp.MustCompile(`[^a-z0-9_]`)

// eventsLockKey is the advisory lock key of the event log named by its
// channel: a hash, so each schema's log has its own.
func eventsLockKey(channel string) int64 {
	h := fnv.New64a()
	h.Write([]byte("parley events lock: " + channel))
	return int64(h.Sum64())
}

// Listen calls wake whenever another connection commits events, until ctx
// ends. It holds one dedicated connection, reconnecting with backoff when
// it drops (and waking once after, since notices may have been missed).
// On SQLite, whose writers are all in this process, it waits for ctx and
// returns.
func (db *DB) Listen(ctx context.Context, wake func()) {
	if db.pgDSN == "" {
		<-ctx.Done()
		return
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		started := time.Now()
		err := db.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		slog.Warn("store: event notifications interrupted; polling until they are back", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (db *DB) listenOnce(ctx context.Context, wake func()) error {
	conn, err := pgx.Connect(ctx, db.pgDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if db.slots != nil {
		// Counts this process among those sharing the write cap (slots.go)
		// for as long as the connection lives.
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock_shared($1)", db.slots.nodesKey()); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `LISTEN "`+db.channel+`"`); err != nil {
		return err
	}
	wake() // whatever was committed while no one listened
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}
