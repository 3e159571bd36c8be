//! Calls: what a provider's call webhook says, in the line's terms, and the part of a gateway
//! that reads them.

use super::{PayloadError, Webhook};
use crate::phone::{Phone, Region};
use crate::voice::documents::Dialect;

/// One webhook of a call: its start, or the caller's answer to a question.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEvent {
    /// The provider's id for the call, the same on every webhook of it.
    pub call_id: String,
    pub line: Phone,
    pub from: Phone,
    pub heard: Heard,
}

/// What the caller gave on this turn.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// The call began, or the caller let the question go by.
    Nothing,
    /// Keys pressed, with the key that ended them if any (`42#`).
    Keys(String),
    /// Words the provider's recogniser heard, with its confidence (0 to 1) when it gives one.
    Speech {
        text: String,
        confidence: Option<f32>,
    },
}

/// A provider that carries calls: the document format it is driven with, and its webhooks.
pub trait Calls: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Reads a verified call webhook.
    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError>;
}
