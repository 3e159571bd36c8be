-- A request's page reads its events, and the queue asks of every open request whether
-- dispatchers were alerted about it: both look events up by request.
CREATE INDEX request_events_by_request ON request_events (request_id, kind);
