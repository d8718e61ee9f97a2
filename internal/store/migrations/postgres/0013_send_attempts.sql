-- Sends that cannot go out twice (issue 11, item 9). Paired with
-- ../sqlite/0013_send_attempts.sql.
--
-- provider_id is the id a provider gave a message we sent, which its
-- receipts name. It used to share external_id, and with it the
-- UNIQUE (inbox_id, external_id) of incoming messages: a provider id equal
-- to a customer's message id (or to an older send's, when a provider or
-- `parley simulate` reuses ids) failed the record after the provider had
-- accepted, and the retried job sent the message again. Outgoing ids are
-- not unique: a receipt goes to the newest outgoing message with its id.
--
-- send_attempt names the job attempt ("job/attempt") that handed the
-- message to its provider and has not recorded the outcome yet;
-- send_started_at is when. Both are written and committed before the
-- provider call and cleared with the outcome, so a job run that finds one
-- set knows an earlier hand-over ended without an answer.
ALTER TABLE messages ADD COLUMN provider_id TEXT;
ALTER TABLE messages ADD COLUMN send_attempt TEXT;
ALTER TABLE messages ADD COLUMN send_started_at BIGINT;
UPDATE messages SET provider_id = external_id, external_id = NULL
    WHERE direction = 'outgoing' AND external_id IS NOT NULL;
CREATE INDEX messages_provider_id ON messages (inbox_id, provider_id) WHERE provider_id IS NOT NULL;
