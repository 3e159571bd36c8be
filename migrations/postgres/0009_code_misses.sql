-- Codes a volunteer texted that named no offer open to them (a typo, or someone guessing). Kept a
-- day: enough to stop answering a number that keeps guessing and to show dispatchers who it is.
CREATE TABLE code_misses (
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    at BIGINT NOT NULL
);
CREATE INDEX code_misses_by_contact ON code_misses (contact_id, at);
