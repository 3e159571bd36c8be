-- Numbers nobody at the line hears from: each kept only as an HMAC-SHA256 of the number under the
-- `[safety] block_key` setting, so a block outlives the number being forgotten and the table
-- gives no number away.
CREATE TABLE blocked_numbers (
    digest TEXT PRIMARY KEY,
    blocked_at BIGINT NOT NULL
);

-- Who blocked or unblocked a number, and when: never the number.
CREATE TABLE block_events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    request_id BIGINT REFERENCES requests(id) ON DELETE SET NULL,
    at BIGINT NOT NULL
);

-- A number that sent more than the line takes is not heard until `until`.
CREATE TABLE contact_limits (
    contact_id BIGINT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    until BIGINT NOT NULL
);

-- The limit counts a number's recent messages under its lock on every batch.
CREATE INDEX inbound_by_contact_time ON inbound_messages (contact_id, received_at);
