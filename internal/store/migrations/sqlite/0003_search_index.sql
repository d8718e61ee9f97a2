-- Full-text indexing moves out of the message insert (SQLite). Indexing
-- one message per statement, and flushing the index at every commit, was
-- a quarter of ingest's cost; a background indexer now adds new messages
-- to messages_fts in large batches a moment later, and search first
-- indexes whatever is still pending, so results are never stale.
-- search_index_cursor holds the highest message id already indexed.
DROP TRIGGER messages_fts_insert;

CREATE TABLE search_index_cursor (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL
);
INSERT INTO search_index_cursor (id, last_id) VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM messages));

-- Edits and deletes touch the index only for messages it already holds.
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT last_id FROM search_index_cursor) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
WHEN old.id <= (SELECT last_id FROM search_index_cursor) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
