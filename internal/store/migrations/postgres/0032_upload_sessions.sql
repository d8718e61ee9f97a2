-- Resumable uploads; see ../sqlite/0032_upload_sessions.sql.
CREATE TABLE upload_sessions (
    id          TEXT   PRIMARY KEY,
    owner       TEXT   NOT NULL,
    length      BIGINT NOT NULL,
    received    BIGINT NOT NULL DEFAULT 0,
    filename    TEXT   NOT NULL DEFAULT '',
    sha256      TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX upload_sessions_updated ON upload_sessions (updated_at);
CREATE TABLE upload_pieces (
    session_id  TEXT   NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    data        BYTEA  NOT NULL,
    PRIMARY KEY (session_id, at)
);
ALTER TABLE upload_pieces ALTER COLUMN data SET STORAGE EXTERNAL;
