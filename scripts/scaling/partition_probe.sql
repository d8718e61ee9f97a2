-- Partitioning probe for PostgreSQL (docs/SCALING.md, "Partitioned
-- message tables"). It builds, in a throw-away schema (scaling_probe,
-- dropped at the end), a table shaped like Parley's messages twice: once
-- plain, once range-partitioned by month on created_at (BIGINT Unix
-- microseconds, as Parley stores times); loads the same ROWS rows into
-- both (spread evenly over 24 months, ids growing with time); and times
-- the queries partitioning is meant to help, the one it hurts, and the
-- retention it makes cheap.
--
--   psql "$URL" -v rows=200000 -f scripts/scaling/partition_probe.sql
--
-- rows defaults to 200,000 (a few seconds on 2 cores). Every query runs
-- under EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) seven times; the median
-- execution time and the buffer pages one run touched are reported.
-- Pages are the figure that carries to a large table; at 200,000 rows
-- everything is in shared_buffers, so times are small for every plan.

\set ON_ERROR_STOP on
\if :{?rows}
\else
  \set rows 200000
\endif
\pset footer off

SELECT version() AS server, current_setting('shared_buffers') AS shared_buffers, :rows AS rows,
       now() AS started, pg_size_pretty(:rows::bigint * 330) AS approx_table_size;

DROP SCHEMA IF EXISTS scaling_probe CASCADE;
CREATE SCHEMA scaling_probe;
SET search_path = scaling_probe;

-- The unpartitioned table: today's messages, less the tsvector (the
-- probe is about time ranges and conversations, not words).
CREATE TABLE flat (
    id              BIGINT PRIMARY KEY,
    conversation_id BIGINT NOT NULL,
    inbox_id        BIGINT NOT NULL,
    direction       TEXT   NOT NULL,
    text            TEXT   NOT NULL,
    external_id     TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (inbox_id, external_id)
);
CREATE INDEX flat_conversation ON flat (conversation_id, id);

-- The partitioned one. Its primary key must include the partition key.
CREATE TABLE part (
    id              BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL,
    inbox_id        BIGINT NOT NULL,
    direction       TEXT   NOT NULL,
    text            TEXT   NOT NULL,
    external_id     TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX part_conversation ON part (conversation_id, id);
CREATE INDEX part_created ON part (created_at);

-- Parley deduplicates incoming messages with UNIQUE (inbox_id,
-- external_id). A partitioned table cannot hold it unless the key
-- includes created_at, which would let a provider's retry of last
-- month's message in through this month's partition.
DO $$
BEGIN
    ALTER TABLE part ADD CONSTRAINT part_external UNIQUE (inbox_id, external_id);
    RAISE NOTICE 'UNIQUE (inbox_id, external_id) on the partitioned table: accepted (unexpected)';
EXCEPTION WHEN others THEN
    RAISE NOTICE 'UNIQUE (inbox_id, external_id) on the partitioned table: refused: %', SQLERRM;
END $$;

-- 24 monthly partitions ending with the current month.
SELECT (extract(epoch FROM date_trunc('month', now()) + interval '1 month') * 1e6)::bigint AS t_end,
       (extract(epoch FROM date_trunc('month', now()) - interval '23 months') * 1e6)::bigint AS t_start \gset
DO $$
DECLARE m timestamptz;
BEGIN
    FOR m IN SELECT generate_series(date_trunc('month', now()) - interval '23 months', date_trunc('month', now()), interval '1 month') LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF part FOR VALUES FROM (%s) TO (%s)',
            'part_' || to_char(m, 'YYYY_MM'),
            (extract(epoch FROM m) * 1e6)::bigint,
            (extract(epoch FROM m + interval '1 month') * 1e6)::bigint);
    END LOOP;
END $$;

\timing on
\echo 'Load: the same rows into both tables'
INSERT INTO flat
SELECT i,
       i / 5,                                                  -- 5 messages per conversation, written together
       1 + i % 5,
       CASE WHEN i % 2 = 0 THEN 'incoming' ELSE 'outgoing' END,
       'Hello, my order ' || i || ' has not arrived yet, could you check the delivery status and refund options please ' || md5(i::text),
       'ext-' || i,
       :t_start + ((:t_end - 1 - :t_start)::numeric * (i - 1) / :rows)::bigint
FROM generate_series(1, :rows) AS i;
INSERT INTO part SELECT * FROM flat;
\timing off
ANALYZE flat;
ANALYZE part;

SELECT pg_size_pretty(pg_total_relation_size('flat')) AS flat_total,
       (SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'part'::regclass) AS part_total,
       (SELECT count(*) FROM pg_inherits WHERE inhparent = 'part'::regclass) AS partitions;

-- probe runs q n times under EXPLAIN ANALYZE: median execution time and
-- the shared buffer pages (hit + read) of the last run.
CREATE FUNCTION probe(label text, q text, n int DEFAULT 7)
RETURNS TABLE (query text, median_ms numeric, pages bigint, plan_top text)
LANGUAGE plpgsql AS $$
DECLARE
    j json;
    t numeric[] := '{}';
    p bigint;
    top text;
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ' || q INTO j;
        t := t || (j->0->>'Execution Time')::numeric;
        p := (j->0->'Plan'->>'Shared Hit Blocks')::bigint + (j->0->'Plan'->>'Shared Read Blocks')::bigint;
        top := j->0->'Plan'->>'Node Type';
        IF j->0->'Plan'->'Plans' IS NOT NULL THEN
            top := top || ' > ' || (j->0->'Plan'->'Plans'->0->>'Node Type');
        END IF;
    END LOOP;
    RETURN QUERY SELECT label,
        (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(t) AS x)::numeric(12, 3), p, top;
END $$;

SELECT :t_end - 7 * 86400000000::bigint AS week_ago,
       :t_end - 365 * 86400000000::bigint AS year_ago,
       (SELECT conversation_id FROM flat WHERE id = :rows / 2) AS conv \gset

\echo 'Queries, today''s schema (no index on created_at) against the partitioned table'
SELECT * FROM probe('flat: count of the last 7 days', format('SELECT count(*) FROM flat WHERE created_at >= %s', :week_ago))
UNION ALL SELECT * FROM probe('part: count of the last 7 days', format('SELECT count(*) FROM part WHERE created_at >= %s', :week_ago))
UNION ALL SELECT * FROM probe('flat: newest 25 of a week a year back', format('SELECT id FROM flat WHERE created_at >= %s AND created_at < %s ORDER BY created_at DESC LIMIT 25', :year_ago, :year_ago + 7 * 86400000000::bigint))
UNION ALL SELECT * FROM probe('part: newest 25 of a week a year back', format('SELECT id FROM part WHERE created_at >= %s AND created_at < %s ORDER BY created_at DESC LIMIT 25', :year_ago, :year_ago + 7 * 86400000000::bigint))
UNION ALL SELECT * FROM probe('flat: one conversation, 50 by id', format('SELECT id, text FROM flat WHERE conversation_id = %s ORDER BY id LIMIT 50', :conv))
UNION ALL SELECT * FROM probe('part: one conversation, 50 by id', format('SELECT id, text FROM part WHERE conversation_id = %s ORDER BY id LIMIT 50', :conv))
UNION ALL SELECT * FROM probe('flat: one message by id', format('SELECT text FROM flat WHERE id = %s', :rows / 3))
UNION ALL SELECT * FROM probe('part: one message by id (no time known)', format('SELECT text FROM part WHERE id = %s', :rows / 3));

\echo 'The same with an index on flat (created_at): the fix docs/ARCHITECTURE.md names for the search corner'
CREATE INDEX flat_created ON flat (created_at);
ANALYZE flat;
SELECT pg_size_pretty(pg_relation_size('flat_created')) AS created_at_index,
       round(pg_relation_size('flat_created')::numeric / :rows, 1) AS bytes_per_row;
SELECT * FROM probe('flat+index: count of the last 7 days', format('SELECT count(*) FROM flat WHERE created_at >= %s', :week_ago))
UNION ALL SELECT * FROM probe('flat+index: newest 25 of a week a year back', format('SELECT id FROM flat WHERE created_at >= %s AND created_at < %s ORDER BY created_at DESC LIMIT 25', :year_ago, :year_ago + 7 * 86400000000::bigint));

\echo 'Retention: remove the oldest month (each in a transaction rolled back, so both tables stay whole)'
SELECT (extract(epoch FROM date_trunc('month', now()) - interval '22 months') * 1e6)::bigint AS cut,
       'part_' || to_char(date_trunc('month', now()) - interval '23 months', 'YYYY_MM') AS oldest \gset
\timing on
BEGIN;
DELETE FROM flat WHERE created_at < :cut;
ROLLBACK;
BEGIN;
ALTER TABLE part DETACH PARTITION :oldest;
DROP TABLE :oldest;
ROLLBACK;
\timing off

DROP SCHEMA scaling_probe CASCADE;
SELECT now() AS finished;
