-- What several Parley processes on one database must share rather than
-- keep each for itself (docs/ARCHITECTURE.md, "Nothing per node").
-- Paired with ../sqlite/0026_shared.sql.

-- Attachment bytes, by SHA-256, when the database is PostgreSQL (blobs
-- keeps what is known of each upload; these keep the bytes): every
-- node reads what any node received. A blob's bytes are split into
-- chunks so neither side ever holds a whole file; content_id names one
-- Put's chunks, so a Put that lost a race to store the same bytes
-- deletes its own chunks and never touches the winner's.
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
    data        BYTEA NOT NULL,
    PRIMARY KEY (content_id, n)
);
-- Attachments are mostly compressed already (images, PDFs, archives):
-- store the chunks out of line without trying to compress them again.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- Rate limits and sign-in strikes shared by every node: one row per key,
-- changed by a single statement. For a rate limit, at is the key's
-- theoretical arrival time (GCRA); for strikes, n counts failures and at
-- is the latest. A row past expires_at holds no information and is pruned.
CREATE TABLE limits (
    key         TEXT PRIMARY KEY,
    n           BIGINT NOT NULL DEFAULT 0,
    at          BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX limits_expires ON limits (expires_at);
