-- A recorded clip (or screenshot) kept with a canned response or a
-- knowledge article, sent along when an agent uses it. The clip is a blob
-- named by its sha256 ('' for none); the orphan cleanup spares blobs named
-- here. Paired with ../sqlite/0033_clips.sql.
ALTER TABLE canned_responses ADD COLUMN clip_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE canned_responses ADD COLUMN clip_name TEXT NOT NULL DEFAULT '';
ALTER TABLE kb_articles ADD COLUMN clip_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE kb_articles ADD COLUMN clip_name TEXT NOT NULL DEFAULT '';
