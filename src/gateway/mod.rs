//! SMS gateways: each provider's webhook parsing, authenticity check and send API, kept in its own
//! module. What leaves this module is provider-neutral: an [`Inbound`] text, a [`DeliveryReport`],
//! or a [`SendError`] that says whether trying again can help.

pub mod console;
pub mod twilio;

use std::time::Duration;

use crate::config::Line;
use crate::config::LineGateway;
use crate::phone::Phone;

/// A text that reached one of our lines, parsed and authenticated.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub gateway: &'static str,
    /// The provider's id for the message, stable across webhook retries.
    pub gateway_id: String,
    pub line: Phone,
    pub from: Phone,
    pub body: String,
    pub num_media: u32,
}

/// A delivery report for a text we sent, in our own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub gateway_id: String,
    /// `sent`, `delivered`, `undelivered` or `failed`; `None` for provider states we do not track.
    pub state: Option<&'static str>,
    pub error_code: Option<String>,
    /// The provider says the recipient opted out (they must get nothing more).
    pub recipient_opted_out: bool,
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
}

/// Why a send did not go through, sorted by what the outbox should do next.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    /// Worth another try: the provider was down, slow or asked us to slow down.
    #[error("temporary failure: {detail}")]
    Retryable {
        detail: String,
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help (an invalid number, a bad configuration).
    #[error("permanent failure {code:?}: {detail}")]
    Permanent {
        code: Option<String>,
        detail: String,
    },
    /// The recipient opted out at the provider; record it and never text them again.
    #[error("recipient opted out ({code})")]
    RecipientOptedOut { code: String },
}

/// Sends through whichever gateway `line` uses; returns the provider's message id.
pub async fn send(
    http: &reqwest::Client,
    line: &Line,
    to: &str,
    body: &str,
    status_callback: &str,
) -> Result<Option<String>, SendError> {
    match &line.gateway {
        LineGateway::Console => {
            console::show(line, to, body);
            Ok(None)
        }
        LineGateway::Twilio(creds) => twilio::send(
            http,
            creds,
            twilio::Outgoing {
                from: line.number.as_str(),
                to,
                body,
                status_callback,
            },
        )
        .await
        .map(Some),
    }
}
