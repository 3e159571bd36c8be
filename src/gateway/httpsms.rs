//! httpSMS (NdoleStudio/httpsms): an Android phone and its SIM as the line, behind a hosted (or
//! self-hosted) API.
//!
//! Every event arrives at one address as a CloudEvents 1.0 JSON object: `{"id", "type", "source",
//! "data": {…}}`. httpSMS authenticates a webhook with `Authorization: Bearer <JWT>`, HS256 under the
//! webhook's signing key, `iss` = `api.httpsms.com`, `aud` = the webhook's URL, valid ten minutes
//! either side of its sending. The token does not cover the body, so the body's integrity rests on
//! TLS. httpSMS makes the signing key optional; aidline does not: our webhook path is the same in
//! every installation, so an unsigned endpoint would take forged texts (a STOP in a neighbour's
//! name, a made-up request) from anyone who knows the group's domain.
//!
//! A phone SIM has no opt-out layer: STOP reaches us like any text, and our reply is the only one.

use crate::lifecycle::DeliveryState;
use std::sync::Arc;

use crate::gateway::settings::{OptOutReplies, ProviderTable, url_setting};
use crate::phone::Region;
use crate::secret::Secret;
use crate::setting_error::SettingError;

use super::json::required;
use super::jwt::{self, Expect};
use super::{
    Answer, AuthError, DeliveryReport, Event, Gateway, Inbound, Outgoing, PayloadError, Provider,
    SendError, SendFuture, Webhook, phone_field, sender_field,
};

pub const PROVIDER: Provider = Provider {
    name: "httpsms",
    configure,
};

const ISSUER: &str = "api.httpsms.com";
const NAME: &str = "httpSMS";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    api_key: Secret,
    signing_key: Secret,
    api_base: Option<String>,
}

#[derive(Debug)]
pub struct HttpSms {
    api_key: Secret,
    signing_key: Secret,
    send_url: String,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    let base = url_setting(
        &format!("{}.api_base", table.key),
        s.api_base.as_deref(),
        "https://api.httpsms.com",
    )?;
    Ok(Arc::new(HttpSms {
        api_key: s.api_key,
        signing_key: s.signing_key,
        send_url: format!("{}/v1/messages/send", base.as_str().trim_end_matches('/')),
    }))
}

#[derive(serde::Deserialize)]
struct CloudEvent {
    #[serde(rename = "type")]
    kind: Option<String>,
    data: Option<Data>,
}

/// The fields of every event's `data` that we read; each event carries some of them.
#[derive(serde::Deserialize)]
struct Data {
    /// The message's id in received and expired events.
    message_id: Option<String>,
    /// The message's id in sent, delivered and failed events (and received ones, in old versions).
    id: Option<String>,
    owner: Option<String>,
    contact: Option<String>,
    content: Option<String>,
    #[serde(default)]
    encrypted: bool,
    error_message: Option<String>,
    /// On an expired event: whether httpSMS has given up, or will try the phone again.
    is_final: Option<bool>,
}

impl Data {
    fn message_id(&self, field: &'static str) -> Result<String, PayloadError> {
        let id = self.message_id.as_deref().or(self.id.as_deref());
        required(field, id).map(str::to_string)
    }

    fn report(
        &self,
        state: Option<DeliveryState>,
        error: Option<&str>,
    ) -> Result<Event, PayloadError> {
        Ok(Event::Delivery(DeliveryReport {
            gateway_id: self.message_id("data.id")?,
            state,
            error_code: error.filter(|e| !e.is_empty()).map(str::to_string),
            recipient_opted_out: false,
        }))
    }
}

/// Reads one event.
fn read_event(body: &[u8], region: Region) -> Result<Event, PayloadError> {
    let event: CloudEvent = serde_json::from_slice(body)
        .map_err(|e| PayloadError::invalid("body", format!("is not a CloudEvent ({e})")))?;
    let kind = required("type", event.kind.as_deref())?;
    let data = || event.data.as_ref().ok_or(PayloadError::Missing("data"));
    match kind {
        "message.phone.received" => received(data()?, region),
        "message.phone.sent" => data()?.report(Some(DeliveryState::Sent), None),
        "message.phone.delivered" => data()?.report(Some(DeliveryState::Delivered), None),
        "message.send.failed" => {
            let data = data()?;
            data.report(Some(DeliveryState::Failed), data.error_message.as_deref())
        }
        "message.send.expired" => {
            let data = data()?;
            // Not final: httpSMS will hand the text to the phone again, so nothing is settled.
            let state = (data.is_final != Some(false)).then_some(DeliveryState::Failed);
            data.report(state, Some("expired"))
        }
        "message.call.missed" => missed_call(data()?, region),
        // Heartbeats and the rest are about the phone, not a person.
        _ => Ok(Event::Ignored),
    }
}

fn received(data: &Data, region: Region) -> Result<Event, PayloadError> {
    // The phone encrypts with a key only its owner holds; a body we cannot read would send the
    // neighbour down the flow on gibberish. Refusing makes httpSMS report the failed webhook to
    // the account owner, who can turn encryption off in the app.
    if data.encrypted {
        return Err(PayloadError::invalid(
            "data.encrypted",
            "is true: aidline cannot read end-to-end encrypted texts; turn encryption off in the httpSMS app",
        ));
    }
    // httpSMS's id for the message itself: it stays the same however often the event is sent,
    // where the CloudEvent `id` is only promised to stay the same for one event's retries.
    let gateway_id = data.message_id("data.message_id")?;
    let contact = data.contact.as_deref().unwrap_or_default();
    let Some(from) = sender_field("data.contact", contact, region)? else {
        tracing::info!(
            gateway = PROVIDER.name,
            "ignored a text from a sender that is not a number"
        );
        return Ok(Event::Ignored);
    };
    let line = phone_field(
        "data.owner",
        data.owner.as_deref().unwrap_or_default(),
        region,
    )?;
    let body = data
        .content
        .clone()
        .ok_or(PayloadError::Missing("data.content"))?;
    Ok(Event::Text(Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway: PROVIDER.name,
        gateway_id: Some(gateway_id),
        line,
        from,
        body,
        media: Vec::new(),
    }))
}

/// A call the phone did not answer: the caller gets the line's flow by text. The phone reports
/// it once the call has ended, when the newest entry of its call log is a missed call.
fn missed_call(data: &Data, region: Region) -> Result<Event, PayloadError> {
    let gateway_id = format!("missed:{}", data.message_id("data.message_id")?);
    let contact = data.contact.as_deref().unwrap_or_default();
    let Some(from) = sender_field("data.contact", contact, region)? else {
        return Ok(Event::Ignored);
    };
    let owner = data.owner.as_deref().unwrap_or_default();
    Ok(Event::Text(Inbound {
        channel: crate::lifecycle::Channel::MissedCall,
        gateway: PROVIDER.name,
        gateway_id: Some(gateway_id),
        line: phone_field("data.owner", owner, region)?,
        from,
        body: String::new(),
        media: Vec::new(),
    }))
}

#[derive(serde::Serialize)]
struct SendRequest<'a> {
    from: &'a str,
    to: &'a str,
    content: &'a str,
    request_id: String,
}

#[derive(serde::Deserialize)]
struct Sent {
    data: SentMessage,
}

/// The message as httpSMS stored it; its `id` is what later status events carry as `data.id`.
#[derive(serde::Deserialize)]
struct SentMessage {
    id: String,
}

fn outcome(answer: &Answer) -> Result<Option<String>, SendError> {
    if answer.is_success() {
        return answer.json::<Sent>(NAME).map(|s| Some(s.data.id));
    }
    Err(super::error_with_message(answer, NAME))
}

impl Gateway for HttpSms {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let token = jwt::bearer(hook)?;
        let expect = Expect {
            issuer: Some(ISSUER),
            audience: Some(hook.url),
            require_exp: true,
            max_age_s: None,
            now_s: hook.now_s,
        };
        jwt::verify_hs256::<serde::de::IgnoredAny>(
            token,
            self.signing_key.expose().as_bytes(),
            &expect,
        )
        .map(|_| ())
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        read_event(hook.body, region).map(|event| vec![event])
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            // httpSMS does not refuse a repeated request_id, so a send retried after a lost answer
            // can go out twice; the id at least ties both to our row in its dashboard.
            let body = SendRequest {
                from: msg.from,
                to: msg.to,
                content: msg.body,
                request_id: format!("aidline-{}", msg.reference),
            };
            let request = http
                .post(&self.send_url)
                .header("x-api-key", self.api_key.expose())
                .json(&body);
            outcome(&super::call(request, NAME).await?)
        })
    }

    fn default_opt_out_replies(&self) -> OptOutReplies {
        // Nothing between the SIM and the neighbour answers STOP.
        OptOutReplies::Ours
    }

    fn default_segments_per_second(&self) -> Option<f64> {
        // A handset's radio sends about one segment a second; faster only queues texts at httpSMS
        // and on the phone, where a STOP that arrives meanwhile can no longer hold them back.
        Some(1.0)
    }
}

#[cfg(test)]
mod tests;
