-- 0008: when a session or API token was last used, for the account's
-- session list. NULL for tokens made before this column existed.
ALTER TABLE tokens ADD COLUMN last_used_at timestamptz;
