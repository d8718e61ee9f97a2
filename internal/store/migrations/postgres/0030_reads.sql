-- Unread markers (the agent inbox). Paired with ../sqlite/0030_reads.sql.
-- read_at is when the agent last had the conversation open: a customer
-- message after it is unread for them.
CREATE TABLE conversation_reads (
    agent_id        BIGINT NOT NULL REFERENCES agents(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    read_at         BIGINT NOT NULL,
    PRIMARY KEY (agent_id, conversation_id)
);
