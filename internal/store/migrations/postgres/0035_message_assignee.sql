-- Each message carries its conversation's assignee, so a search for one
-- agent's messages reads one index for the agent and the words together:
-- the text index becomes a two-column GIN index over (assignee_id,
-- search), which serves a words-only search as well (GIN reads any subset
-- of its columns). btree_gin gives GIN its integer operator class; it is
-- a trusted extension, kept in public so that it outlives any one schema.
-- The trigger keeps the copy right on every reassignment, whatever
-- statement makes it; new messages get it from CreateMessage. Paired with
-- ../sqlite/0035_message_assignee.sql.
CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public;
ALTER TABLE messages ADD COLUMN assignee_id BIGINT;
UPDATE messages m SET assignee_id = c.assignee_id FROM conversations c
    WHERE c.id = m.conversation_id AND c.assignee_id IS NOT NULL;
DROP INDEX messages_search;
CREATE INDEX messages_search ON messages USING GIN (assignee_id, search);
CREATE FUNCTION conversations_assignee_to_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages SET assignee_id = NEW.assignee_id WHERE conversation_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER conversations_assignee_to_messages AFTER UPDATE OF assignee_id ON conversations
    FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION conversations_assignee_to_messages();
