-- A search limited to a time window far back finds the window's first and
-- last message ids from this index, and walks only that stretch of the
-- primary key (store/search.go, windowIDs). With id in the key the bounds
-- come from an index-only scan.
CREATE INDEX messages_created ON messages (created_at, id);
