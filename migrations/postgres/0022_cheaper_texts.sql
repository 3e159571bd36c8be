-- Less work for the database on each text, which a busy line pays thousands of times a minute.
--
-- New texts no longer notify (0021 made them). PostgreSQL lets one committing transaction that
-- notified finish at a time, and nearly every intake transaction stores texts, so on a busy line
-- the notifications made commits queue behind each other. Only the phone simulator follows the
-- texts; it hears of them from the watcher's once-a-second look. Changes to the queue, which
-- dispatchers wait on, still notify.
DROP TRIGGER inbound_messages_added ON inbound_messages;
DROP TRIGGER outbound_messages_added ON outbound_messages;

-- 0017 made a second index on exactly the columns of 0015's `inbound_by_contact`.
DROP INDEX inbound_by_contact_time;
-- Every claim is by line, which `outbound_line_due` orders the same way.
DROP INDEX outbound_due;

-- Room on each page for a row's next version. Taking a text to send, moving a conversation on
-- and a contact texting again within the hour change no indexed column, so PostgreSQL can keep
-- the new version beside the old without touching any index, if the page has room for it.
ALTER TABLE outbound_messages SET (fillfactor = 80);
ALTER TABLE sessions SET (fillfactor = 80);
ALTER TABLE contacts SET (fillfactor = 80);
