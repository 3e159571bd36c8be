-- A call's turns go through intake like texts; the channel says how each came and so how it is
-- answered (a text by text, a call's turn aloud).
ALTER TABLE inbound_messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';
-- A text that lets a caller who hung up carry on, and that could not reach them (a landline),
-- turns their call into a call-back for a person; this marks it done.
ALTER TABLE outbound_messages ADD COLUMN followed_up_at BIGINT;
-- Looked for on every timer pass: only such texts are in the index, so the pass reads nothing else
-- however many texts the line has sent. The condition is spelt as the query spells it.
CREATE INDEX outbound_unreachable_callers ON outbound_messages (id)
    WHERE kind = 'carry_on' AND state IN ('failed', 'undelivered') AND followed_up_at IS NULL;

-- Each call to a line: who called, and how it ended. A provider names a call by its own id on
-- every webhook of it; callbacks that carry only that id (a recording, the call's end) find the
-- caller here.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    gateway TEXT NOT NULL,
    call_id TEXT NOT NULL,
    line TEXT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    started_at BIGINT NOT NULL,
    -- When the caller pressed 0 to leave a message: such a call ends with nothing to carry on.
    message_at BIGINT,
    ended_at BIGINT,
    UNIQUE (gateway, call_id)
);

-- A message a caller left. The audio is copied from the provider into this table, then deleted
-- at the provider; until both are done the row says which step is next and when to try it.
-- Recordings are personal data: they go with the number when it is forgotten, and they are in
-- every backup of the database.
CREATE TABLE recordings (
    id INTEGER PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES calls(id),
    request_id BIGINT REFERENCES requests(id),
    provider_id TEXT NOT NULL,
    duration_seconds BIGINT,
    audio BLOB,
    content_type TEXT,
    transcript TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (call_id, provider_id)
);
CREATE INDEX recordings_due ON recordings (next_attempt_at) WHERE state IN ('to_fetch', 'to_delete');
CREATE INDEX recordings_by_request ON recordings (request_id);
