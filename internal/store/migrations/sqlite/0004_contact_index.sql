-- A contact's conversations are few: index them by id, which is exactly
-- what picking the latest one needs, instead of by activity, which every
-- message would rewrite.
DROP INDEX conversations_contact;
CREATE INDEX conversations_contact ON conversations (contact_id, id);
