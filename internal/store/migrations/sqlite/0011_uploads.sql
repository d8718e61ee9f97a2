-- Uploads that no message uses are deleted after a grace period counted
-- from their latest upload (blobs are shared by content, so a re-upload
-- of a known file must restart the clock that created_at never moves).
ALTER TABLE blobs ADD COLUMN uploaded_at INTEGER NOT NULL DEFAULT 0;
UPDATE blobs SET uploaded_at = created_at;
CREATE INDEX blobs_uploaded ON blobs (uploaded_at);
CREATE INDEX attachments_sha256 ON attachments (sha256);

-- Widget uploads, for the per-visitor and per-address byte quotas. Rows
-- older than the quota window are pruned by the cleanup job.
CREATE TABLE widget_uploads (
    id         INTEGER PRIMARY KEY,
    inbox_id   INTEGER NOT NULL,
    visitor    TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX widget_uploads_visitor ON widget_uploads (inbox_id, visitor, created_at);
CREATE INDEX widget_uploads_address ON widget_uploads (address, created_at);
