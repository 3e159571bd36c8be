-- A request's pending timer is looked for by its request whenever a volunteer claims it, or it is
-- cancelled, closed or offered again. With no index that read every pending timer, and there is
-- one for each conversation under way.
CREATE INDEX timers_pending_by_request ON timers (request_id)
    WHERE done_at IS NULL AND request_id IS NOT NULL;
