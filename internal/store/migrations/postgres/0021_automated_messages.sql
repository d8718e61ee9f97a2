-- Parley's own messages (acknowledgements, survey questions and thanks)
-- are marked, so every place that shows a message can say it was
-- automatic instead of guessing from a missing author. Paired with
-- ../sqlite/0021_automated_messages.sql.
ALTER TABLE messages ADD COLUMN automated BOOLEAN NOT NULL DEFAULT FALSE;

-- Earlier ones are known by what points at them: a survey's question,
-- and the acknowledgement that made a promise.
UPDATE messages SET automated = TRUE
WHERE id IN (SELECT message_id FROM surveys WHERE message_id IS NOT NULL)
   OR id IN (SELECT message_id FROM events WHERE type = 'conversation.promise' AND message_id IS NOT NULL);
