//! Telnyx Messaging API v2.
//!
//! Every event comes as one JSON envelope, `{"data": {"event_type", "payload": {…}}, "meta": {…}}`,
//! to whichever address it was given (the messaging profile's, or the `webhook_url` of a send), so
//! all three of our addresses read it the same way. Each is signed with Ed25519 over
//! `telnyx-timestamp + "|" + raw body` by the account's key pair; the portal shows the public half.
//! Sends go to `POST /v2/messages` with the API key as a bearer token.
//!
//! Calls come through a TeXML application instead: forms, not JSON, signed the same way (see
//! `calls`).

use crate::lifecycle::DeliveryState;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use reqwest::Url;

use crate::gateway::settings::{OptOutReplies, ProviderTable, url_setting};
use crate::phone::Region;
use crate::secret::Secret;
use crate::setting_error::{SettingError, invalid};

use super::json::{self, Code};
use super::{
    Answer, AuthError, DeliveryReport, Event, Gateway, Inbound, Media, Outgoing, PayloadError,
    Provider, SendError, SendFuture, Webhook, phone_field,
};

mod calls;
#[cfg(test)]
mod tests;

pub const PROVIDER: Provider = Provider {
    name: "telnyx",
    configure,
};

const SIGNATURE: &str = "telnyx-signature-ed25519";
const TIMESTAMP: &str = "telnyx-timestamp";
/// How far a signed timestamp may be from our clock: Telnyx's own libraries allow five minutes.
const WINDOW_S: i64 = 300;
/// "Blocked due to STOP message": the recipient texted STOP to this messaging profile.
const BLOCKED_BY_STOP: &str = "40300";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    api_key: Secret,
    public_key: String,
    messaging_profile_id: Option<String>,
    api_base: Option<String>,
}

#[derive(Debug)]
pub struct Telnyx {
    api_key: Secret,
    public_key: VerifyingKey,
    messaging_profile_id: Option<String>,
    api_base: Url,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    Ok(Arc::new(Telnyx {
        public_key: public_key(&format!("{}.public_key", table.key), &s.public_key)?,
        api_base: url_setting(
            &format!("{}.api_base", table.key),
            s.api_base.as_deref(),
            "https://api.telnyx.com",
        )?,
        api_key: s.api_key,
        messaging_profile_id: s.messaging_profile_id,
    }))
}

/// Reads the portal's public key now, so a pasting mistake stops the service at start-up instead
/// of refusing every webhook later.
fn public_key(key: &str, value: &str) -> Result<VerifyingKey, SettingError> {
    const WHERE: &str = "copy it from the Telnyx portal, Keys & Credentials → Public Key";
    let bytes = BASE64
        .decode(value.trim())
        .map_err(|_| invalid(key, format!("is not base64; {WHERE}")))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        invalid(
            key,
            format!(
                "is {} bytes long, not the 32 of an Ed25519 key; {WHERE}",
                b.len()
            ),
        )
    })?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| invalid(key, format!("is not an Ed25519 public key; {WHERE}")))
}

impl Gateway for Telnyx {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let signature = hook
            .header(SIGNATURE)
            .ok_or(AuthError::Missing(SIGNATURE))?;
        let timestamp = hook
            .header(TIMESTAMP)
            .ok_or(AuthError::Missing(TIMESTAMP))?;
        if !signed_by(&self.public_key, timestamp, hook.body, signature) {
            return Err(AuthError::BadSignature);
        }
        // Checked once the signature holds, so a refusal for age means a genuine but replayed
        // or long-delayed event.
        let signed_at: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| AuthError::Rejected("telnyx-timestamp is not a number of seconds"))?;
        if hook.now_s.abs_diff(signed_at) > WINDOW_S.unsigned_abs() {
            return Err(AuthError::Stale(WINDOW_S));
        }
        Ok(())
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        Ok(vec![read_event(json::body(hook.body)?, region)?])
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        let url = format!(
            "{}/v2/messages",
            self.api_base.as_str().trim_end_matches('/')
        );
        let request = http
            .post(url)
            .bearer_auth(self.api_key.expose())
            .json(&NewMessage {
                from: msg.from,
                to: msg.to,
                text: msg.body,
                webhook_url: msg.status_callback,
                messaging_profile_id: self.messaging_profile_id.as_deref(),
            });
        Box::pin(async move {
            let answer = super::call(request, "Telnyx").await?;
            if answer.is_success() {
                return answer.json::<Created>("Telnyx").map(|c| Some(c.data.id));
            }
            Err(classify(&answer))
        })
    }

    fn default_opt_out_replies(&self) -> OptOutReplies {
        // Telnyx answers STOP, START and HELP itself and blocks the sender on STOP.
        OptOutReplies::Gateway
    }

    fn calls(&self) -> Option<&dyn super::Calls> {
        Some(self)
    }
}

/// Whether `signature` (base64) is the key's Ed25519 signature of `timestamp|body`.
fn signed_by(key: &VerifyingKey, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(bytes) = BASE64
        .decode(signature.trim())
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    key.verify_strict(&message, &Signature::from_bytes(&bytes))
        .is_ok()
}

#[derive(serde::Deserialize)]
struct Envelope {
    data: Option<EventData>,
}

#[derive(serde::Deserialize)]
struct EventData {
    event_type: Option<String>,
    payload: Option<Payload>,
}

#[derive(serde::Deserialize)]
struct Payload {
    id: Option<String>,
    from: Option<Endpoint>,
    to: Option<Vec<Endpoint>>,
    text: Option<String>,
    media: Option<Vec<PayloadMedia>>,
    errors: Option<Vec<ApiError>>,
}

#[derive(serde::Deserialize)]
struct Endpoint {
    phone_number: Option<String>,
    status: Option<String>,
}

#[derive(serde::Deserialize)]
struct PayloadMedia {
    url: Option<String>,
    content_type: Option<String>,
}

/// An entry of `errors`, in API answers and in delivery events alike.
#[derive(serde::Deserialize)]
struct ApiError {
    code: Option<Code>,
    title: Option<String>,
}

/// Reads one event: a text to us, a delivery update for a text of ours, or something we skip.
fn read_event(envelope: Envelope, region: Region) -> Result<Event, PayloadError> {
    let data = envelope.data.ok_or(PayloadError::Missing("data"))?;
    let event_type = json::required("data.event_type", data.event_type.as_deref())?.to_owned();
    let delivery = match event_type.as_str() {
        "message.received" => false,
        "message.sent" | "message.finalized" => true,
        _ => return Ok(Event::Ignored),
    };
    let payload = data.payload.ok_or(PayloadError::Missing("data.payload"))?;
    let gateway_id = json::required("data.payload.id", payload.id.as_deref())?.to_owned();
    // Our line on an inbound text, the recipient on one of ours: either way the first `to`.
    let to = payload
        .to
        .and_then(|to| to.into_iter().next())
        .ok_or(PayloadError::Missing("data.payload.to"))?;
    if delivery {
        let status = json::required("data.payload.to[0].status", to.status.as_deref())?.to_owned();
        let error_code = payload
            .errors
            .and_then(|errors| errors.into_iter().find_map(|e| e.code))
            .map(|c| c.0);
        return Ok(Event::Delivery(DeliveryReport {
            gateway_id,
            state: delivery_state(&status),
            recipient_opted_out: error_code.as_deref() == Some(BLOCKED_BY_STOP),
            error_code,
        }));
    }
    let phone = |field, endpoint: Option<Endpoint>| {
        let number = endpoint.and_then(|e| e.phone_number).unwrap_or_default();
        phone_field(field, &number, region)
    };
    Ok(Event::Text(Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway: PROVIDER.name,
        gateway_id: Some(gateway_id),
        line: phone("data.payload.to[0].phone_number", Some(to))?,
        from: phone("data.payload.from.phone_number", payload.from)?,
        body: payload.text.unwrap_or_default(),
        media: payload
            .media
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                Some(Media {
                    url: m.url.filter(|u| !u.is_empty())?,
                    content_type: m.content_type,
                })
            })
            .collect(),
    }))
}

/// Our state for a recipient's status; `queued` and `sending` tell us nothing new.
fn delivery_state(status: &str) -> Option<DeliveryState> {
    match status {
        // The carrier took the text but never confirmed it arrived: it stays sent.
        "sent" | "delivery_unconfirmed" => Some(DeliveryState::Sent),
        "delivered" => Some(DeliveryState::Delivered),
        "sending_failed" | "delivery_failed" => Some(DeliveryState::Failed),
        _ => None,
    }
}

#[derive(serde::Serialize)]
struct NewMessage<'a> {
    from: &'a str,
    to: &'a str,
    text: &'a str,
    webhook_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    messaging_profile_id: Option<&'a str>,
}

#[derive(serde::Deserialize)]
struct Created {
    data: CreatedData,
}

#[derive(serde::Deserialize)]
struct CreatedData {
    id: String,
}

#[derive(serde::Deserialize)]
struct ApiErrors {
    errors: Vec<ApiError>,
}

/// Sorts a refused send. Only the error's title goes into the detail we keep: Telnyx's `detail`
/// quotes both phone numbers.
fn classify(answer: &Answer) -> SendError {
    let error = serde_json::from_str::<ApiErrors>(&answer.body)
        .ok()
        .and_then(|e| e.errors.into_iter().next());
    let (code, title) = error.map_or((None, None), |e| (e.code.map(|c| c.0), e.title));
    if code.as_deref() == Some(BLOCKED_BY_STOP) {
        return SendError::RecipientOptedOut {
            code: BLOCKED_BY_STOP.into(),
        };
    }
    let detail = format!(
        "Telnyx answered {}: {}",
        answer.status,
        title.as_deref().unwrap_or("no error title")
    );
    super::error_from_status(answer, code, detail)
}
