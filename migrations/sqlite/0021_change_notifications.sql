-- PostgreSQL's 0021 makes changes to the queue and the texts notify the copies of the service
-- listening for them. SQLite has no such thing: its watcher looks at the database once a second
-- instead. This file keeps both folders numbered alike.
SELECT 1;
