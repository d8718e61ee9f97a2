-- Pre-aggregated reports (internal/report, docs/ARCHITECTURE.md "Reports"):
-- each conversation's metrics, replayed from its events, as fact rows; and
-- those facts summed per UTC day. A report sums whole days from the
-- rollups and reads the partial days at its edges from the facts. Paired
-- with ../postgres/0008_report_facts.sql.

-- A fact is one metric sample of a conversation: metric is a code
-- (report.Metric), at (µs) the moment it counts in a period, until the
-- end of an interval (NULL: still running), value a duration in µs, flag
-- and bin metric-specific small integers. The conversation's attributes
-- are copied so that filters need no join; a conversation's facts are
-- rewritten whenever it gets a new event.
CREATE TABLE report_facts (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    metric          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    until           INTEGER,
    agent_id        INTEGER NOT NULL DEFAULT 0,
    value           INTEGER NOT NULL DEFAULT 0,
    flag            INTEGER NOT NULL DEFAULT 0,
    bin             INTEGER NOT NULL DEFAULT 0,
    inbox_id        INTEGER NOT NULL,
    team_id         INTEGER NOT NULL DEFAULT 0,
    priority        TEXT    NOT NULL,
    labels          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX report_facts_conversation ON report_facts (conversation_id);
CREATE INDEX report_facts_at ON report_facts (metric, at);
-- A histogram bin in value order, with what attribute filters test, so
-- that the exact median of a filtered report reads one bin of the index.
CREATE INDEX report_facts_bin ON report_facts (metric, bin, value, at, inbox_id, team_id, priority, labels);
CREATE INDEX report_facts_agent ON report_facts (metric, agent_id, at);
-- Running intervals (an assignment or a status not ended yet): few rows,
-- read whole by every report (report.mBusy = 12, report.mStatusIn = 13).
CREATE INDEX report_facts_running_busy ON report_facts (metric, at) WHERE metric = 12 AND until IS NULL;
CREATE INDEX report_facts_running_status ON report_facts (metric, at) WHERE metric = 13 AND until IS NULL;
-- A label's conversations (report.mLabel facts), for the label filter.
CREATE INDEX report_facts_label ON report_facts (labels, conversation_id) WHERE metric = 19;

-- Facts summed per UTC day (day = at / 86400000000): over everything
-- (report_totals, what an unfiltered report reads) and per value of one
-- attribute at a time (report_rollup: dim 'i' an inbox id, 't' a team id,
-- '0' for none, 'p' a priority, 'l' a label), so that a report filtered to
-- an inbox, a channel, a team, a priority or a label reads the rows of
-- that value alone. A fact is counted once per dimension (and per label).
-- n is how many facts, total the sum of their values. labels is kept for
-- the volume of new conversations by label only.
CREATE TABLE report_rollup (
    metric   INTEGER NOT NULL,
    dim      TEXT    NOT NULL,
    val      TEXT    NOT NULL,
    day      INTEGER NOT NULL,
    flag     INTEGER NOT NULL,
    bin      INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    labels   TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    total    INTEGER NOT NULL,
    PRIMARY KEY (metric, dim, val, day, flag, bin, agent_id, labels)
);
CREATE TABLE report_totals (
    day      INTEGER NOT NULL,
    metric   INTEGER NOT NULL,
    flag     INTEGER NOT NULL,
    bin      INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    labels   TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    total    INTEGER NOT NULL,
    PRIMARY KEY (metric, day, flag, bin, agent_id, labels)
);

-- An agent's peak of open conversations per UTC day, from the facts of
-- every conversation they held that day (dim ''), and within each inbox,
-- team, priority and label of those (dim and val as in report_rollup).
CREATE TABLE report_agent_days (
    agent_id INTEGER NOT NULL,
    day      INTEGER NOT NULL,
    dim      TEXT    NOT NULL,
    val      TEXT    NOT NULL,
    peak     INTEGER NOT NULL,
    PRIMARY KEY (agent_id, day, dim, val)
);

-- How far the event log has been projected into facts.
CREATE TABLE report_cursor (
    id         INTEGER PRIMARY KEY,
    seq        INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO report_cursor (id, seq, updated_at) VALUES (1, 0, 0);
