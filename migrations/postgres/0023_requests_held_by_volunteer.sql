-- Only requests a volunteer holds are looked up by volunteer, so only they are indexed by one.
-- Indexing every open request let the index stand in for a scan of all open requests, and with
-- statistics from when the table was small PostgreSQL took it to find one contact's open
-- requests: a read of every open request for each text handled.
DROP INDEX requests_by_volunteer;
CREATE INDEX requests_by_volunteer ON requests (volunteer_id)
    WHERE closed_at IS NULL AND volunteer_id IS NOT NULL;
