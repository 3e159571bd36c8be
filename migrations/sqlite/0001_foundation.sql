-- The foundation schema. Times are milliseconds since the Unix epoch (BIGINT) on both databases so
-- that one set of queries serves both. Phone numbers are E.164 text.

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL UNIQUE,
    language TEXT,
    name_to_use TEXT,
    opted_out_at BIGINT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

-- Every opt-out and opt-in, with where it came from (a keyword, a provider error, a dispatcher).
CREATE TABLE opt_events (
    id INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    kind TEXT NOT NULL CHECK (kind IN ('opt_out', 'opt_in')),
    source TEXT NOT NULL,
    line TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE TABLE inbound_messages (
    id INTEGER PRIMARY KEY,
    gateway TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    line TEXT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    body TEXT NOT NULL,
    num_media INTEGER NOT NULL DEFAULT 0,
    received_at BIGINT NOT NULL,
    handled_at BIGINT,
    outcome TEXT,
    UNIQUE (gateway, gateway_id)
);
CREATE INDEX inbound_unhandled ON inbound_messages (contact_id, id) WHERE handled_at IS NULL;

-- A conversation with a flow. At most one is active (ended_at IS NULL) per contact.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    line TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    state TEXT NOT NULL,
    language TEXT NOT NULL,
    answers TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    ended_at BIGINT,
    end_reason TEXT
);
CREATE UNIQUE INDEX sessions_one_active ON sessions (contact_id) WHERE ended_at IS NULL;

CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    line TEXT NOT NULL,
    queue TEXT NOT NULL REFERENCES queues(name),
    status TEXT NOT NULL,
    fields TEXT NOT NULL,
    session_id BIGINT REFERENCES sessions(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT
);
-- Codes are short, so they are only unique among open requests.
CREATE UNIQUE INDEX requests_open_code ON requests (code) WHERE closed_at IS NULL;
CREATE INDEX requests_queue_status ON requests (queue, status);

CREATE TABLE request_events (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT
);

CREATE TABLE volunteers (
    id INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL UNIQUE REFERENCES contacts(id),
    name_to_use TEXT NOT NULL,
    zones TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    capabilities TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    created_at BIGINT NOT NULL
);

-- The outbox: every text we send is a row first, written in the same transaction as the change
-- that caused it. The worker sends due rows and records what the gateway said.
CREATE TABLE outbound_messages (
    id INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    line TEXT NOT NULL,
    to_phone TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    inbound_id BIGINT REFERENCES inbound_messages(id),
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    gateway_id TEXT,
    error_code TEXT,
    error_detail TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX outbound_due ON outbound_messages (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbound_gateway_id ON outbound_messages (gateway_id);
CREATE INDEX outbound_inbound ON outbound_messages (inbound_id);

-- Things to do later: expire a conversation, re-offer a request. Rows, so they survive restarts.
CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    fire_at BIGINT NOT NULL,
    session_id BIGINT REFERENCES sessions(id),
    request_id BIGINT REFERENCES requests(id),
    done_at BIGINT
);
CREATE INDEX timers_due ON timers (fire_at) WHERE done_at IS NULL;
