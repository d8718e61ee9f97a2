package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Pre-aggregated reports: facts, their daily rollups and the projection
// cursor (migration 0008). What the metric codes mean is internal/report's
// business; this file only stores, sums and reads them.

// Fact is one metric sample of a conversation (see report_facts).
type Fact struct {
	ID             int64 // set when read back; ignored when written
	ConversationID int64
	Metric         int
	At             time.Time
	Until          *time.Time
	AgentID        int64
	Value          time.Duration
	Flag, Bin      int
	InboxID        int64
	TeamID         int64
	Priority       parley.Priority
	Labels         string // ",a,b," so that a label matches as LIKE '%,a,%'
}

// Day is a UTC day number: days since 1970-01-01.
func Day(t time.Time) int64 { return ts(t) / usPerDay }

// DayStart is the first instant of UTC day d.
func DayStart(d int64) time.Time { return fromTS(d * usPerDay) }

const usPerDay = 86_400_000_000

// RollupKey names a row of report_rollup (report_totals ignores the
// attributes: inbox, team and priority).
type RollupKey struct {
	Day       int64
	Metric    int
	Flag, Bin int
	AgentID   int64
	InboxID   int64
	TeamID    int64
	Priority  parley.Priority
	Labels    string // kept in the rows (mCreatedLabels only)
	// ConvLabels are the conversation's labels (as Fact.Labels): a
	// dimension of report_rollup, never a column.
	ConvLabels string
}

// RollupSum is what a rollup row holds: how many facts and the sum of
// their values (µs).
type RollupSum struct{ N, Total int64 }

// ReportConsumer names the report projector's cursor in event_cursors.
const ReportConsumer = "report.projector"

// ReportCursor returns the seq up to which the event log has been
// projected into facts, and when that was done.
func (db *DB) ReportCursor(ctx context.Context) (seq int64, at time.Time, err error) {
	return db.EventCursor(ctx, ReportConsumer)
}

// ReprojectReports sends the projector back to the start of the event
// log, for a change that alters past metrics (business hours, a reopen
// window): every conversation is replayed again and only the facts that
// change are rewritten. Reports keep answering from the facts meanwhile.
func (tx *Tx) ReprojectReports() error { return tx.SetEventCursor(ReportConsumer, 0) }

// ReportLag is how many events the projector has not read yet.
func (db *DB) ReportLag(ctx context.Context) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(seq), 0) FROM events)
		- COALESCE((SELECT seq FROM event_cursors WHERE name = $1), 0)`, ReportConsumer).Scan(&n)
	return max(n, 0), wrapErr("store: ReportLag", err)
}

// ConversationFacts returns the stored facts of the given conversations.
func (db *DB) ConversationFacts(ctx context.Context, ids []int64) (_ []Fact, err error) {
	defer wrap(&err, "store: ConversationFacts")
	return readByIDs(ctx, db, ids, func(in string) string {
		return `SELECT ` + factColumns + ` FROM report_facts WHERE conversation_id IN (` + in + `)`
	}, scanFact)
}

// ConversationHistories returns every event of the given conversations,
// in seq order.
func (db *DB) ConversationHistories(ctx context.Context, ids []int64) (_ []parley.Event, err error) {
	defer wrap(&err, "store: ConversationHistories")
	out, err := readByIDs(ctx, db, ids, func(in string) string {
		return `SELECT seq, type, conversation_id, contact_id, message_id, agent_id, data, created_at
			FROM events WHERE conversation_id IN (` + in + `) ORDER BY conversation_id, seq`
	}, scanReportEvent)
	sortEventsBySeq(out)
	return out, err
}

// readByIDs runs the query q(placeholders) for ids, reportChunk at a time,
// and collects its rows.
func readByIDs[T any](ctx context.Context, db *DB, ids []int64, q func(in string) string, scan func(*sql.Rows) (T, error)) ([]T, error) {
	var out []T
	for len(ids) > 0 {
		n := min(len(ids), reportChunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := db.read.QueryContext(ctx, q(placeholders(1, n)), args...)
		if err != nil {
			return nil, err
		}
		list, err := collect(rows, scan)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// Projection is one step of the projector: the facts that stop being
// true (by id), the new ones, and the rollup changes that go with them.
type Projection struct {
	Removed []int64
	Facts   []Fact
	Rollup  map[RollupKey]RollupSum
	// AgentDays are the agents' daily peaks to store, recomputed by the
	// caller for the days whose busy facts changed.
	AgentDays map[AgentDay]int
}

// AgentDay names an agent's daily peak: over all their conversations
// (Dim ""), or within one inbox, team or priority (Dim and Val as in
// report_rollup: see Dims).
type AgentDay struct {
	AgentID, Day int64
	Dim, Val     string
}

// Dims are the values of a fact's attributes under which report_rollup
// and report_agent_days count it: its inbox ("i"), its team ("t", "0"
// for none), its priority ("p") and each of its labels ("l"; labels as
// in Fact.Labels).
func Dims(inbox, team int64, priority parley.Priority, labels string) [][2]string {
	out := [][2]string{{"i", strconv.FormatInt(inbox, 10)}, {"t", strconv.FormatInt(team, 10)}, {"p", string(priority)}}
	for _, l := range strings.Split(strings.Trim(labels, ","), ",") {
		if l != "" {
			out = append(out, [2]string{"l", l})
		}
	}
	return out
}

// ApplyProjection deletes the facts p.Removed, inserts p.Facts, adds
// p.Rollup to both rollup tables and stores p.AgentDays, in tx. The
// projector (a work.Consumer) moves its cursor from p.From to p.To in the
// same transaction.
func (tx *Tx) ApplyProjection(p Projection) error {
	return wrapErr("store: ApplyProjection", tx.writeFacts(p))
}

// LoadFacts writes facts and rollups without the cursor: for bulk loads
// (benchmarks, backfills) that project the log themselves.
func (tx *Tx) LoadFacts(p Projection) error { return tx.writeFacts(p) }

// factChunk is how many rows one INSERT writes (see bulkPlaceholders).
const factChunk = 500

func (tx *Tx) writeFacts(p Projection) error {
	for ids := p.Removed; len(ids) > 0; {
		n := min(len(ids), factChunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		if _, err := tx.exec("DELETE FROM report_facts WHERE id IN ("+tx.db.bulkPlaceholders(1, n)+")", args...); err != nil {
			return err
		}
	}
	rows := make([][]any, len(p.Facts))
	for i, f := range p.Facts {
		rows[i] = []any{f.ConversationID, f.Metric, ts(f.At), tsPtr(f.Until), f.AgentID, int64(f.Value / time.Microsecond),
			f.Flag, f.Bin, f.InboxID, f.TeamID, string(f.Priority), f.Labels}
	}
	if err := tx.insertRows("INSERT INTO report_facts (conversation_id, metric, at, until, agent_id, value, flag, bin, inbox_id, team_id, priority, labels)", rows, ""); err != nil {
		return err
	}
	if err := tx.addRollup(p.Rollup); err != nil {
		return err
	}
	for k, peak := range p.AgentDays {
		if _, err := tx.exec(`INSERT INTO report_agent_days (agent_id, day, dim, val, peak) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (agent_id, day, dim, val) DO UPDATE SET peak = excluded.peak`, k.AgentID, k.Day, k.Dim, k.Val, peak); err != nil {
			return err
		}
	}
	return nil
}

// addRollup adds sums to report_rollup, once per attribute (Dims), and,
// with the attributes summed away, to report_totals.
func (tx *Tx) addRollup(r map[RollupKey]RollupSum) error {
	type tkey struct {
		day       int64
		metric    int
		flag, bin int
		agent     int64
		labels    string
	}
	type dkey struct {
		tkey
		dim, val string
	}
	totals, dims := map[tkey]RollupSum{}, map[dkey]RollupSum{}
	add := func(m map[dkey]RollupSum, k dkey, s RollupSum) {
		sum := m[k]
		sum.N, sum.Total = sum.N+s.N, sum.Total+s.Total
		m[k] = sum
	}
	for k, s := range r {
		if s.N == 0 && s.Total == 0 {
			continue
		}
		t := tkey{k.Day, k.Metric, k.Flag, k.Bin, k.AgentID, k.Labels}
		sum := totals[t]
		sum.N, sum.Total = sum.N+s.N, sum.Total+s.Total
		totals[t] = sum
		for _, d := range Dims(k.InboxID, k.TeamID, k.Priority, k.ConvLabels) {
			add(dims, dkey{t, d[0], d[1]}, s)
		}
	}
	var rows [][]any
	for k, s := range dims {
		if s.N != 0 || s.Total != 0 {
			rows = append(rows, []any{k.metric, k.dim, k.val, k.day, k.flag, k.bin, k.agent, k.labels, s.N, s.Total})
		}
	}
	if err := tx.insertRows("INSERT INTO report_rollup (metric, dim, val, day, flag, bin, agent_id, labels, n, total)", rows,
		` ON CONFLICT (metric, dim, val, day, flag, bin, agent_id, labels)
			DO UPDATE SET n = report_rollup.n + excluded.n, total = report_rollup.total + excluded.total`); err != nil {
		return err
	}
	rows = rows[:0]
	for k, s := range totals {
		if s.N != 0 || s.Total != 0 {
			rows = append(rows, []any{k.day, k.metric, k.flag, k.bin, k.agent, k.labels, s.N, s.Total})
		}
	}
	return tx.insertRows("INSERT INTO report_totals (day, metric, flag, bin, agent_id, labels, n, total)", rows,
		` ON CONFLICT (metric, day, flag, bin, agent_id, labels)
			DO UPDATE SET n = report_totals.n + excluded.n, total = report_totals.total + excluded.total`)
}

// insertRows runs insert ("INSERT INTO t (columns)") for rows, factChunk
// rows a statement, each statement ending with suffix (an ON CONFLICT
// clause, or "").
func (tx *Tx) insertRows(insert string, rows [][]any, suffix string) error {
	return tx.db.insertValues(direct{tx}, insert, rows, factChunk, suffix, nil)
}

const factColumns = "id, conversation_id, metric, at, until, agent_id, value, flag, bin, inbox_id, team_id, priority, labels"

func scanFact(r *sql.Rows) (Fact, error) {
	var f Fact
	var at, value int64
	var until sql.NullInt64
	err := r.Scan(&f.ID, &f.ConversationID, &f.Metric, &at, &until, &f.AgentID, &value, &f.Flag, &f.Bin, &f.InboxID, &f.TeamID, &f.Priority, &f.Labels)
	f.At, f.Until, f.Value = fromTS(at), fromNullTS(until), time.Duration(value)*time.Microsecond
	return f, err
}
