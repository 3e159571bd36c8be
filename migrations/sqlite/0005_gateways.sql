-- Pictures and other attachments of inbound texts, by the provider's address for them: the line
-- cannot read them, but a dispatcher can open them.
CREATE TABLE inbound_media (
    id INTEGER PRIMARY KEY,
    inbound_id BIGINT NOT NULL REFERENCES inbound_messages(id),
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    content_type TEXT
);
CREATE INDEX inbound_media_by_text ON inbound_media (inbound_id);

-- Long texts some providers deliver in parts: a set per (provider, sender, reference), its parts
-- kept until the last arrives and the whole text goes to intake. A completed set keeps its parts'
-- ids (not their words) for a day, so a part the provider delivers again is known for a repeat
-- rather than starting a set that a later text reusing the reference would join.
CREATE TABLE inbound_part_sets (
    id INTEGER PRIMARY KEY,
    gateway TEXT NOT NULL,
    from_phone TEXT NOT NULL,
    reference TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    completed_at BIGINT
);
CREATE UNIQUE INDEX inbound_part_sets_open ON inbound_part_sets (gateway, from_phone, reference)
    WHERE completed_at IS NULL;
CREATE TABLE inbound_parts (
    set_id BIGINT NOT NULL REFERENCES inbound_part_sets(id),
    part INTEGER NOT NULL,
    gateway_id TEXT NOT NULL,
    line TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (set_id, part)
);
CREATE INDEX inbound_parts_by_id ON inbound_parts (gateway_id);

-- Outbound pacing. Priority 0 is a reply to someone who just texted (sent first, never held by
-- quiet hours); 1 is everything else (reminders, offers, notices).
ALTER TABLE outbound_messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbound_messages ADD COLUMN segments INTEGER NOT NULL DEFAULT 1;
CREATE INDEX outbound_line_due ON outbound_messages (line, priority, next_attempt_at, id)
    WHERE state = 'queued';

-- Each rate-limited line's next free sending slot, shared by every copy of the service.
CREATE TABLE line_pacing (
    line TEXT PRIMARY KEY,
    next_free_at BIGINT NOT NULL
);
