-- The durable-work kernel (internal/work), PostgreSQL. Paired with
-- ../sqlite/0025_work.sql.
--
-- leases: work that must run on one node at a time. A holder keeps its
-- lease by renewing it before expires_at; another node may take it once
-- that has passed. token grows by one each time the lease changes hands,
-- so a write fenced by it fails for a holder that lost the lease.
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    token      BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);

-- event_cursors: how far each consumer of the event log has handled it,
-- moved in the transaction that writes what the handling produced.
CREATE TABLE event_cursors (
    name       TEXT    PRIMARY KEY,
    seq        BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);

-- The report projector and the widget's reply watcher kept cursors of
-- their own; they become consumers like any other.
INSERT INTO event_cursors (name, seq, updated_at)
    SELECT 'report.projector', seq, updated_at FROM report_cursor WHERE id = 1;
INSERT INTO event_cursors (name, seq, updated_at)
    SELECT 'widget.replies', CAST(value AS BIGINT), 0 FROM settings WHERE key = 'cursor.widget_replies';
DELETE FROM settings WHERE key = 'cursor.widget_replies';
DROP TABLE report_cursor;
