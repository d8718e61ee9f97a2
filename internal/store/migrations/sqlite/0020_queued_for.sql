-- A reopened conversation whose agent is full waits in the queue held for
-- that agent (SQLite). Paired with ../postgres/0020_queued_for.sql.

-- queued_for: the agent a queued conversation is held for (they know the
-- case); NULL when it may go to anyone, and whenever queued_at is NULL.
-- No foreign key: routing releases a hold whose agent is gone.
ALTER TABLE conversations ADD COLUMN queued_for BIGINT;
