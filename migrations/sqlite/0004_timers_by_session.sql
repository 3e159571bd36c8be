-- A conversation has at most one pending timer: the next thing to do if it stays quiet. Each
-- handled text moves it (one row updated in place, whatever the number of texts).
CREATE UNIQUE INDEX timers_one_pending ON timers (session_id) WHERE done_at IS NULL;
