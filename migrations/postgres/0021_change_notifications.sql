-- Open pages follow the queue and the texts. Each copy of the service LISTENs on
-- `aidline_changes`, so a change made by any copy (or the command line) wakes every page at
-- once, without each page asking the database over and over. One notification per statement
-- (and PostgreSQL folds repeats within a transaction into one), whatever the rows.
CREATE FUNCTION aidline_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('aidline_changes', TG_ARGV[0]);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER requests_changed AFTER INSERT OR UPDATE OR DELETE ON requests
    FOR EACH STATEMENT EXECUTE FUNCTION aidline_notify_change('queue');
CREATE TRIGGER code_misses_changed AFTER INSERT OR DELETE ON code_misses
    FOR EACH STATEMENT EXECUTE FUNCTION aidline_notify_change('queue');
-- Texts are told apart by their newest id, so only new rows matter.
CREATE TRIGGER inbound_messages_added AFTER INSERT ON inbound_messages
    FOR EACH STATEMENT EXECUTE FUNCTION aidline_notify_change('texts');
CREATE TRIGGER outbound_messages_added AFTER INSERT ON outbound_messages
    FOR EACH STATEMENT EXECUTE FUNCTION aidline_notify_change('texts');
