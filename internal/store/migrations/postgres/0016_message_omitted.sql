-- The parts of an incoming message that were not kept (PostgreSQL), e.g. an
-- email's files over the size limits. Paired with
-- ../sqlite/0016_message_omitted.sql.

-- omitted: a JSON array of {filename, content_type, size, reason, limit},
-- or '' for none (nearly every message); read and written only as a
-- whole, with the message.
ALTER TABLE messages ADD COLUMN omitted TEXT NOT NULL DEFAULT '';
