-- A search limited to a time window far back finds the window's first and
-- last message ids from this index, and walks only that stretch of the
-- full-text matches (store/search.go, windowIDs). The rowid rides along in
-- every SQLite index, so the bounds are read from the index alone.
CREATE INDEX messages_created ON messages (created_at);
