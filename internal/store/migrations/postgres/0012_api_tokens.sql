-- API tokens that can be limited, expire and be revoked (PostgreSQL).
-- Paired with ../sqlite/0012_api_tokens.sql.

-- scope: what the token may call (full, read, ingest; see parley.TokenScope).
-- Existing tokens keep today's behaviour, full.
-- expires_at, revoked_at: Unix microseconds, NULL for never. A token is
-- checked by its unique token_hash, so these need no index of their own.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'full';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
