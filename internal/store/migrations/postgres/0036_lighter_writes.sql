-- Two costs every received message paid for nothing (issue 14).
--
-- conversations_previous is read by no query: it only lets PostgreSQL
-- find the conversations that follow one, should that one ever be
-- deleted (the foreign key's check). It held an entry for every
-- conversation, most with no predecessor, and every touch of a
-- conversation (a new row version, since its activity is indexed) added
-- one more. Only follow-ups are entered now; the check's "previous_id =
-- $1" still finds them.
--
-- messages.inbox_id copies the inbox of the message's conversation, for
-- the unique (inbox_id, external_id) key; the conversation's own key to
-- its inbox, and the message's to its conversation, already hold it to
-- an inbox that exists. Its own check read and locked the one inbox row
-- once per message, in every writer at once. Paired with
-- ../sqlite/0036_lighter_writes.sql.
DROP INDEX conversations_previous;
CREATE INDEX conversations_previous ON conversations (previous_id) WHERE previous_id IS NOT NULL;
ALTER TABLE messages DROP CONSTRAINT messages_inbox_id_fkey;
