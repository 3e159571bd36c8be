-- A request's relay that passes no more messages: reported by one side (paused until a dispatcher
-- resumes it) or left by its volunteer. It holds only while that volunteer is on the request, so a
-- request given to someone else has an open relay again.
CREATE TABLE relay_stops (
    request_id BIGINT NOT NULL PRIMARY KEY REFERENCES requests(id),
    volunteer_id BIGINT NOT NULL REFERENCES volunteers(id),
    state TEXT NOT NULL,
    by_side TEXT NOT NULL,
    reason TEXT,
    at BIGINT NOT NULL
);
