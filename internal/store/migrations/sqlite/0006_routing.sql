-- Routing, capacity, SLAs and reply-time promises (SQLite). Paired with
-- ../postgres/0006_routing.sql.

-- Agents set their availability; capacity bounds their open conversations.
ALTER TABLE agents ADD COLUMN availability TEXT NOT NULL DEFAULT 'offline';
ALTER TABLE agents ADD COLUMN capacity INTEGER NOT NULL DEFAULT 12;
ALTER TABLE agents ADD COLUMN last_assigned_at INTEGER;

-- An inbox's routing, business hours, acknowledgement and auto-resolve
-- settings, as JSON (parley.Routing); a team's own business hours.
ALTER TABLE inboxes ADD COLUMN routing TEXT NOT NULL DEFAULT '{}';
ALTER TABLE teams ADD COLUMN hours TEXT NOT NULL DEFAULT '';

-- queued_at: waiting for an agent with room, since then (NULL: not queued).
-- sla: the running SLA timers as JSON; sla_due_at the nearest due time of
-- a running one, for the "breaching soon" view; sla_state ok, warning or
-- breached. promised_reply_by: what the acknowledgement promised.
ALTER TABLE conversations ADD COLUMN queued_at INTEGER;
ALTER TABLE conversations ADD COLUMN sla TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN sla_state TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN promised_reply_by INTEGER;
CREATE INDEX conversations_queue ON conversations (queued_at) WHERE queued_at IS NOT NULL;
CREATE INDEX conversations_sla_due ON conversations (sla_due_at) WHERE sla_due_at IS NOT NULL;

-- SLA targets per priority, optionally narrowed to an inbox, a team or a
-- label; the most specific matching policy applies. Durations in seconds
-- of business time; 0 means no target.
CREATE TABLE sla_policies (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL,
    priority            TEXT    NOT NULL DEFAULT '',
    inbox_id            INTEGER REFERENCES inboxes (id),
    team_id             INTEGER REFERENCES teams (id),
    label               TEXT    NOT NULL DEFAULT '',
    first_response_secs INTEGER NOT NULL DEFAULT 0,
    next_response_secs  INTEGER NOT NULL DEFAULT 0,
    resolution_secs     INTEGER NOT NULL DEFAULT 0,
    warn_percent        INTEGER NOT NULL DEFAULT 80,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

-- An agent's open conversations are counted on every assignment.
CREATE INDEX conversations_assignee_status ON conversations (assignee_id, status) WHERE assignee_id IS NOT NULL;
