-- Paired with ../sqlite/0037_cheaper_checks.sql, which rewrites SQLite's
-- IN-list checks (a temporary b-tree per checked row there) and drops the
-- message's key to its inbox. PostgreSQL tests an IN list against a
-- constant array and lost that key in 0036: nothing to change.
SELECT 1;
