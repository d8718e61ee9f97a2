package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// FactFilter narrows the reads of facts and rollups. Zero fields do not
// filter. Rollups hold inbox, team and priority; a label or an agent can
// only be read from the facts (see FactFilter.RollupOK).
type FactFilter struct {
	InboxIDs []int64
	TeamID   int64
	Priority parley.Priority
	Label    string
	// AgentID keeps the conversations the agent touched (a fact of
	// TouchMetric with their id) and, for AgentMetrics, only the facts that
	// are the agent's own.
	AgentID      int64
	TouchMetric  int
	AgentMetrics []int
}

// RollupOK reports whether rollups can answer under f: no agent, and at
// most one attribute (see Dim).
func (f FactFilter) RollupOK() bool {
	_, _, ok := f.Dim()
	return ok && f.AgentID == 0
}

// Dim returns the rollup dimension and values f filters on: "" when it
// has no attribute filter, "i" and the inboxes, "t" and the team, "p" and
// the priority, or "l" and the label; ok is false when it filters on more
// than one.
func (f FactFilter) Dim() (dim string, vals []string, ok bool) {
	n := 0
	if len(f.InboxIDs) > 0 {
		n++
		dim = "i"
		for _, id := range f.InboxIDs {
			vals = append(vals, strconv.FormatInt(id, 10))
		}
	}
	if f.TeamID != 0 {
		n++
		dim, vals = "t", []string{strconv.FormatInt(f.TeamID, 10)}
	}
	if f.Priority != "" {
		n++
		dim, vals = "p", []string{string(f.Priority)}
	}
	if f.Label != "" {
		n++
		dim, vals = "l", []string{f.Label}
	}
	return dim, vals, n <= 1
}

// where appends f's conditions on report_facts (aliased rf) to w, binding
// from len(*args)+1.
func (f FactFilter) where(w *strings.Builder, args *[]any, table string) {
	bind := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	if len(f.InboxIDs) > 0 {
		w.WriteString(" AND " + table + ".inbox_id IN (")
		for i, id := range f.InboxIDs {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(bind(id))
		}
		w.WriteString(")")
	}
	if f.TeamID != 0 {
		w.WriteString(" AND " + table + ".team_id = " + bind(f.TeamID))
	}
	if f.Priority != "" {
		w.WriteString(" AND " + table + ".priority = " + bind(string(f.Priority)))
	}
	if f.Label != "" {
		w.WriteString(" AND " + table + ".labels LIKE " + bind("%,"+escapeLike(f.Label)+",%") + ` ESCAPE '\'`)
	}
	if f.AgentID != 0 {
		agent := bind(f.AgentID)
		w.WriteString(" AND (")
		if len(f.AgentMetrics) > 0 {
			w.WriteString("(" + table + ".metric IN (" + ints(f.AgentMetrics) + ") AND " + table + ".agent_id = " + agent + ") OR (" +
				table + ".metric NOT IN (" + ints(f.AgentMetrics) + ") AND ")
		}
		w.WriteString(table + ".conversation_id IN (SELECT t.conversation_id FROM report_facts t WHERE t.metric = " +
			bind(f.TouchMetric) + " AND t.agent_id = " + agent + ")")
		if len(f.AgentMetrics) > 0 {
			w.WriteString(")")
		}
		w.WriteString(")")
	}
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// RollupRow is a sum of facts over one day and key.
type RollupRow struct {
	Day       int64
	Metric    int
	Flag, Bin int
	AgentID   int64
	Labels    string
	RollupSum
}

// SumRollups returns the rollups of metrics over days [d0, d1) under f
// (which must be RollupOK): report_totals when f has no attribute,
// report_rollup's rows of its one dimension otherwise (summed over its
// values: an inbox filter may name several, whose facts are apart).
func (db *DB) SumRollups(ctx context.Context, metrics []int, d0, d1 int64, f FactFilter) (_ []RollupRow, err error) {
	defer wrap(&err, "store: SumRollups")
	if d0 >= d1 || len(metrics) == 0 {
		return nil, nil
	}
	dim, vals, _ := f.Dim()
	var rows *sql.Rows
	if dim == "" {
		rows, err = db.read.QueryContext(ctx, "SELECT day, metric, flag, bin, agent_id, labels, n, total FROM report_totals r WHERE r.metric IN ("+ints(metrics)+
			") AND r.day >= $1 AND r.day < $2 AND r.n <> 0", d0, d1)
	} else {
		args := []any{d0, d1, dim}
		for _, v := range vals {
			args = append(args, v)
		}
		rows, err = db.read.QueryContext(ctx, "SELECT day, metric, flag, bin, agent_id, labels, CAST(SUM(n) AS BIGINT), CAST(SUM(total) AS BIGINT) FROM report_rollup r"+
			" WHERE r.metric IN ("+ints(metrics)+") AND r.dim = $3 AND r.val IN ("+placeholders(4, len(vals))+") AND r.day >= $1 AND r.day < $2"+
			" GROUP BY day, metric, flag, bin, agent_id, labels HAVING SUM(n) <> 0", args...)
	}
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRollupRow)
}

// SumFacts returns, in the shape of rollups, the facts of metrics with at
// in [from, to) under f, summed per UTC day, flag and bin, and per agent
// for agentMetrics (the agent is 0 for the others, as in the rollups).
func (db *DB) SumFacts(ctx context.Context, metrics []int, from, to time.Time, f FactFilter, agentMetrics []int) (_ []RollupRow, err error) {
	defer wrap(&err, "store: SumFacts")
	if !from.Before(to) || len(metrics) == 0 {
		return nil, nil
	}
	agent := "0"
	if len(agentMetrics) > 0 {
		agent = "CASE WHEN rf.metric IN (" + ints(agentMetrics) + ") THEN rf.agent_id ELSE 0 END"
	}
	args := []any{ts(from), ts(to)}
	var q strings.Builder
	q.WriteString("SELECT rf.at / " + strconv.FormatInt(usPerDay, 10) + " AS d, rf.metric, rf.flag, rf.bin, " + agent + " AS a, '', COUNT(*), CAST(COALESCE(SUM(rf.value), 0) AS BIGINT)" +
		" FROM report_facts rf WHERE rf.metric IN (" + ints(metrics) + ") AND rf.at >= $1 AND rf.at < $2")
	f.where(&q, &args, "rf")
	q.WriteString(" GROUP BY d, rf.metric, rf.flag, rf.bin, a")
	rows, err := db.read.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRollupRow)
}

func scanRollupRow(r *sql.Rows) (RollupRow, error) {
	var x RollupRow
	return x, r.Scan(&x.Day, &x.Metric, &x.Flag, &x.Bin, &x.AgentID, &x.Labels, &x.N, &x.Total)
}

// FactQuery selects individual facts.
type FactQuery struct {
	Metrics  []int
	From, To time.Time // at in [From, To)
	Running  bool      // only facts whose until is NULL
	Filter   FactFilter
}

// ListFacts returns the facts q selects.
func (db *DB) ListFacts(ctx context.Context, q FactQuery) (_ []Fact, err error) {
	defer wrap(&err, "store: ListFacts")
	if !q.From.Before(q.To) || len(q.Metrics) == 0 {
		return nil, nil
	}
	var args []any
	var b strings.Builder
	metric := "rf.metric IN (" + ints(q.Metrics) + ")"
	if len(q.Metrics) == 1 {
		metric = "rf.metric = " + strconv.Itoa(q.Metrics[0]) // a constant, as the partial indexes name it
	}
	b.WriteString("SELECT " + rfColumns + " FROM report_facts rf WHERE " + metric)
	args = append(args, ts(q.From), ts(q.To))
	b.WriteString(" AND rf.at >= $1 AND rf.at < $2")
	if q.Running {
		// Few rows, in a partial index of their own (one per metric).
		b.WriteString(" AND rf.until IS NULL")
	}
	q.Filter.where(&b, &args, "rf")
	rows, err := db.read.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanFact)
}

// FactValues returns, in increasing order, up to limit values of the facts
// of metric in bin with at in [from, to) under f, after skipping offset of
// them. It reads one bin of the (metric, bin, at) index: the exact median
// of a rollup histogram costs one bin, not the whole period.
func (db *DB) FactValues(ctx context.Context, metric, bin int, from, to time.Time, f FactFilter, offset, limit int) (_ []time.Duration, err error) {
	defer wrap(&err, "store: FactValues")
	args := []any{metric, bin, ts(from), ts(to)}
	var q strings.Builder
	// "+rf.at" keeps SQLite from reading the period through the (metric,
	// at) index and sorting it: the bin index is the short way, in order.
	q.WriteString("SELECT rf.value FROM report_facts rf WHERE rf.metric = $1 AND rf.bin = $2 AND +rf.at >= $3 AND +rf.at < $4")
	f.where(&q, &args, "rf")
	args = append(args, limit, offset)
	q.WriteString(" ORDER BY rf.value LIMIT $" + strconv.Itoa(len(args)-1) + " OFFSET $" + strconv.Itoa(len(args)))
	rows, err := db.read.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (time.Duration, error) {
		var us int64
		err := r.Scan(&us)
		return time.Duration(us) * time.Microsecond, err
	})
}

// AgentDayPeaks returns the stored daily peaks of days [d0, d1) over all
// conversations (dim "") or within one value of a dimension, by agent and
// day.
func (db *DB) AgentDayPeaks(ctx context.Context, d0, d1 int64, dim, val string) (_ map[[2]int64]int, err error) {
	defer wrap(&err, "store: AgentDayPeaks")
	rows, err := db.read.QueryContext(ctx, "SELECT agent_id, day, peak FROM report_agent_days WHERE day >= $1 AND day < $2 AND dim = $3 AND val = $4", d0, d1, dim, val)
	if err != nil {
		return nil, err
	}
	out := map[[2]int64]int{}
	for rows.Next() {
		var a, d int64
		var p int
		if err := rows.Scan(&a, &d, &p); err != nil {
			rows.Close()
			return nil, err
		}
		out[[2]int64{a, d}] = p
	}
	return out, rows.Err()
}

// AgentBusy returns the facts of metric for agent that overlap [from,
// to): those that start in it, and those running (until NULL) that
// started before it.
func (db *DB) AgentBusy(ctx context.Context, metric int, agent int64, from, to time.Time) (_ []Fact, err error) {
	defer wrap(&err, "store: AgentBusy")
	rows, err := db.read.QueryContext(ctx, "SELECT "+rfColumns+` FROM report_facts rf WHERE rf.metric = $1 AND rf.agent_id = $2
		AND ((rf.at >= $3 AND rf.at < $4) OR (rf.at < $3 AND rf.until IS NULL))`, metric, agent, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, scanFact)
}

// VolumeRow counts facts of one attribute set.
type VolumeRow struct {
	InboxID int64
	TeamID  int64
	Labels  string
	N       int64
}

// VolumeByAttrs counts the facts of metric with at in the raw ranges under
// f, by inbox, team and labels.
func (db *DB) VolumeByAttrs(ctx context.Context, metric int, raw [][2]time.Time, f FactFilter) (_ []VolumeRow, err error) {
	defer wrap(&err, "store: VolumeByAttrs")
	var out []VolumeRow
	for _, rg := range raw {
		if !rg[0].Before(rg[1]) {
			continue
		}
		args := []any{metric, ts(rg[0]), ts(rg[1])}
		var q strings.Builder
		q.WriteString("SELECT rf.inbox_id, rf.team_id, rf.labels, COUNT(*) FROM report_facts rf WHERE rf.metric = $1 AND rf.at >= $2 AND rf.at < $3")
		f.where(&q, &args, "rf")
		q.WriteString(" GROUP BY rf.inbox_id, rf.team_id, rf.labels")
		rows, err := db.read.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, err
		}
		list, err := collect(rows, func(r *sql.Rows) (VolumeRow, error) {
			var v VolumeRow
			return v, r.Scan(&v.InboxID, &v.TeamID, &v.Labels, &v.N)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// FactConversations returns the conversations with a fact of metric for
// agent (the agent filter's touch facts), or, when labels is not empty, a
// fact of metric 19 with those labels (the label filter's; the partial
// index report_facts_label names the metric).
func (db *DB) FactConversations(ctx context.Context, metric int, agent int64, labels string) (_ []int64, err error) {
	defer wrap(&err, "store: FactConversations")
	var rows *sql.Rows
	if labels != "" {
		rows, err = db.read.QueryContext(ctx, "SELECT DISTINCT conversation_id FROM report_facts WHERE metric = 19 AND labels = $1", labels)
	} else {
		rows, err = db.read.QueryContext(ctx, "SELECT DISTINCT conversation_id FROM report_facts WHERE metric = $1 AND agent_id = $2", metric, agent)
	}
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// rfColumns are factColumns for queries that alias report_facts rf.
var rfColumns = "rf." + strings.ReplaceAll(factColumns, ", ", ", rf.")

// Segment is an interval of a fact: an agent's busy piece.
type Segment struct {
	AgentID int64
	At      time.Time
	Until   *time.Time
}

// Segments returns the agent, start and end of the facts of metric with
// at in [from, to) under f: the few columns a sweep needs.
func (db *DB) Segments(ctx context.Context, metric int, from, to time.Time, f FactFilter) (_ []Segment, err error) {
	defer wrap(&err, "store: Segments")
	args := []any{metric, ts(from), ts(to)}
	var q strings.Builder
	q.WriteString("SELECT rf.agent_id, rf.at, rf.until FROM report_facts rf WHERE rf.metric = $1 AND rf.at >= $2 AND rf.at < $3")
	f.where(&q, &args, "rf")
	rows, err := db.read.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Segment, error) {
		var s Segment
		var at int64
		var until sql.NullInt64
		err := r.Scan(&s.AgentID, &at, &until)
		s.At, s.Until = fromTS(at), fromNullTS(until)
		return s, err
	})
}

// TopFacts selects the conversations behind a report's number.
type TopFacts struct {
	Metric  int
	Bit     int // when not 0, only facts with this flag bit
	From    time.Time
	To      time.Time
	Slowest bool // by value, largest first (the histogram index, walked backwards); else newest first
	Limit   int
	Filter  FactFilter
	NoCount bool // the caller counts them another way
}

// TopFactConversations returns up to q.Limit conversations with a fact of
// q.Metric in [q.From, q.To) under q.Filter, in q's order, each once, and
// how many conversations have one.
func (db *DB) TopFactConversations(ctx context.Context, q TopFacts) (ids []int64, total int, err error) {
	defer wrap(&err, "store: TopFactConversations")
	args := []any{q.Metric, ts(q.From), ts(q.To)}
	var w strings.Builder
	// "+rf.at" for the slowest: the walk must follow the histogram index.
	at := "rf.at"
	if q.Slowest {
		at = "+rf.at"
	}
	w.WriteString(" FROM report_facts rf WHERE rf.metric = $1 AND " + at + " >= $2 AND " + at + " < $3")
	if q.Bit != 0 {
		args = append(args, q.Bit)
		w.WriteString(" AND (rf.flag & $" + strconv.Itoa(len(args)) + ") <> 0")
	}
	q.Filter.where(&w, &args, "rf")
	if !q.NoCount {
		if err := db.read.QueryRowContext(ctx, "SELECT COUNT(DISTINCT rf.conversation_id)"+w.String(), args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	order := " ORDER BY rf.at DESC"
	if q.Slowest {
		order = " ORDER BY rf.bin DESC, rf.value DESC"
	}
	// A conversation can have several facts (next responses): read a few
	// more than wanted and keep each conversation's first.
	args = append(args, 4*q.Limit)
	rows, err := db.read.QueryContext(ctx, "SELECT rf.conversation_id"+w.String()+order+" LIMIT $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := collect(rows, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, 0, err
	}
	seen := map[int64]bool{}
	for _, id := range list {
		if !seen[id] && len(ids) < q.Limit {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, total, nil
}
