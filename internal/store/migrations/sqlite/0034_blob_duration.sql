-- A video's length in milliseconds (0 when unknown), read from its
-- container when it is uploaded (internal/media): a browser's recording
-- does not say its length until played to the end, so Parley shows it.
-- Paired with ../postgres/0034_blob_duration.sql.
ALTER TABLE blobs ADD COLUMN duration_ms INTEGER NOT NULL DEFAULT 0;
