-- The reply-time promise reads the latest first responses of a priority,
-- newest answer first, in a team or an inbox (SQLite). Paired with
-- ../postgres/0019_promise_history.sql.
CREATE INDEX conversations_first_response_inbox ON conversations (inbox_id, priority, first_response_at DESC) WHERE first_response_at IS NOT NULL;
CREATE INDEX conversations_first_response_team ON conversations (team_id, priority, first_response_at DESC) WHERE first_response_at IS NOT NULL AND team_id IS NOT NULL;
