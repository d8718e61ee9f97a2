-- Resumable uploads (internal/resumable, the tus 1.0 protocol): a file
-- sent in pieces, each piece committed as it arrives, so a connection
-- that drops loses only the piece in flight. Paired with
-- ../postgres/0032_upload_sessions.sql. The pieces live in the database
-- (not on one node's disk) so the next piece may reach any node; once
-- the last arrives they become one blob and are deleted.
CREATE TABLE upload_sessions (
    id          TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    length      INTEGER NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,
    filename    TEXT    NOT NULL DEFAULT '',
    sha256      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX upload_sessions_updated ON upload_sessions (updated_at);
CREATE TABLE upload_pieces (
    session_id  TEXT    NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    PRIMARY KEY (session_id, at)
);
