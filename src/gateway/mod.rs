//! SMS gateways: each provider's webhook authenticity check, payload parsing and send API, kept in
//! its own module behind the [`Gateway`] trait. What leaves this module is provider-neutral: an
//! [`Inbound`] text (or one part of it), a [`DeliveryReport`], or a [`SendError`] that says whether
//! trying again can help.
//!
//! Adding a provider is one module implementing [`Gateway`] and one line in [`PROVIDERS`].

pub mod android;
pub mod bandwidth;
mod call;
pub mod clean;
pub mod console;
mod fields;
pub mod httpsms;
mod json;
mod jwt;
pub mod plivo;
mod send;
pub mod settings;
pub mod signalwire;
pub mod telnyx;
pub mod twilio;
pub mod vonage;

use crate::lifecycle::{Channel, DeliveryState};
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;

use crate::phone::{Phone, Region};
use crate::setting_error::SettingError;

pub use call::{
    Audio, CallEvent, Calls, DeleteFuture, Deletion, FetchFuture, Heard, Held, RecordingEvent,
    Recordings, TranscriptionEvent, Transcriptions,
};
use call::{api_id, message_api_id, over};
pub use fields::Params;
pub use send::{
    Answer, call, delete_held, error_from_status, error_with_message, fetch_bytes, fetch_listed,
};
pub use settings::{OptOutReplies, ProviderTable};

/// Every provider aidline can use, by the name a line's `gateway` setting gives.
pub const PROVIDERS: &[Provider] = &[
    console::PROVIDER,
    twilio::PROVIDER,
    signalwire::PROVIDER,
    telnyx::PROVIDER,
    plivo::PROVIDER,
    vonage::sms::PROVIDER,
    vonage::messages::PROVIDER,
    bandwidth::PROVIDER,
    android::PROVIDER,
    httpsms::PROVIDER,
];

/// Reads a verified webhook with `gateway`, every string in what it says made fit to store.
pub fn read_events(
    gateway: &dyn Gateway,
    hook: &Webhook,
    region: Region,
) -> Result<Vec<Event>, PayloadError> {
    Ok(gateway
        .parse(hook, region)?
        .into_iter()
        .map(clean::event)
        .collect())
}

/// A provider's registration: its name, and how to build a line's gateway from the line's
/// `[lines.NAME]` table (absent when the line has none).
pub struct Provider {
    pub name: &'static str,
    pub configure: fn(ProviderTable) -> Result<Arc<dyn Gateway>, SettingError>,
}

pub fn provider(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// What a provider's send returns: its message id, when it gives one.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<String>, SendError>> + Send + 'a>>;

/// One provider, configured for one line (its credentials and API address).
pub trait Gateway: Send + Sync + Debug {
    /// The registered name; webhooks for this provider arrive under `/webhooks/NAME`.
    fn name(&self) -> &'static str;

    /// Whether the provider sent this webhook. Runs before anything is parsed or stored.
    fn verify(&self, hook: &Webhook) -> Result<(), AuthError>;

    /// Reads a verified webhook into events (a provider may batch several in one call).
    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError>;

    /// Sends one text from `msg.from`.
    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a>;

    /// The webhook's answer: most providers want an empty 200; TwiML providers want XML.
    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement::Empty
    }

    /// Whether the provider answers STOP, START and HELP itself, so a second confirmation
    /// from us would be noise. A line's `opt_out_replies` overrides it.
    fn default_opt_out_replies(&self) -> OptOutReplies {
        OptOutReplies::Ours
    }

    /// How fast a line may send by default, in segments per second (`None`: no limit of ours).
    fn default_segments_per_second(&self) -> Option<f64> {
        Some(1.0)
    }

    /// The provider's calls, for one that carries them.
    fn calls(&self) -> Option<&dyn Calls> {
        None
    }

    /// Deletes (or blanks) the provider's copy of a text it carried, by the provider's id for
    /// it; one already gone counts as deleted. Most providers offer no such call.
    fn delete_message<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _id: &'a str,
        _way: TextWay,
    ) -> DeleteFuture<'a> {
        Box::pin(async { Ok(Deletion::NotOffered) })
    }
}

/// Which way a text went: some providers keep the two apart and must be told which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextWay {
    /// Sent to the line by the person.
    In,
    /// Sent by the line to the person.
    Out,
}

/// What a webhook is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acknowledgement {
    Empty,
    Xml(&'static str),
}

/// Which of a provider's webhook addresses a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `/webhooks/NAME/sms`: inbound texts.
    Inbound,
    /// `/webhooks/NAME/status`: delivery reports.
    Status,
    /// `/webhooks/NAME`: providers that send every event to one address.
    Events,
    /// `/webhooks/NAME/voice`: a call begins, or a caller answers a question.
    Call,
    /// `/webhooks/NAME/recording`: a message left on a call is ready to copy.
    Recording,
    /// `/webhooks/NAME/transcription`: the provider's words for such a message.
    Transcription,
    /// `/webhooks/NAME/ended`: a call's status changed; once it is over, a caller who hung up
    /// mid-way is texted to carry on.
    CallEnded,
}

impl Hook {
    /// Whether the webhook is about a call rather than a text.
    pub fn is_call(self) -> bool {
        matches!(
            self,
            Hook::Call | Hook::Recording | Hook::Transcription | Hook::CallEnded
        )
    }
}

/// A webhook as it arrived, before anything is trusted.
pub struct Webhook<'a> {
    pub method: &'a str,
    /// The address the provider was given: our public URL with the path and query received.
    pub url: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub hook: Hook,
    /// Seconds since the Unix epoch, for providers that sign a timestamp.
    pub now_s: i64,
}

impl Webhook<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The form fields: the body of a POST, or the query string of a GET.
    pub fn params(&self) -> Params {
        if self.method.eq_ignore_ascii_case("GET") {
            let query = self.url.split_once('?').map_or("", |(_, q)| q);
            Params::from_form(query.as_bytes())
        } else {
            Params::from_form(self.body)
        }
    }
}

/// What a webhook told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Text(Inbound),
    /// One part of a long text the provider delivers in pieces; joined before the flow sees it.
    Part(InboundPart),
    Delivery(DeliveryReport),
    /// Something the provider tells us that we do not act on (a heartbeat, a sent-by-us echo).
    Ignored,
}

/// A text that reached one of our lines, parsed and authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub gateway: &'static str,
    /// The provider's id for the message, stable across webhook retries. `None` for a provider
    /// that gives none: such texts are told apart by content (see `intake`).
    pub gateway_id: Option<String>,
    pub line: Phone,
    pub from: Phone,
    pub body: String,
    /// Pictures and other attachments, by the provider's address for them.
    pub media: Vec<Media>,
    /// A text, or one turn of a call (what was pressed or said).
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub url: String,
    pub content_type: Option<String>,
}

/// One piece of a long text: `part` of `total` (counted from 1), sharing `reference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundPart {
    pub text: Inbound,
    pub reference: String,
    pub part: u32,
    pub total: u32,
}

/// A delivery report for a text we sent, in our own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub gateway_id: String,
    /// Sent, delivered, undelivered or failed; `None` for provider states we do not track.
    pub state: Option<DeliveryState>,
    pub error_code: Option<String>,
    /// The provider says the recipient opted out (they must get nothing more).
    pub recipient_opted_out: bool,
}

/// Why a webhook was not accepted as the provider's: answered 403, and nothing is stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("signature check failed")]
    BadSignature,
    #[error("timestamp outside the {0}-second window")]
    Stale(i64),
    #[error("{0}")]
    Rejected(&'static str),
}

/// A webhook payload that is not what the provider documents; names the field at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("field `{field}` {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    /// A call from someone who hid their number: the field is empty, absent, or a stand-in.
    #[error("field `{0}` holds no number: the caller hid theirs")]
    HiddenCaller(&'static str),
}

impl PayloadError {
    pub fn invalid(field: &'static str, problem: impl ToString) -> PayloadError {
        PayloadError::Invalid {
            field,
            problem: problem.to_string(),
        }
    }
}

/// The caller's number from a call webhook, read by `read`. A caller who hides their number
/// comes as nothing, as a word, or (at Twilio) as a number that spells the word on a keypad.
pub(crate) fn caller(
    field: &'static str,
    value: Option<&str>,
    read: impl FnOnce(&str) -> Result<Phone, PayloadError>,
) -> Result<Phone, PayloadError> {
    const HIDDEN: &[&str] = &[
        "anonymous",
        "restricted",
        "private",
        "unknown",
        "unavailable",
        "withheld",
        "blocked",
        // ANONYMOUS, RESTRICTED, BLOCKED and UNKNOWN on a keypad.
        "+266696687",
        "+7378742833",
        "+2562533",
        "+8656696",
    ];
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() || HIDDEN.contains(&value.to_lowercase().as_str()) {
        return Err(PayloadError::HiddenCaller(field));
    }
    read(value)
}

/// Reads a phone number from a payload field, naming the field when it is not one.
pub fn phone_field(
    field: &'static str,
    value: &str,
    region: Region,
) -> Result<Phone, PayloadError> {
    if value.trim().is_empty() {
        return Err(PayloadError::Missing(field));
    }
    Phone::parse(value, region).map_err(|e| PayloadError::invalid(field, e))
}

/// Reads the sender of a text that reached a phone's SIM. A SIM also receives texts from senders
/// that are not numbers (a carrier's or a bank's alphanumeric name) and nobody there can be
/// texted back, so such a sender gives `None` rather than an error the phone would retry for days.
pub fn sender_field(
    field: &'static str,
    value: &str,
    region: Region,
) -> Result<Option<Phone>, PayloadError> {
    match phone_field(field, value, region) {
        Ok(phone) => Ok(Some(phone)),
        Err(PayloadError::Invalid { .. }) => Ok(None),
        Err(missing) => Err(missing),
    }
}

/// A text on its way out.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Our line's number, E.164.
    pub from: &'a str,
    /// The recipient, E.164.
    pub to: &'a str,
    pub body: &'a str,
    /// Where the provider should post delivery reports for this text.
    pub status_callback: &'a str,
    /// Our id for the text, for providers that take an idempotency key or a tag.
    pub reference: i64,
}

/// Why a send did not go through, sorted by what the outbox should do next.
///
/// `status` (the HTTP status, when the provider answered) and `code` (the provider's error code)
/// are safe to log. `detail` is not: it carries the provider's own words, which can quote the
/// number and the text; it is kept with the text, numbers masked, for a dispatcher to read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    /// Worth another try: the provider was down, slow or asked us to slow down.
    #[error("temporary failure: {detail}")]
    Retryable {
        status: Option<u16>,
        code: Option<String>,
        detail: String,
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help (an invalid number, a bad configuration).
    #[error("permanent failure {code:?}: {detail}")]
    Permanent {
        status: Option<u16>,
        code: Option<String>,
        detail: String,
    },
    /// The recipient opted out at the provider; record it and never text them again.
    #[error("recipient opted out ({code})")]
    RecipientOptedOut { code: String },
}

#[cfg(test)]
mod tests {
    use super::PROVIDERS;

    /// Webhooks are the service's widest door to strangers, so a provider added without a fuzz
    /// target of its own fails here rather than going unfuzzed.
    #[test]
    fn every_provider_has_a_fuzz_target_of_its_own() {
        let targets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
        let files: Vec<(String, String)> = std::fs::read_dir(&targets)
            .expect("the fuzz targets")
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        for provider in PROVIDERS {
            let named = format!("webhook_{}.rs", provider.name);
            let configured = format!("Line::configured(\"{}\")", provider.name);
            assert!(
                files
                    .iter()
                    .any(|(name, source)| *name == named || source.contains(&configured)),
                "no fuzz target reads the provider `{}`'s webhooks: add one under fuzz/fuzz_targets (docs/fuzzing.md)",
                provider.name
            );
        }
    }
}
