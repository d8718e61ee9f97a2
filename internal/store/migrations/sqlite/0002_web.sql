-- The agent inbox and the website widget (SQLite). Paired with
-- ../postgres/0002_web.sql.

-- Agent sign-in sessions. The cookie carries a random secret; only its
-- SHA-256 is stored. The CSRF token is per session.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    agent_id     INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_agent ON sessions (agent_id);

-- Saved replies with {{contact.name}}-style variables.
CREATE TABLE canned_responses (
    id         INTEGER PRIMARY KEY,
    shortcut   TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Workspace settings (SMTP and the like), one row per key.
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Website widget settings on inboxes.
ALTER TABLE inboxes ADD COLUMN identity_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE inboxes ADD COLUMN email_ask TEXT NOT NULL DEFAULT 'never';
ALTER TABLE inboxes ADD COLUMN away_minutes INTEGER NOT NULL DEFAULT 5;
ALTER TABLE inboxes ADD COLUMN reply_time_text TEXT NOT NULL DEFAULT '';
ALTER TABLE inboxes ADD COLUMN greeting TEXT NOT NULL DEFAULT '';

-- The agent presence that the widget's email prompt and routing read.
ALTER TABLE agents ADD COLUMN last_seen_at INTEGER;

-- Notifications sent (or not) to a contact about a reply, e.g. the email
-- telling a widget visitor who left that an agent answered.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    message_id      INTEGER REFERENCES messages (id),
    channel         TEXT    NOT NULL,
    recipient       TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'not_sent', 'failed')),
    reason          TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX notifications_conversation ON notifications (conversation_id, id);

-- Unread counts for widget visitors: the last message id they have seen.
ALTER TABLE conversations ADD COLUMN contact_seen_message_id INTEGER NOT NULL DEFAULT 0;

-- What a merge copied into the target's empty name, email and phone (JSON),
-- so that unmerge can take it back.
ALTER TABLE contact_merges ADD COLUMN filled TEXT NOT NULL DEFAULT '{}';

-- When a widget visitor last had the widget open (connection presence), so
-- agents' replies reach visitors who left by email instead.
ALTER TABLE contacts ADD COLUMN last_seen_at INTEGER;
