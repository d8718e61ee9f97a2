-- A contact's language and time zone, when a channel tells us (the widget
-- does): promises are written in their language and their time. Paired
-- with ../postgres/0007_contact_locale.sql.
ALTER TABLE contacts ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
