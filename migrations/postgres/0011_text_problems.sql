-- A text that failed, went undelivered or was held back because its recipient opted out is a
-- problem on the dispatchers' pages until one of them marks it dealt with; who did, and when, is
-- kept with the text.
ALTER TABLE outbound_messages ADD COLUMN dealt_with_at BIGINT;
ALTER TABLE outbound_messages ADD COLUMN dealt_with_by TEXT;
-- Every page counts the recent problems nobody has dealt with yet, and the problems page lists
-- the recent ones. Only texts that ended unsent are in the index, so it stays small however many
-- texts the line sends, and the count reads nothing else. The state list is spelt as the queries
-- spell it: a partial index serves only a query that repeats its condition.
CREATE INDEX outbound_problems ON outbound_messages (updated_at, dealt_with_at)
    WHERE state IN ('failed', 'undelivered', 'suppressed');
