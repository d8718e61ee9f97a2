-- Provider channels (PostgreSQL). Paired with ../sqlite/0005_channels.sql.

-- A channel's non-secret settings, as a JSON object of strings, and its
-- secrets, sealed with PARLEY_SECRET_KEY (see internal/secret).
ALTER TABLE inboxes ADD COLUMN channel_settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE inboxes ADD COLUMN channel_secrets TEXT NOT NULL DEFAULT '';

-- What a provider needs to send an outgoing message beyond its text: a
-- template with its variables, a message tag, the recipient. Kept on the
-- message so that a retry sends exactly the same thing.
ALTER TABLE messages ADD COLUMN channel_payload TEXT NOT NULL DEFAULT '';

-- Small per-inbox state a channel keeps between runs: the IMAP UID cursor,
-- SMS opt-outs by number.
CREATE TABLE channel_state (
    inbox_id   BIGINT  NOT NULL REFERENCES inboxes (id),
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (inbox_id, key)
);
