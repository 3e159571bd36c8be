//! SMS Gateway for Android (capcom6/android-sms-gateway): an app that makes an Android phone and
//! its SIM the line.
//!
//! The app posts every event to one address as JSON, `{"id", "webhookId", "event", "deviceId",
//! "payload"}`, signed with `X-Signature` = lowercase hex HMAC-SHA256(signing key, raw body then the
//! `X-Timestamp` value). A webhook that fails is resent for about two days with the same body (so
//! the same `id`) under a fresh timestamp and signature: `id` is what tells a retry from a new text.
//! Sends go to the phone's own HTTP server (local mode) or through the vendor's cloud or a private
//! server (cloud mode); both take Basic auth and the same JSON.
//!
//! A phone SIM has no opt-out layer: STOP reaches us like any text, and our reply is the only one.

use crate::lifecycle::DeliveryState;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::gateway::settings::{OptOutReplies, ProviderTable, url_setting};
use crate::phone::{Phone, Region};
use crate::secret::Secret;
use crate::setting_error::{SettingError, invalid};

use super::json::required;
use super::{
    Answer, AuthError, DeliveryReport, Event, Gateway, Inbound, Outgoing, PayloadError, Provider,
    SendError, SendFuture, Webhook, sender_field,
};

pub const PROVIDER: Provider = Provider {
    name: "android",
    configure,
};

const CLOUD_API: &str = "https://api.sms-gate.app/3rdparty/v1";
/// How far `X-Timestamp` may be from our clock; the app's documentation suggests five minutes.
const WINDOW_S: i64 = 300;
const NAME: &str = "SMS Gateway for Android";

#[derive(serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Local,
    Cloud,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    mode: Mode,
    api_base: Option<String>,
    username: String,
    password: Secret,
    signing_key: Secret,
    device_id: Option<String>,
    sim_number: Option<u8>,
}

#[derive(Debug)]
pub struct Android {
    /// The number of the SIM this line is; see [`Android::received`] for why it is not read from
    /// the webhook.
    line: Phone,
    send_url: String,
    username: String,
    password: Secret,
    signing_key: Secret,
    device_id: Option<String>,
    sim_number: Option<u8>,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    let key = |k: &str| format!("{}.{k}", table.key);
    let (base, route) = match s.mode {
        Mode::Cloud => (
            url_setting(&key("api_base"), s.api_base.as_deref(), CLOUD_API)?,
            "messages",
        ),
        Mode::Local => match s.api_base.as_deref() {
            Some(base) => (url_setting(&key("api_base"), Some(base), base)?, "message"),
            None => {
                return Err(invalid(
                    key("api_base"),
                    "a local-mode line needs the phone's address, like http://192.168.1.20:8080",
                ));
            }
        },
    };
    if s.sim_number == Some(0) {
        return Err(invalid(key("sim_number"), "SIMs are counted from 1"));
    }
    Ok(Arc::new(Android {
        line: table.line.clone(),
        send_url: format!("{}/{route}", base.as_str().trim_end_matches('/')),
        username: s.username,
        password: s.password,
        signing_key: s.signing_key,
        device_id: s.device_id,
        sim_number: s.sim_number,
    }))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    id: Option<String>,
    event: Option<String>,
    device_id: Option<String>,
    payload: Option<Payload>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    message_id: Option<String>,
    message: Option<String>,
    sender: Option<String>,
    /// What app versions before `sender` called the sender of a received text.
    phone_number: Option<String>,
    sim_number: Option<i64>,
    reason: Option<String>,
}

fn read_envelope(body: &[u8]) -> Result<Envelope, PayloadError> {
    serde_json::from_slice(body)
        .map_err(|e| PayloadError::invalid("body", format!("is not the app's JSON ({e})")))
}

fn mac(key: &str, body: &[u8], timestamp: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.update(timestamp.as_bytes());
    mac
}

/// The `X-Signature` the app would send with this body and `X-Timestamp`.
pub fn signature(key: &str, body: &[u8], timestamp: &str) -> String {
    hex::encode(mac(key, body, timestamp).finalize().into_bytes())
}

/// Checks `X-Signature` in constant time.
fn signature_matches(key: &str, body: &[u8], timestamp: &str, header: &str) -> bool {
    hex::decode(header.trim())
        .is_ok_and(|expected| mac(key, body, timestamp).verify_slice(&expected).is_ok())
}

impl Android {
    /// With several phones, or both SIMs of one phone, behind one signing key, the device and SIM a
    /// line is set to tell whose webhook it is, and the next line gets to try it.
    fn check_phone(&self, body: &[u8]) -> Result<(), AuthError> {
        if self.device_id.is_none() && self.sim_number.is_none() {
            return Ok(());
        }
        // An unreadable body is the parser's to name, with a 400.
        let Ok(envelope) = read_envelope(body) else {
            return Ok(());
        };
        if let (Some(ours), Some(theirs)) = (&self.device_id, &envelope.device_id)
            && ours != theirs
        {
            return Err(AuthError::Rejected("the webhook is from another device"));
        }
        let sim = envelope.payload.and_then(|p| p.sim_number);
        if let (Some(ours), Some(theirs)) = (self.sim_number, sim)
            && i64::from(ours) != theirs
        {
            return Err(AuthError::Rejected("the webhook is about another SIM"));
        }
        Ok(())
    }

    /// The line is the one this phone was configured as: the app's `recipient` is whatever number
    /// the SIM reports for itself, which is often missing and sometimes stale.
    fn received(&self, envelope: &Envelope, region: Region) -> Result<Event, PayloadError> {
        let gateway_id = required("id", envelope.id.as_deref())?;
        let payload = envelope
            .payload
            .as_ref()
            .ok_or(PayloadError::Missing("payload"))?;
        let sender = payload.sender.as_ref().or(payload.phone_number.as_ref());
        let Some(from) = sender_field("payload.sender", sender.map_or("", String::as_str), region)?
        else {
            tracing::info!(
                gateway = PROVIDER.name,
                "ignored a text from a sender that is not a number"
            );
            return Ok(Event::Ignored);
        };
        let body = payload
            .message
            .clone()
            .ok_or(PayloadError::Missing("payload.message"))?;
        Ok(Event::Text(Inbound {
            channel: crate::lifecycle::Channel::Sms,
            gateway: PROVIDER.name,
            gateway_id: Some(gateway_id.to_string()),
            line: self.line.clone(),
            from,
            body,
            media: Vec::new(),
        }))
    }
}

/// A status event about a text we sent; `payload.messageId` is the id we gave it.
fn delivery(envelope: &Envelope, state: DeliveryState) -> Result<Event, PayloadError> {
    let payload = envelope
        .payload
        .as_ref()
        .ok_or(PayloadError::Missing("payload"))?;
    Ok(Event::Delivery(DeliveryReport {
        gateway_id: required("payload.messageId", payload.message_id.as_deref())?.to_string(),
        state: Some(state),
        error_code: payload.reason.clone().filter(|r| !r.is_empty()),
        recipient_opted_out: false,
    }))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SendRequest<'a> {
    text_message: TextMessage<'a>,
    phone_numbers: [&'a str; 1],
    id: &'a str,
    with_delivery_report: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sim_number: Option<u8>,
}

#[derive(serde::Serialize)]
struct TextMessage<'a> {
    text: &'a str,
}

#[derive(serde::Deserialize)]
struct Accepted {
    id: String,
}

/// Reads the send's answer. A 409 says a message with our id exists already: an earlier try got
/// through and only its answer was lost, so this is a success, not a second text.
fn outcome(answer: &Answer, id: String) -> Result<Option<String>, SendError> {
    if answer.status == 409 {
        return Ok(Some(id));
    }
    if answer.is_success() {
        return answer.json::<Accepted>(NAME).map(|a| Some(a.id));
    }
    Err(super::error_with_message(answer, NAME))
}

impl Gateway for Android {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let signature = hook
            .header("x-signature")
            .ok_or(AuthError::Missing("X-Signature"))?;
        let timestamp = hook
            .header("x-timestamp")
            .ok_or(AuthError::Missing("X-Timestamp"))?;
        if !signature_matches(self.signing_key.expose(), hook.body, timestamp, signature) {
            return Err(AuthError::BadSignature);
        }
        let signed_at: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| AuthError::Rejected("X-Timestamp is not a Unix time"))?;
        // A captured webhook replayed later carries its old timestamp, which it cannot change.
        if (hook.now_s - signed_at).abs() > WINDOW_S {
            return Err(AuthError::Stale(WINDOW_S));
        }
        self.check_phone(hook.body)
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        let envelope = read_envelope(hook.body)?;
        let event = match required("event", envelope.event.as_deref())? {
            "sms:received" => self.received(&envelope, region)?,
            "sms:sent" => delivery(&envelope, DeliveryState::Sent)?,
            // Sent once per part of a long text; repeats change nothing.
            "sms:delivered" => delivery(&envelope, DeliveryState::Delivered)?,
            "sms:failed" => delivery(&envelope, DeliveryState::Failed)?,
            // Pings, app starts, data SMS, and MMS notices, which carry no address for the
            // pictures, only word that some arrived.
            _ => Event::Ignored,
        };
        Ok(vec![event])
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            // Our own id makes a retried send safe: the app refuses a second message with it.
            let id = format!("aidline-{}", msg.reference);
            let body = SendRequest {
                text_message: TextMessage { text: msg.body },
                phone_numbers: [msg.to],
                id: &id,
                with_delivery_report: true,
                device_id: self.device_id.as_deref(),
                sim_number: self.sim_number,
            };
            let request = http
                .post(&self.send_url)
                .basic_auth(&self.username, Some(self.password.expose()))
                .json(&body);
            let answer = super::call(request, NAME).await?;
            outcome(&answer, id)
        })
    }

    fn default_opt_out_replies(&self) -> OptOutReplies {
        // Nothing between the SIM and the neighbour answers STOP.
        OptOutReplies::Ours
    }

    fn default_segments_per_second(&self) -> Option<f64> {
        // A handset's radio sends about one segment a second; faster only queues texts on the
        // phone, where a STOP that arrives meanwhile can no longer hold them back.
        Some(1.0)
    }
}

#[cfg(test)]
mod tests;
