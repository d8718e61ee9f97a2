-- The assistant's summaries, cached per conversation and the last message
-- they read (so a page view never recomputes one), and the drafts it
-- showed, with which one an agent used and how much they edited it
-- (SQLite). Paired with ../postgres/0024_assist.sql.
CREATE TABLE assist_summaries (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id),
    last_message_id INTEGER NOT NULL,
    engine          TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE assist_drafts (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    inbox_id        INTEGER NOT NULL REFERENCES inboxes (id),
    agent_id        INTEGER REFERENCES agents (id),
    last_message_id INTEGER NOT NULL,
    engine          TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    shown           INTEGER NOT NULL,
    used_index      INTEGER,
    message_id      INTEGER REFERENCES messages (id),
    edit_distance   INTEGER,
    edit_ratio      REAL,
    used_at         INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX assist_drafts_conversation ON assist_drafts (conversation_id, id);
CREATE INDEX assist_drafts_created ON assist_drafts (created_at);
