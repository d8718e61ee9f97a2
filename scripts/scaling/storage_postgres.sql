-- Bytes per message in a Parley database on PostgreSQL: what the tables
-- that grow with traffic take on disk, in total and per message.
--
-- Run against the schema Parley uses (read-only; the two count(*) scan
-- messages and events, so run it on a quiet machine or a replica):
--
--   psql "$PARLEY_DATABASE_URL" -f scripts/scaling/storage_postgres.sql
--   psql "postgres://…/db?options=-csearch_path%3Dmyschema" -f scripts/scaling/storage_postgres.sql
--
-- pg_total_relation_size counts the heap, its TOAST and every index;
-- sizes are on-disk pages, so free space left by deletes and updates
-- (not yet vacuumed) counts too. Per-message figures mean "this table's
-- bytes divided by the number of messages", whatever the table holds.
-- On a database of a few thousand messages, fixed costs (an index's
-- first pages) weigh; compare two sizes of one database instead (the
-- difference divided by the messages added), as docs/SCALING.md does.

\pset footer off
\echo 'Tables that grow with traffic (rows: planner estimate, -1 = never analysed)'
SELECT c.relname                                        AS table,
       c.reltuples::bigint                              AS rows_est,
       pg_size_pretty(pg_relation_size(c.oid))          AS heap,
       pg_size_pretty(pg_total_relation_size(c.oid) - pg_relation_size(c.oid) - pg_indexes_size(c.oid)) AS toast,
       pg_size_pretty(pg_indexes_size(c.oid))           AS indexes,
       pg_total_relation_size(c.oid)                    AS total_bytes
FROM pg_class c
WHERE c.oid IN (SELECT to_regclass(t) FROM unnest(ARRAY[
        'messages', 'events', 'conversations', 'conversation_labels', 'contacts', 'identities',
        'attachments', 'blobs', 'blob_contents', 'blob_chunks', 'jobs', 'notifications',
        'report_facts', 'report_rollup', 'report_totals', 'report_agent_days',
        'kb_docs', 'kb_answers', 'assist_summaries', 'assist_drafts', 'surveys']) AS t)
ORDER BY total_bytes DESC;

\echo 'Indexes of messages and events (messages_search is the full-text GIN index)'
SELECT i.indexrelid::regclass AS index, pg_size_pretty(pg_relation_size(i.indexrelid)) AS size,
       pg_relation_size(i.indexrelid) AS bytes
FROM pg_index i
WHERE i.indrelid IN (to_regclass('messages'), to_regclass('events'))
ORDER BY bytes DESC;

\echo 'Per message (exact counts)'
WITH n AS (
    SELECT (SELECT count(*) FROM messages) AS messages,
           (SELECT count(*) FROM events)   AS events
), s AS (
    SELECT pg_total_relation_size('messages')                    AS messages_all,
           pg_relation_size('messages')                          AS messages_heap,
           COALESCE(pg_relation_size(to_regclass('messages_search')), 0) AS search_gin,
           pg_total_relation_size('events')                      AS events_all,
           (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
             WHERE c.relkind = 'r' AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())) AS schema_all
)
SELECT n.messages,
       n.events,
       round(n.events::numeric / NULLIF(n.messages, 0), 2)      AS events_per_message,
       round(s.messages_all::numeric / NULLIF(n.messages, 0))   AS messages_bytes_per_message,
       round(s.messages_heap::numeric / NULLIF(n.messages, 0))  AS of_which_heap,
       round(s.search_gin::numeric / NULLIF(n.messages, 0))     AS of_which_search_gin,
       round(s.events_all::numeric / NULLIF(n.messages, 0))     AS events_bytes_per_message,
       round(s.schema_all::numeric / NULLIF(n.messages, 0))     AS schema_bytes_per_message,
       s.schema_all                                             AS schema_bytes,
       pg_size_pretty(s.schema_all)                             AS schema_total
FROM n, s;

\echo 'Average stored size of the newest 10,000 messages (text, tsvector, whole row)'
SELECT count(*) AS sampled,
       round(avg(pg_column_size(m.text)))   AS text_bytes,
       round(avg(pg_column_size(m.search))) AS tsvector_bytes,
       round(avg(pg_column_size(m.*)))      AS row_bytes
FROM (SELECT * FROM messages ORDER BY id DESC LIMIT 10000) m;
