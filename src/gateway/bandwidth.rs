//! Bandwidth Messaging API v2.
//!
//! A Bandwidth messaging application posts every callback, inbound texts and delivery updates
//! alike, to its one callback address as a JSON array of events: `[{"type", "to", "message": {…}}]`.
//! Callbacks are not signed; instead the application is given HTTP Basic credentials to send, and
//! we compare them. Sends go to `POST /api/v2/users/{account}/messages` with the API user's Basic
//! credentials; a text's delivery updates go to the application's address, not to one per text.
//!
//! Bandwidth answers STOP itself only on toll-free numbers, so on other lines the confirmation is
//! ours to send: the default opt-out replies stand.
//!
//! Calls to the line come from a Bandwidth Voice application (see `calls`).

use crate::lifecycle::DeliveryState;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;

use crate::gateway::settings::{ProviderTable, url_setting};
use crate::phone::Region;
use crate::secret::Secret;
use crate::setting_error::SettingError;

use super::json::{self, Code};
use super::{
    Answer, AuthError, Calls, DeliveryReport, Event, Gateway, Inbound, Media, Outgoing,
    PayloadError, Provider, SendError, SendFuture, Webhook, phone_field,
};

mod calls;
#[cfg(test)]
mod tests;

pub const PROVIDER: Provider = Provider {
    name: "bandwidth",
    configure,
};

/// "Destination rejected due to user opt-out".
const OPTED_OUT: &str = "4775";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    account_id: String,
    username: String,
    password: Secret,
    application_id: String,
    callback_username: String,
    callback_password: Secret,
    api_base: Option<String>,
    voice_api_base: Option<String>,
}

#[derive(Debug)]
pub struct Bandwidth {
    account_id: String,
    username: String,
    password: Secret,
    application_id: String,
    callback_username: String,
    callback_password: Secret,
    api_base: Url,
    /// The Voice API, which holds messages left on calls.
    voice_api_base: Url,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    Ok(Arc::new(Bandwidth {
        api_base: url_setting(
            &format!("{}.api_base", table.key),
            s.api_base.as_deref(),
            "https://messaging.bandwidth.com",
        )?,
        voice_api_base: url_setting(
            &format!("{}.voice_api_base", table.key),
            s.voice_api_base.as_deref(),
            "https://voice.bandwidth.com",
        )?,
        account_id: s.account_id,
        username: s.username,
        password: s.password,
        application_id: s.application_id,
        callback_username: s.callback_username,
        callback_password: s.callback_password,
    }))
}

impl Gateway for Bandwidth {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let header = hook
            .header("authorization")
            .ok_or(AuthError::Missing("Authorization"))?;
        let given = basic_credentials(header).ok_or(AuthError::Rejected(
            "the Authorization header is not HTTP Basic",
        ))?;
        let expected = format!(
            "{}:{}",
            self.callback_username,
            self.callback_password.expose()
        );
        if same_secret(&given, expected.as_bytes()) {
            Ok(())
        } else {
            Err(AuthError::Rejected("wrong callback credentials"))
        }
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        json::body::<Vec<Callback>>(hook.body)?
            .into_iter()
            .map(|callback| read_callback(callback, region))
            .collect()
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        let url = format!(
            "{}/api/v2/users/{}/messages",
            self.api_base.as_str().trim_end_matches('/'),
            self.account_id
        );
        let request = http
            .post(url)
            .basic_auth(&self.username, Some(self.password.expose()))
            .json(&NewMessage {
                to: [msg.to],
                from: msg.from,
                text: msg.body,
                application_id: &self.application_id,
                tag: msg.reference.to_string(),
            });
        Box::pin(async move {
            let answer = super::call(request, "Bandwidth").await?;
            if answer.is_success() {
                return answer.json::<Created>("Bandwidth").map(|c| Some(c.id));
            }
            Err(classify(&answer))
        })
    }

    /// Calls come from a Voice application, given the same callback credentials.
    fn calls(&self) -> Option<&dyn Calls> {
        Some(self)
    }
}

/// The `user:password` bytes of a Basic `Authorization` header.
fn basic_credentials(header: &str) -> Option<Vec<u8>> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    BASE64.decode(encoded.trim()).ok()
}

/// Compares credentials in time that does not depend on where they differ, or on their lengths:
/// both sides are hashed under one key and the tags compared by `verify_slice`.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let tag = |bytes: &[u8]| {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(b"bandwidth callback").expect("HMAC takes any key");
        mac.update(bytes);
        mac
    };
    tag(given)
        .verify_slice(&tag(expected).finalize().into_bytes())
        .is_ok()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Callback {
    #[serde(rename = "type")]
    kind: Option<String>,
    to: Option<String>,
    error_code: Option<Code>,
    message: Option<Message>,
}

#[derive(serde::Deserialize)]
struct Message {
    id: Option<String>,
    owner: Option<String>,
    from: Option<String>,
    text: Option<String>,
    media: Option<Vec<String>>,
    direction: Option<String>,
}

/// Reads one event of a callback's array.
fn read_callback(callback: Callback, region: Region) -> Result<Event, PayloadError> {
    let kind = json::required("type", callback.kind.as_deref())?.to_owned();
    let message = callback.message.ok_or(PayloadError::Missing("message"))?;
    // Bandwidth echoes our own texts' events to the same address; only texts coming in are taken
    // in, so a reply can never be read as a new text.
    let outgoing = message.direction.as_deref() == Some("out");
    let state = match kind.as_str() {
        "message-received" if !outgoing => {
            return read_text(callback.to, message, region).map(Event::Text);
        }
        "message-delivered" => DeliveryState::Delivered,
        "message-failed" => DeliveryState::Failed,
        // `message-sending` (picture messages, when asked for) says nothing the send's answer did not.
        _ => return Ok(Event::Ignored),
    };
    let error_code = callback.error_code.map(|c| c.0);
    Ok(Event::Delivery(DeliveryReport {
        gateway_id: json::required("message.id", message.id.as_deref())?.to_owned(),
        state: Some(state),
        recipient_opted_out: error_code.as_deref() == Some(OPTED_OUT),
        error_code,
    }))
}

/// A text to one of our numbers: the event's `to` is that number (a group text reaches each of our
/// numbers as its own event), with the message's owner as a fallback.
fn read_text(
    to: Option<String>,
    message: Message,
    region: Region,
) -> Result<Inbound, PayloadError> {
    let line = to.or(message.owner).unwrap_or_default();
    Ok(Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway: PROVIDER.name,
        gateway_id: Some(json::required("message.id", message.id.as_deref())?.to_owned()),
        line: phone_field("to", &line, region)?,
        from: phone_field(
            "message.from",
            message.from.as_deref().unwrap_or(""),
            region,
        )?,
        body: message.text.unwrap_or_default(),
        media: message
            .media
            .unwrap_or_default()
            .into_iter()
            .map(|url| Media {
                url,
                content_type: None,
            })
            .collect(),
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct NewMessage<'a> {
    to: [&'a str; 1],
    from: &'a str,
    text: &'a str,
    application_id: &'a str,
    /// Our id for the text, echoed in its delivery events.
    tag: String,
}

#[derive(serde::Deserialize)]
struct Created {
    id: String,
}

#[derive(serde::Deserialize)]
struct ApiError {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Sorts a refused send by the error's `type`. Its `description` is left out of what we keep, as
/// it may quote the numbers of the request.
fn classify(answer: &Answer) -> SendError {
    let kind = serde_json::from_str::<ApiError>(&answer.body)
        .ok()
        .and_then(|e| e.kind);
    let detail = format!(
        "Bandwidth answered {} ({})",
        answer.status,
        kind.as_deref().unwrap_or("no error type")
    );
    super::error_from_status(answer, kind, detail)
}
