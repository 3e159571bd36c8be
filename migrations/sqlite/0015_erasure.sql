-- no-transaction
-- Forgetting a person keeps their requests for the counts, with no one behind them: a request's
-- contact may now be empty. SQLite cannot drop NOT NULL in place, so the table is rebuilt the
-- way SQLite documents (foreign keys off, one transaction, indexes made again); it runs outside
-- the migrator's transaction because foreign keys cannot be switched off inside one.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE requests_rebuilt (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    contact_id BIGINT REFERENCES contacts(id),
    line TEXT NOT NULL,
    queue TEXT NOT NULL REFERENCES queues(name),
    status TEXT NOT NULL,
    fields TEXT NOT NULL,
    session_id BIGINT REFERENCES sessions(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    priority BIGINT NOT NULL DEFAULT 0,
    volunteer_id BIGINT REFERENCES volunteers(id),
    claimed_at BIGINT,
    failure_reason TEXT
);
INSERT INTO requests_rebuilt (id, code, contact_id, line, queue, status, fields, session_id,
    created_at, updated_at, closed_at, priority, volunteer_id, claimed_at, failure_reason)
SELECT id, code, contact_id, line, queue, status, fields, session_id,
    created_at, updated_at, closed_at, priority, volunteer_id, claimed_at, failure_reason
FROM requests;
DROP TABLE requests;
ALTER TABLE requests_rebuilt RENAME TO requests;
CREATE UNIQUE INDEX requests_open_code ON requests (code) WHERE closed_at IS NULL;
CREATE INDEX requests_queue_status ON requests (queue, status);
CREATE INDEX requests_open_by_contact ON requests (contact_id) WHERE closed_at IS NULL;
CREATE INDEX requests_by_volunteer ON requests (volunteer_id) WHERE closed_at IS NULL;

-- The purge looks for what has aged past its retention: closed requests, quiet contacts, old
-- events and recordings, each by its time.
CREATE INDEX requests_closed ON requests (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX contacts_last_seen ON contacts (last_seen_at);
CREATE INDEX request_events_at ON request_events (at);
CREATE INDEX recordings_created ON recordings (created_at);
CREATE INDEX inbound_by_contact ON inbound_messages (contact_id, received_at);
CREATE INDEX outbound_by_contact ON outbound_messages (contact_id, created_at);

-- Each forgetting, with what went and why (asked for, or the retention of quiet numbers), and
-- nothing that says whose.
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    summary TEXT NOT NULL
);
COMMIT;
PRAGMA foreign_keys = ON;
