-- Customer effort (CES) and satisfaction (CSAT) surveys sent after a
-- resolution (SQLite). Paired with ../postgres/0009_surveys.sql.

-- One row per resolution that was considered for a survey: status "sent"
-- (message_id is the question Parley sent) or "skipped" (skip_reason says
-- why: cooldown, a closed window, an opt-out). UNIQUE (conversation_id,
-- resolved_at) makes the send job idempotent: one survey per resolution.
-- The token authenticates the customer's answer (links, button payloads).
-- agent_id is the assignee at the resolution, for per-agent reports.
-- last_reply_id is the provider id of the last texted digit recorded (SMS,
-- Zalo), so that a redelivered webhook records nothing more.
CREATE TABLE surveys (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    contact_id      INTEGER NOT NULL REFERENCES contacts (id),
    inbox_id        INTEGER NOT NULL REFERENCES inboxes (id),
    agent_id        INTEGER REFERENCES agents (id),
    resolved_at     INTEGER NOT NULL,
    token           TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('sent', 'skipped')),
    skip_reason     TEXT    NOT NULL DEFAULT '',
    message_id      INTEGER REFERENCES messages (id),
    language        TEXT    NOT NULL DEFAULT '',
    ask_csat        BOOLEAN NOT NULL DEFAULT TRUE,
    sent_at         INTEGER,
    ces             INTEGER CHECK (ces BETWEEN 1 AND 5),
    csat            INTEGER CHECK (csat BETWEEN 1 AND 5),
    comment         TEXT    NOT NULL DEFAULT '',
    answered_at     INTEGER,
    last_reply_id   TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, resolved_at)
);
-- The contact cooldown and a texted digit's pending survey.
CREATE INDEX surveys_contact ON surveys (contact_id, sent_at) WHERE sent_at IS NOT NULL;
-- Reports: sent and answered in a period.
CREATE INDEX surveys_sent ON surveys (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX surveys_answered ON surveys (answered_at) WHERE answered_at IS NOT NULL;
-- The widget shows the answer buttons under the survey's message.
CREATE INDEX surveys_message ON surveys (message_id) WHERE message_id IS NOT NULL;
