//! How a person reached the line: by text, or by calling it.

use super::stored_as_text;

/// How an inbound message came, and so how it is answered: a text by text, a call's turn aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Channel {
    #[default]
    Sms,
    /// A turn of a call: what the caller pressed or said.
    Voice,
    /// A message left on a call, for a person to listen to.
    Voicemail,
    /// A call the line did not answer: the caller is answered by text.
    MissedCall,
    /// The caller hung up: one who was mid-way is texted the question they were at.
    CallEnded,
}

stored_as_text!(Channel, "channel", {
    Sms => "sms",
    Voice => "voice",
    Voicemail => "voicemail",
    MissedCall => "missed_call",
    CallEnded => "call_ended",
});

impl Channel {
    /// Whether the message came on a call, so that anything said back is said on it.
    pub fn is_call(self) -> bool {
        matches!(self, Channel::Voice | Channel::Voicemail)
    }
}
