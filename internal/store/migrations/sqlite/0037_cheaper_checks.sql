-- Checks the single writer no longer pays a temporary table for (issue 14).
--
-- SQLite evaluates "x IN ('a', 'b', 'c')" (a constant list of three or
-- more) by building a temporary b-tree of the list, and a CHECK does so
-- for every row it checks: every received message opened and closed one
-- for its direction, every new conversation two (status, priority), every
-- job one per change of status; about 4% of the writer's time under load.
-- The same tests written as equalities joined by OR accept and refuse the
-- same values (NULL included: neither form fails on it) and compile to a
-- few comparisons.
--
-- The message's key to its inbox goes too, as it went on PostgreSQL in
-- 0036 (see ../postgres/0036_lighter_writes.sql): its conversation's key
-- already holds the message to an inbox that exists, and the check read
-- the inboxes table once per message.
--
-- SQLite cannot alter a constraint without rebuilding the table (minutes
-- for millions of messages). Its documentation allows removing CHECK and
-- FOREIGN KEY constraints by editing the table's text in sqlite_schema,
-- which changes no stored row; the checks written again here accept
-- exactly the rows the old ones did, so no row can be out of step. RESET
-- makes this connection read the schema again; the table created and
-- dropped moves the schema's version on, which makes every other
-- connection read it again too. TestCheaperChecks holds the result.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(sql,
        'CHECK (direction IN (''incoming'', ''outgoing'', ''note''))',
        'CHECK (direction = ''incoming'' OR direction = ''outgoing'' OR direction = ''note'')'),
        'inbox_id          INTEGER NOT NULL REFERENCES inboxes (id),',
        'inbox_id          INTEGER NOT NULL,')
    WHERE type = 'table' AND name = 'messages';
UPDATE sqlite_schema SET sql = replace(replace(sql,
        'CHECK (status IN (''open'', ''pending'', ''snoozed'', ''resolved''))',
        'CHECK (status = ''open'' OR status = ''pending'' OR status = ''snoozed'' OR status = ''resolved'')'),
        'CHECK (priority IN (''low'', ''normal'', ''high'', ''urgent''))',
        'CHECK (priority = ''low'' OR priority = ''normal'' OR priority = ''high'' OR priority = ''urgent'')')
    WHERE type = 'table' AND name = 'conversations';
UPDATE sqlite_schema SET sql = replace(sql,
        'CHECK (status IN (''pending'', ''running'', ''done'', ''failed''))',
        'CHECK (status = ''pending'' OR status = ''running'' OR status = ''done'' OR status = ''failed'')')
    WHERE type = 'table' AND name = 'jobs';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_reload (x INTEGER);
DROP TABLE schema_reload;
