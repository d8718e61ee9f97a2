-- Workflows (internal/flow). Paired with ../postgres/0028_flow.sql.
--
-- workflows: one row per workflow; version is the one new runs start on.
-- workflow_versions keeps every saved document, so a run finishes on the
-- version it started with however often the workflow is edited.
CREATE TABLE workflows (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    version    INTEGER  NOT NULL,
    created_at INTEGER  NOT NULL,
    updated_at INTEGER  NOT NULL
);

CREATE TABLE workflow_versions (
    workflow_id INTEGER NOT NULL REFERENCES workflows(id),
    version     INTEGER NOT NULL,
    source      TEXT   NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

-- flow_runs: one run of one version. trigger_key names what started it
-- (an event, a call): unique, so a trigger starts a run at most once.
-- step is the id of the step to run next ('' once the run has ended);
-- vars holds the trigger's input and every finished step's output.
CREATE TABLE flow_runs (
    id              INTEGER PRIMARY KEY,
    workflow_id     INTEGER NOT NULL REFERENCES workflows(id),
    version         INTEGER NOT NULL,
    trigger_key     TEXT   NOT NULL UNIQUE,
    conversation_id INTEGER REFERENCES conversations(id),
    status          TEXT   NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    step            TEXT   NOT NULL,
    vars            TEXT   NOT NULL,
    error           TEXT   NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX flow_runs_status ON flow_runs (status, id);
CREATE INDEX flow_runs_workflow ON flow_runs (workflow_id, id);
CREATE INDEX flow_runs_conversation ON flow_runs (conversation_id, id) WHERE conversation_id IS NOT NULL;

-- flow_steps: what each step of a run did, in the order it ran (seq).
-- A step that acts outside Parley is recorded as started, with the
-- request it will send, before it acts: a retry after a crash sends the
-- same request with the same idempotency key.
CREATE TABLE flow_steps (
    run_id      INTEGER NOT NULL REFERENCES flow_runs(id),
    seq         INTEGER NOT NULL,
    step        TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('started', 'done', 'failed')),
    input       TEXT   NOT NULL DEFAULT '{}',
    output      TEXT   NOT NULL DEFAULT '{}',
    error       TEXT   NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (run_id, seq)
);
