-- The sites allowed to embed a widget inbox (SQLite). Paired with
-- ../postgres/0015_widget_origins.sql.

-- allowed_origins: normalised origins separated by single spaces (an
-- origin holds no space), '*' alone for any site, '' for none (and for
-- every inbox that is not a widget). Widget inboxes that existed before
-- keep working everywhere they are embedded: they start as '*', and the
-- settings page warns until the admin lists their sites.
ALTER TABLE inboxes ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '*';
UPDATE inboxes SET allowed_origins = '' WHERE channel_type <> 'widget';
