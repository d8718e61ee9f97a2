-- Paired with ../sqlite/0003_search_index.sql. PostgreSQL indexes message
-- text through its generated tsvector column as rows are written, so it
-- has no indexer; the cursor table exists only to keep the two schemas
-- alike, and stays at 0.
CREATE TABLE search_index_cursor (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL
);
INSERT INTO search_index_cursor (id, last_id) VALUES (1, 0);
