-- Each handled text replaces its conversation's pending timers.
CREATE INDEX timers_pending_by_session ON timers (session_id) WHERE done_at IS NULL;
