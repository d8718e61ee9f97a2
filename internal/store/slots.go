package store

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// Write slots: a cap on the write transactions in flight across every
// process that shares one PostgreSQL database (parley_cluster_writers).
//
// Each process keeps parley_writers batches in flight. On one database
// server, past about its cores, more write transactions at once do not
// add throughput: they contend for the same CPUs and locks, and each
// batch is smaller, so every message carries more of a commit's fixed
// cost. Measured on a 2-core server, three processes at four writers each
// took 559 messages/s against one process's 1,312 (docs/PERFORMANCE.md).
// Per-process counts cannot fix that, since adding a process adds its
// writers; a count for the database can. Under it, a batch first takes
// one of the cluster's slots, inside its own transaction: until it has
// one, its writer loop keeps gathering the callers that arrive, so the
// batch grows while it waits, as a group commit does.
//
// A slot is a transaction-level advisory lock (slotKey+i), so it is let
// go at the commit or rollback, and by a crashed process's backend when
// PostgreSQL notices the connection is gone: nothing to clean up. It
// cannot deadlock: a transaction takes its slot first, holding no other
// lock yet, and never a second one.

// writeSlots is how the writer takes slots; nil when there is no cap.
type writeSlots struct {
	n   int   // slots in the cluster
	key int64 // the advisory lock of slot 0; slot i is key+i
}

// slotKeyFor is the first slot's lock for a schema's event channel, so
// two Parley databases on one server (test schemas, say) do not share
// slots.
func slotKeyFor(channel string) int64 {
	h := fnv.New64a()
	h.Write([]byte("parley write slots: " + channel))
	return int64(h.Sum64() &^ 0xffff) // room for the slots above it
}

// begin starts a write transaction and, under a cap, takes a slot in it:
// the loop's own (pref) if free, else any free one, else it waits for
// its own. Loops of one process start at different slots, and processes
// at random ones, so waiting loops spread over the slots.
func (w *writer) begin(ctx context.Context, pref int) (*batchTx, error) {
	tx, err := beginOn(ctx, w.db.write)
	if err != nil || w.slots == nil {
		return tx, err
	}
	s := w.slots
	pref %= s.n
	var got sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT min(i) FROM (SELECT i FROM generate_series(0, $2::int - 1) AS i
		WHERE pg_try_advisory_xact_lock($1::bigint + ($3::int + i) % $2::int) LIMIT 1) AS free`, s.key, s.n, pref).Scan(&got)
	if err == nil && !got.Valid {
		_, err = tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1::bigint + $2::int)", s.key, pref)
	}
	if err != nil {
		tx.end()
		return nil, fmt.Errorf("store: take a write slot: %w", err)
	}
	return tx, nil
}

// firstSlot is where this process's loops start: a random slot, so that
// several processes do not all prefer slot 0.
func firstSlot() int { return rand.N(1 << 16) }

// Sharing the cap. Slots alone leave each process's batches small when
// there are many processes: every loop gathers only the writes routed to
// it, and a fixed number of customers writing is spread over more loops.
// Measured on 2 cores, three processes at four loops each took ~1,900
// messages/s under a cap of 4 against one process's ~2,650 (256
// clients), and three at one loop each did as well as one at two (192). So under
// a cap each process also routes its writes to only its share of the
// cap's loops, ceil(cap / processes), counted as the processes holding
// this database's node lock: each takes it, shared, on the connection it
// listens for events on (listen.go), which PostgreSQL lets go when the
// process or its connection dies. Loops beyond the share finish what is
// queued to them and then idle.

// nodeRefresh is how often a process counts the processes on its database.
var nodeRefresh = 2 * time.Second

// nodesKey is the lock every listening process holds shared: the top of
// the range slotKeyFor leaves for the slots.
func (s *writeSlots) nodesKey() int64 { return s.key + 0xffff }

// share routes new writes to this process's part of the cap, given the
// number of processes.
func (w *writer) share(nodes int) {
	n := (w.slots.n + max(nodes, 1) - 1) / max(nodes, 1)
	w.activeLoops.Store(int32(min(max(n, 1), len(w.queues))))
}

// followNodes counts the processes on this database now and then and
// adjusts this one's share, until the writer stops.
func (w *writer) followNodes() {
	defer w.ended.Done()
	t := time.NewTicker(nodeRefresh)
	defer t.Stop()
	for {
		if n, err := w.db.countNodes(context.Background()); err == nil {
			w.share(n) // 0 (no process listening yet, a tool) counts as one
		}
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
	}
}

// countNodes is how many processes hold this database's node lock.
func (db *DB) countNodes(ctx context.Context) (n int, err error) {
	key := db.slots.nodesKey()
	hi, lo := uint32(uint64(key)>>32), uint32(uint64(key))
	err = db.read.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2
		AND objsubid = 1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, int64(hi), int64(lo)).Scan(&n)
	return n, err
}
