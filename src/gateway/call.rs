//! Calls: what a provider's call webhook says, in the line's terms, and the part of a gateway
//! that reads them.

use std::future::Future;
use std::pin::Pin;

use super::{Params, PayloadError, SendError, Webhook};
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

impl Heard {
    /// What a form-posted answer gave: the keys in `keys` if any were pressed, else the words in
    /// `speech` with the recogniser's confidence (0 to 1) in `confidence`, else nothing.
    pub(crate) fn from_form(
        params: &Params,
        keys: &'static str,
        speech: &'static str,
        confidence: &'static str,
    ) -> Result<Heard, PayloadError> {
        if let Some(pressed) = params.non_empty(keys) {
            return Ok(Heard::Keys(pressed.to_string()));
        }
        let Some(text) = params.non_empty(speech) else {
            return Ok(Heard::Nothing);
        };
        let confidence = params
            .non_empty(confidence)
            .map(|c| {
                c.parse::<f32>()
                    .ok()
                    .filter(|c| (0.0..=1.0).contains(c))
                    .ok_or_else(|| PayloadError::invalid(confidence, "is not a number from 0 to 1"))
            })
            .transpose()?;
        Ok(Heard::Speech {
            text: text.to_string(),
            confidence,
        })
    }
}

/// A provider that carries calls: the document format it is driven with, and its webhooks.
pub trait Calls: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Reads a verified call webhook.
    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError>;

    /// Reads a verified call-status callback: the call's id once the call is over; `None` for
    /// a status that is no end (ringing, answered).
    fn parse_call_end(&self, hook: &Webhook) -> Result<Option<String>, PayloadError>;

    /// The provider's recordings, where the line can take messages left on calls.
    fn recordings(&self) -> Option<&dyn Recordings> {
        None
    }
}

/// A provider that records messages left on calls: its callbacks about them, and its API to
/// copy them and delete its own copy.
pub trait Recordings: Send + Sync {
    /// Reads a verified recording callback; `None` when there is nothing to copy (the caller
    /// hung up before saying anything, or the provider failed to record).
    fn parse_recording(&self, hook: &Webhook) -> Result<Option<RecordingEvent>, PayloadError>;

    /// Downloads the recording.
    fn fetch<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> FetchFuture<'a>;

    /// Deletes the provider's copy of the recording; one already gone counts as deleted.
    fn delete<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> DeleteFuture<'a>;

    /// The provider's transcriptions of messages, where the line asks for and reads them; one
    /// whose transcriptions we cannot read back is not asked (and not paid) to make them.
    fn transcriptions(&self) -> Option<&dyn Transcriptions> {
        None
    }
}

/// A provider that writes messages down: its callback with the words, and its API to delete
/// the words it keeps.
pub trait Transcriptions: Send + Sync {
    /// Reads a verified transcription callback.
    fn parse_transcription(&self, hook: &Webhook) -> Result<TranscriptionEvent, PayloadError>;

    /// Deletes the provider's transcription `id` (one a transcription callback named), which
    /// some providers keep after the recording itself is deleted.
    fn delete_transcription<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
    ) -> DeleteFuture<'a>;
}

/// A recording at the provider: the call it was left on and its own id, both the provider's.
/// Checked when the callback was read, so either may go into an API address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held<'a> {
    pub call_id: &'a str,
    pub recording_id: &'a str,
}

/// What became of the provider's copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Deleted, or gone already.
    Deleted,
    /// The provider offers no way to delete it: it stays there until the provider's own expiry.
    NotOffered,
}

/// A message left on a call is ready at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingEvent {
    pub call_id: String,
    /// The provider's id for the recording, by which it is fetched and deleted.
    pub recording_id: String,
    pub duration_seconds: Option<i64>,
}

/// The provider's transcription of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionEvent {
    pub call_id: String,
    pub recording_id: String,
    /// The provider's id for the transcription, when it keeps one we can delete.
    pub transcription_id: Option<String>,
    /// `None` when the provider could not transcribe it.
    pub text: Option<String>,
}

/// A recording's sound, as the provider served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Audio, SendError>> + Send + 'a>>;
pub type DeleteFuture<'a> = Pin<Box<dyn Future<Output = Result<Deletion, SendError>> + Send + 'a>>;

/// An id the provider gave that goes into an API address we build: letters, digits, `-` and
/// `_` only, so that it can never add a path segment (`/`, `..`) or a query (`?`).
pub(crate) fn api_id(field: &'static str, id: &str) -> Result<String, PayloadError> {
    let well_formed = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(id.to_string())
    } else {
        Err(PayloadError::invalid(
            field,
            "is not an id the provider gives",
        ))
    }
}

/// A stored message id checked as [`api_id`] before it goes into an address we build: one that is
/// not well formed can never be asked about, so trying again would not help.
pub(crate) fn message_api_id(id: &str) -> Result<String, SendError> {
    api_id("message id", id).map_err(|e| SendError::Permanent {
        status: None,
        code: None,
        detail: e.to_string(),
    })
}

/// `id` when `status`, a call status in the provider's words, says the call is over: Twilio's,
/// SignalWire's and Telnyx's `completed`, `busy`, `failed`, `no-answer`, `canceled`; Plivo's and
/// Vonage's spellings of the same.
pub(super) fn over(id: &str, status: &str) -> Option<String> {
    const OVER: &[&str] = &[
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
        "cancelled",
        "timeout",
        "rejected",
        "unanswered",
        "hangup",
    ];
    OVER.contains(&status).then(|| id.to_string())
}
