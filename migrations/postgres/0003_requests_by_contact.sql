-- A neighbour asking STATUS or cancelling looks up their own open request.
CREATE INDEX requests_open_by_contact ON requests (contact_id) WHERE closed_at IS NULL;
