-- Only conversations that follow another are entered in the index of
-- predecessors (no query reads it; the foreign key's check does, and its
-- "previous_id = ?" still finds them). PostgreSQL also drops the message's
-- redundant key to its inbox; SQLite cannot drop a constraint without
-- rebuilding the table, and its check costs little there. Paired with
-- ../postgres/0036_lighter_writes.sql.
DROP INDEX conversations_previous;
CREATE INDEX conversations_previous ON conversations (previous_id) WHERE previous_id IS NOT NULL;
