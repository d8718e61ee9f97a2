-- Approvals: policies that make a risky action wait for a person allowed to
-- approve it, the queue of such requests, and the audit of every change to
-- one (SQLite). Paired with ../postgres/0023_approvals.sql.

-- condition: an expr-lang expression, compiled and type-checked before it
-- is saved. approver_ids: a JSON array of agent ids; '[]' means owners and
-- admins. inbox_id NULL: every inbox.
CREATE TABLE approval_policies (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    inbox_id     INTEGER REFERENCES inboxes(id) ON DELETE CASCADE,
    condition    TEXT    NOT NULL,
    approver_ids TEXT    NOT NULL DEFAULT '[]',
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- payload: exactly what runs when approved (for a reply, what would be
-- sent). binding: SHA-256 of the kind, the payload and bound_state (the
-- world the request was made in: a conversation's last message and
-- status); an approval holds only while it is unchanged. approver_ids is
-- copied from the policy, so editing a policy does not change who may
-- decide a request already made. result_message_id: the message an
-- approved reply became.
CREATE TABLE approval_requests (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT    NOT NULL,
    conversation_id    INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
    policy_id          INTEGER REFERENCES approval_policies(id) ON DELETE SET NULL,
    policy_name        TEXT    NOT NULL,
    requested_by_agent INTEGER,
    requested_by_token INTEGER,
    payload            TEXT    NOT NULL,
    reason             TEXT    NOT NULL,
    binding            TEXT    NOT NULL,
    bound_state        TEXT    NOT NULL,
    approver_ids       TEXT    NOT NULL DEFAULT '[]',
    state              TEXT    NOT NULL,
    decided_by_agent   INTEGER,
    decided_by_token   INTEGER,
    decided_at         INTEGER,
    note               TEXT    NOT NULL DEFAULT '',
    result_message_id  INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX approval_requests_state ON approval_requests (state, id);
CREATE INDEX approval_requests_conversation ON approval_requests (conversation_id, id);

-- Every transition of a request: who (agent or token; neither: Parley
-- itself), when, from which state to which, and the note.
CREATE TABLE approval_audit (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES approval_requests(id) ON DELETE CASCADE,
    agent_id   INTEGER,
    token_id   INTEGER,
    from_state TEXT    NOT NULL,
    to_state   TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    at         INTEGER NOT NULL
);
CREATE INDEX approval_audit_request ON approval_audit (request_id, id);
