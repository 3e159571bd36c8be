-- A provider's transcription of a message can outlive the recording it was made from (Twilio and
-- SignalWire keep it until it is deleted on its own), so its id is kept to delete it too, with
-- the same retries as the recording's own steps. `transcription_state`: NULL while there is
-- nothing to delete, then `to_delete`, then `deleted`, or `kept_at_provider` when every try failed.
ALTER TABLE recordings ADD COLUMN transcription_id TEXT;
ALTER TABLE recordings ADD COLUMN transcription_state TEXT;
ALTER TABLE recordings ADD COLUMN transcription_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE recordings ADD COLUMN transcription_next_at BIGINT;
CREATE INDEX recordings_transcriptions_due ON recordings (transcription_next_at)
    WHERE transcription_state = 'to_delete';
