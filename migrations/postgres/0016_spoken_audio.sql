-- A reply said on a call that is a flow's question, with the organiser's recording of it: the
-- flow, state and language (`intake/need/es`), so the call plays the recording the flows hold.
ALTER TABLE outbound_messages ADD COLUMN spoken_audio TEXT;
