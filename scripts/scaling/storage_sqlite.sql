-- Bytes per message in a Parley database on SQLite: pages per table and
-- index, in total and per message.
--
--   sqlite3 -readonly DATA_DIR/parley.db < scripts/scaling/storage_sqlite.sql
--
-- Uses the dbstat virtual table (the sqlite3 shell from Debian has it:
-- SQLITE_ENABLE_DBSTAT_VTAB); without it those queries fail, and the
-- first one, page counts only, still gives the whole file's bytes per
-- message. The counts scan messages and events: run it on a
-- copy or a quiet machine. messages_fts* are the FTS5 index's shadow
-- tables (the full-text search index). Sizes are whole pages, including
-- free space inside them; free pages are listed at the end. On a small
-- database, fixed costs weigh: compare two sizes of one database instead
-- (the difference divided by the messages added).

.headers on
.mode column

.print
.print "Whole file (page_count x page_size; needs no dbstat)"
SELECT (SELECT count(*) FROM messages) AS messages,
       page_count * page_size AS file_bytes,
       round(1.0 * page_count * page_size / NULLIF((SELECT count(*) FROM messages), 0)) AS file_bytes_per_message
FROM pragma_page_count(), pragma_page_size();

.print
.print "Tables and indexes by size"
SELECT name, sum(pgsize) AS bytes, count(*) AS pages
FROM dbstat
GROUP BY name
ORDER BY bytes DESC
LIMIT 30;

.print
.print "Per message"
WITH n AS (
    SELECT (SELECT count(*) FROM messages) AS messages,
           (SELECT count(*) FROM events)   AS events
), s AS (
    SELECT
      (SELECT sum(pgsize) FROM dbstat WHERE name = 'messages'
          OR name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'messages')) AS messages_all,
      (SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'messages_fts%')                              AS fts,
      (SELECT sum(pgsize) FROM dbstat WHERE name = 'events'
          OR name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events'))   AS events_all,
      (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())                  AS file_bytes
)
SELECT n.messages,
       n.events,
       round(1.0 * n.events / NULLIF(n.messages, 0), 2)  AS events_per_message,
       round(1.0 * s.messages_all / NULLIF(n.messages, 0)) AS messages_bytes_per_message,
       round(1.0 * s.fts / NULLIF(n.messages, 0))        AS fts_bytes_per_message,
       round(1.0 * s.events_all / NULLIF(n.messages, 0)) AS events_bytes_per_message,
       round(1.0 * s.file_bytes / NULLIF(n.messages, 0)) AS file_bytes_per_message,
       s.file_bytes
FROM n, s;

.print
.print "Free pages (space SQLite will reuse before growing the file)"
SELECT freelist_count AS free_pages FROM pragma_freelist_count();
