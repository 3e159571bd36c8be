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

