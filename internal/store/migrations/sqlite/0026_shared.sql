-- What several Parley processes on one database must share rather than
-- keep each for itself (docs/ARCHITECTURE.md, "Nothing per node").
-- Paired with ../postgres/0026_shared.sql. A SQLite Parley is one
-- process: it keeps attachments as files and limits in memory, so these
-- tables stay empty there; they exist so both databases have one schema
-- and the store's tests run the same SQL on both.
CREATE TABLE blob_contents (
    sha256      TEXT PRIMARY KEY,
    content_id  BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    chunk_size  INTEGER NOT NULL,
    written_at  BIGINT NOT NULL
);
CREATE TABLE blob_chunks (
    content_id  BIGINT NOT NULL,
    n           INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (content_id, n)
);

CREATE TABLE limits (
    key         TEXT PRIMARY KEY,
    n           BIGINT NOT NULL DEFAULT 0,
    at          BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX limits_expires ON limits (expires_at);
