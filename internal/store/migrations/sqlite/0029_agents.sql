-- Agent protocols (internal/a2a, internal/mcp). Paired with ../postgres/0029_agents.sql.
--
-- a2a_tasks: a conversation seen from outside, by the API token that
-- opened it over A2A. The task's state is read from the conversation
-- (docs/AGENTS.md); canceled_at is the one thing only the task knows.
CREATE TABLE a2a_tasks (
    id              TEXT   PRIMARY KEY,
    conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id),
    token_id        INTEGER NOT NULL REFERENCES api_tokens(id),
    context_id      TEXT   NOT NULL,
    canceled_at     INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX a2a_tasks_token ON a2a_tasks (token_id, created_at);

-- remote_agents: outside A2A agents an admin registered by their card's
-- URL; card is the card as last fetched and checked. secret is a bearer
-- token for them, sealed like every other secret.
CREATE TABLE remote_agents (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL UNIQUE,
    card_url   TEXT   NOT NULL,
    card       TEXT   NOT NULL,
    secret     TEXT   NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- agent_calls: the audit of every call in (an outside agent or MCP
-- client, by its token) and out (Parley asking a remote agent or an MCP
-- server), with what it was about and how it ended.
CREATE TABLE agent_calls (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    direction   TEXT   NOT NULL CHECK (direction IN ('in', 'out')),
    protocol    TEXT   NOT NULL CHECK (protocol IN ('a2a', 'mcp')),
    method      TEXT   NOT NULL,
    token_id    INTEGER,
    agent_id    INTEGER,
    remote      TEXT   NOT NULL DEFAULT '',
    subject     TEXT   NOT NULL DEFAULT '',
    outcome     TEXT   NOT NULL CHECK (outcome IN ('ok', 'error')),
    error       TEXT   NOT NULL DEFAULT '',
    duration_us INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agent_calls_at ON agent_calls (at);
