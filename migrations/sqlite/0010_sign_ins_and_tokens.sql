-- Failed sign-ins, one row each, with the username tried (NULL when no account could have it) and
-- the client's address. A username and an address together are refused after a few failures, an
-- address alone after many (a guesser going through names), and a username alone only slows
-- answers down: strangers elsewhere must not be able to keep its owner out. Rows older than the
-- window count for nothing, so the old table's rows are dropped rather than converted.
DROP TABLE login_attempts;
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT,
    address TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_username ON login_attempts (username, at);
CREATE INDEX login_attempts_by_address ON login_attempts (address, at);

-- Disabling an account now revokes the API tokens it made; tokens of accounts disabled before
-- that are revoked as of when their maker was disabled.
UPDATE api_tokens SET revoked_at = (SELECT disabled_at FROM users WHERE users.id = api_tokens.created_by)
WHERE revoked_at IS NULL
  AND created_by IN (SELECT id FROM users WHERE disabled_at IS NOT NULL);
