-- Dispatchers and admins who sign in to the web pages. Passwords are kept as argon2 PHC strings;
-- an account is disabled rather than deleted, so the record of who did what keeps its name.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('dispatcher', 'admin')),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

-- A signed-in browser. The id is the SHA-256 of the token in its cookie, so a copy of this table
-- signs nobody in; the CSRF token is checked against every form the browser posts.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

-- Failed sign-ins, counted per username over a sliding window to slow down password guessing.
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    client_key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (client_key, at);
