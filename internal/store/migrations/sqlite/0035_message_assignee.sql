-- Each message carries its conversation's assignee, so a search for one
-- agent's messages can read them from an index of their own instead of
-- passing every other agent's (the PostgreSQL corner of issue 14; SQLite
-- keeps the column for one schema). The trigger keeps the copy right on
-- every reassignment, whatever statement makes it; new messages get it
-- from CreateMessage. Paired with ../postgres/0035_message_assignee.sql.
ALTER TABLE messages ADD COLUMN assignee_id INTEGER;
UPDATE messages SET assignee_id = (SELECT c.assignee_id FROM conversations c WHERE c.id = messages.conversation_id);
CREATE TRIGGER conversations_assignee_to_messages AFTER UPDATE OF assignee_id ON conversations
WHEN OLD.assignee_id IS NOT NEW.assignee_id
BEGIN
    UPDATE messages SET assignee_id = NEW.assignee_id WHERE conversation_id = NEW.id;
END;
