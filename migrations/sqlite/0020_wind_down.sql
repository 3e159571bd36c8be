-- The one time the line told neighbours waiting for a volunteer that the group is stopping. The
-- single row is claimed by whichever copy of the service starts first with `[wind_down]` set, so
-- the notice goes out once however many copies start, and however often.
CREATE TABLE wind_down_notice (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sent_at BIGINT NOT NULL
);
