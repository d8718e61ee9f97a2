-- Parley's first schema (SQLite). Kept column-for-column equal to
-- ../postgres/0001_init.sql; a test compares the two.
-- Times are INTEGER Unix microseconds, UTC.

CREATE TABLE agents (
    id                   INTEGER PRIMARY KEY,
    email                TEXT    NOT NULL UNIQUE,
    name                 TEXT    NOT NULL,
    role                 TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
    password_hash        TEXT    NOT NULL,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    agent_id     INTEGER REFERENCES agents (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE inboxes (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    channel_type       TEXT    NOT NULL,
    reopen_window_secs INTEGER NOT NULL,
    webhook_url        TEXT    NOT NULL DEFAULT '',
    webhook_secret     TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL DEFAULT '',
    email          TEXT    NOT NULL DEFAULT '',
    phone          TEXT    NOT NULL DEFAULT '',
    merged_into_id INTEGER REFERENCES contacts (id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE identities (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    kind        TEXT    NOT NULL,
    scope       INTEGER NOT NULL DEFAULT 0,
    external_id TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, scope, external_id)
);
CREATE INDEX identities_contact ON identities (contact_id);

CREATE TABLE contact_merges (
    id               INTEGER PRIMARY KEY,
    target_id        INTEGER NOT NULL REFERENCES contacts (id),
    source_id        INTEGER NOT NULL REFERENCES contacts (id),
    agent_id         INTEGER REFERENCES agents (id),
    identity_ids     TEXT    NOT NULL,
    conversation_ids TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    unmerged_at      INTEGER
);

CREATE TABLE conversations (
    id                INTEGER PRIMARY KEY,
    inbox_id          INTEGER NOT NULL REFERENCES inboxes (id),
    contact_id        INTEGER NOT NULL REFERENCES contacts (id),
    status            TEXT    NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    priority          TEXT    NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id       INTEGER REFERENCES agents (id),
    team_id           INTEGER REFERENCES teams (id),
    snoozed_until     INTEGER,
    first_response_at INTEGER,
    resolved_at       INTEGER,
    reopen_count      INTEGER NOT NULL DEFAULT 0,
    previous_id       INTEGER REFERENCES conversations (id),
    last_activity_at  INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
-- The list is newest activity first, filtered by one of these at a time.
-- The team index is partial: conversations without a team cost nothing to
-- keep in it each time a message moves their last_activity_at.
CREATE INDEX conversations_activity ON conversations (last_activity_at DESC, id DESC);
CREATE INDEX conversations_status ON conversations (status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_inbox ON conversations (inbox_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_team ON conversations (team_id, last_activity_at DESC, id DESC) WHERE team_id IS NOT NULL;
CREATE INDEX conversations_contact ON conversations (contact_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_previous ON conversations (previous_id);

CREATE TABLE conversation_labels (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    label           TEXT    NOT NULL,
    PRIMARY KEY (conversation_id, label)
);
CREATE INDEX conversation_labels_label ON conversation_labels (label, conversation_id);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations (id),
    inbox_id          INTEGER NOT NULL REFERENCES inboxes (id),
    direction         TEXT    NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'note')),
    author_agent_id   INTEGER REFERENCES agents (id),
    author_contact_id INTEGER REFERENCES contacts (id),
    text              TEXT    NOT NULL,
    external_id       TEXT,
    delivery_state    TEXT    NOT NULL DEFAULT '',
    delivery_error    TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (inbox_id, external_id)
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- Full-text index over message text, kept in step by triggers. External
-- content: the text is stored once, in messages.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0',
    detail = column
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE blobs (
    sha256       TEXT    PRIMARY KEY,
    size         INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages (id),
    sha256       TEXT    NOT NULL REFERENCES blobs (sha256),
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- The append-only event log. seq is assigned in commit order (one writer).
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    type            TEXT    NOT NULL,
    conversation_id INTEGER,
    contact_id      INTEGER,
    message_id      INTEGER,
    agent_id        INTEGER,
    data            TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX events_conversation ON events (conversation_id, seq);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    run_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT '',
    locked_by    TEXT    NOT NULL DEFAULT '',
    locked_until INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
