-- Bearer tokens for the JSON API, made by admins. Like web_sessions, a row keeps the SHA-256 of
-- its token and never the token, so a copy of this table lets nobody in. A token is revoked, not
-- deleted, and its name is never reused, so `token:NAME` in a request's history names one token.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_sha256 TEXT NOT NULL UNIQUE,
    -- The admin who made it; NULL for a token made on the command line.
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
