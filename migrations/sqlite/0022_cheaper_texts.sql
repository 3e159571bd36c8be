-- 0017 made a second index on exactly the columns of 0015's `inbound_by_contact`.
DROP INDEX inbound_by_contact_time;
-- Every claim is by line, which `outbound_line_due` orders the same way.
DROP INDEX outbound_due;
-- PostgreSQL's 0022 also stops new texts from notifying and leaves room for updates on each
-- page; SQLite has neither.
