-- Flows may give a request a priority; higher is more urgent.
ALTER TABLE requests ADD COLUMN priority BIGINT NOT NULL DEFAULT 0;
