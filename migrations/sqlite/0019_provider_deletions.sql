-- Copies a forgotten person left at the providers (texts they sent or were sent, messages they
-- left on calls and their transcriptions), to delete there. Only what the provider's API needs:
-- never the number or the words.
CREATE TABLE provider_deletions (
    id INTEGER PRIMARY KEY,
    gateway TEXT NOT NULL,
    line TEXT NOT NULL,
    kind TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    -- The provider's call a recording was left on, for providers that address it by both.
    call_id TEXT,
    -- `pending` until deleted (the row goes), or `kept` when the provider offers no way to
    -- delete it or the tries ran out: it stays there until the provider's own expiry.
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX provider_deletions_due ON provider_deletions (next_attempt_at) WHERE state = 'pending';
