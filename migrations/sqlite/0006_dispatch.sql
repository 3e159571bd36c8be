-- Volunteers and dispatch by text. A volunteer is 'pending' (signed up, waiting for a dispatcher),
-- 'active' or 'removed'; pausing is separate, so RESUME returns them to what they were.
ALTER TABLE volunteers ADD COLUMN availability TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteers ADD COLUMN max_open_jobs INTEGER NOT NULL DEFAULT 2;
ALTER TABLE volunteers ADD COLUMN paused_at BIGINT;
ALTER TABLE volunteers ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

-- Who holds a request. The claim is one conditional UPDATE of this row, which is what makes the
-- first claim win on either database.
ALTER TABLE requests ADD COLUMN volunteer_id BIGINT REFERENCES volunteers(id);
ALTER TABLE requests ADD COLUMN claimed_at BIGINT;
ALTER TABLE requests ADD COLUMN failure_reason TEXT;
CREATE INDEX requests_by_volunteer ON requests (volunteer_id) WHERE closed_at IS NULL;

-- Every offer texted, so nobody is offered a request twice or one they declined.
CREATE TABLE offers (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests(id),
    volunteer_id BIGINT NOT NULL REFERENCES volunteers(id),
    wave INTEGER NOT NULL,
    sent_at BIGINT NOT NULL,
    answer TEXT,
    answered_at BIGINT,
    UNIQUE (request_id, volunteer_id)
);
CREATE INDEX offers_by_volunteer ON offers (volunteer_id);
