//! Plivo Messaging.
//!
//! Inbound texts (the Plivo application's message URL) and delivery reports (the `url` given with
//! each send) arrive as form posts, or as GETs if the console says so:
//! `To=4759440448&From=4795961111&Text=Msg&Type=sms&MessageUUID=7a24…`. Numbers are international
//! but written without the `+`. Each is signed with Plivo's V3 scheme: base64(HMAC-SHA256(auth
//! token, URL and sorted fields + "." + nonce)), nonce in `X-Plivo-Signature-V3-Nonce`. Sends are
//! JSON to the Message API with Basic auth, numbers in E.164 with their `+`, as Plivo's own
//! libraries pass them on.
//!
//! Calls come to `/webhooks/plivo/voice`, signed the same way (see `calls`).

use crate::lifecycle::DeliveryState;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;

use crate::gateway::settings::{OptOutReplies, ProviderTable, url_setting};
use crate::phone::{Phone, Region};
use crate::secret::Secret;
use crate::setting_error::SettingError;

use super::{
    Acknowledgement, AuthError, DeliveryReport, Event, Gateway, Hook, Inbound, Media, Outgoing,
    Params, PayloadError, Provider, SendError, SendFuture, Webhook, phone_field,
};

pub const PROVIDER: Provider = Provider {
    name: "plivo",
    configure,
};

/// The most pictures Plivo delivers with one incoming message.
const MAX_MEDIA: usize = 10;

/// Plivo's error code for a text it blocked because the recipient had texted STOP.
const OPTED_OUT: &str = "200";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    auth_id: String,
    auth_token: Secret,
    api_base: Option<String>,
}

#[derive(Debug)]
pub struct Plivo {
    auth_id: String,
    auth_token: Secret,
    api_base: Url,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    Ok(Arc::new(Plivo {
        api_base: url_setting(
            &format!("{}.api_base", table.key),
            s.api_base.as_deref(),
            "https://api.plivo.com",
        )?,
        auth_id: s.auth_id,
        auth_token: s.auth_token,
    }))
}

impl Gateway for Plivo {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let signatures = hook
            .header("x-plivo-signature-v3")
            .ok_or(AuthError::Missing("X-Plivo-Signature-V3"))?;
        let nonce = hook
            .header("x-plivo-signature-v3-nonce")
            .ok_or(AuthError::Missing("X-Plivo-Signature-V3-Nonce"))?;
        let posted = Params::from_form(hook.body);
        let fields = posted_fields(hook.method, &posted);
        let mac = mac(self.auth_token.expose(), nonce, hook.url, fields);
        // The header may list several signatures; Plivo's own validators accept a match with any.
        let valid = signatures.split(',').any(|signature| {
            BASE64
                .decode(signature.trim())
                .is_ok_and(|bytes| mac.clone().verify_slice(&bytes).is_ok())
        });
        if valid {
            Ok(())
        } else {
            Err(AuthError::BadSignature)
        }
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        let params = hook.params();
        let is_status = match hook.hook {
            Hook::Status => true,
            // Call hooks go to the call handlers and never reach a text parser.
            Hook::Inbound
            | Hook::Call
            | Hook::Recording
            | Hook::Transcription
            | Hook::CallEnded => false,
            // Only delivery reports carry a `Status`.
            Hook::Events => params.get("Status").is_some(),
        };
        Ok(vec![if is_status {
            Event::Delivery(parse_status(&params)?)
        } else {
            Event::Text(parse_inbound(&params, region)?)
        }])
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        let url = format!(
            "{}/v1/Account/{}/Message/",
            self.api_base.as_str().trim_end_matches('/'),
            self.auth_id
        );
        let request = http
            .post(url)
            .basic_auth(&self.auth_id, Some(self.auth_token.expose()))
            .json(&serde_json::json!({
                "src": msg.from,
                "dst": msg.to,
                "text": msg.body,
                "url": msg.status_callback,
                "method": "POST",
            }));
        Box::pin(async move {
            let answer = super::call(request, "Plivo").await?;
            if answer.is_success() {
                let queued: Queued = answer.json("Plivo")?;
                return Ok(queued.message_uuid.into_iter().next());
            }
            Err(send_error(&answer))
        })
    }

    fn acknowledgement(&self) -> Acknowledgement {
        // Plivo retries on anything but a 2xx and reads a body only as `<Message>` replies to send.
        // Ours go through the outbox (paced, retried, opt-outs checked), so an empty 200 says all
        // there is to say, for status callbacks as much as for texts.
        Acknowledgement::Empty
    }

    fn default_opt_out_replies(&self) -> OptOutReplies {
        // Plivo blocks the number after STOP and sends the confirmation itself.
        OptOutReplies::Gateway
    }

    fn calls(&self) -> Option<&dyn super::Calls> {
        Some(self)
    }
}

/// The fields a request's signature covers beyond its URL: the posted form; a GET has its fields
/// in the URL already.
fn posted_fields<'p>(method: &str, posted: &'p Params) -> Option<&'p [(String, String)]> {
    (!method.eq_ignore_ascii_case("GET")).then_some(posted.0.as_slice())
}

/// Sorted by name, then by value, as Plivo sorts repeated fields.
fn sorted(pairs: &[(String, String)]) -> Vec<&(String, String)> {
    let mut sorted: Vec<_> = pairs.iter().collect();
    sorted.sort();
    sorted
}

/// The text Plivo signs (V3) before the nonce: the URL without its query, then the query's fields
/// as sorted `name=value` pairs after a `?`, then (for a POST) the posted fields run together as
/// sorted `namevalue`. A POST with fields always has the `?`, and a `.` between query and fields.
fn signed_text(url: &str, posted: Option<&[(String, String)]>) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let query = Params::from_form(query.as_bytes());
    let query = sorted(&query.0)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let posted = posted.unwrap_or_default();
    let mut text = base.to_string();
    if !query.is_empty() || !posted.is_empty() {
        text.push('?');
        text.push_str(&query);
    }
    if !query.is_empty() && !posted.is_empty() {
        text.push('.');
    }
    for (k, v) in sorted(posted) {
        text.push_str(k);
        text.push_str(v);
    }
    text
}

fn mac(token: &str, nonce: &str, url: &str, posted: Option<&[(String, String)]>) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes any key");
    mac.update(signed_text(url, posted).as_bytes());
    mac.update(b".");
    mac.update(nonce.as_bytes());
    mac
}

/// The V3 signature Plivo would send: `posted` is the form of a POST, `None` for a GET.
pub fn signature(
    token: &str,
    nonce: &str,
    url: &str,
    posted: Option<&[(String, String)]>,
) -> String {
    BASE64.encode(mac(token, nonce, url, posted).finalize().into_bytes())
}

/// A number as Plivo writes it: international digits without the `+`. A value that does not
/// read that way (a short code, a number with its `+`) is read as the region would read it.
fn phone(params: &Params, field: &'static str, region: Region) -> Result<Phone, PayloadError> {
    let value = params.required(field)?;
    if value.bytes().all(|b| b.is_ascii_digit())
        && let Ok(phone) = Phone::parse(&format!("+{value}"), region)
    {
        return Ok(phone);
    }
    phone_field(field, value, region)
}

fn parse_inbound(params: &Params, region: Region) -> Result<Inbound, PayloadError> {
    let gateway_id = params.required("MessageUUID")?.to_string();
    let from = phone(params, "From", region)?;
    let line = phone(params, "To", region)?;
    // Plivo's reference numbers the media fields from 1 and its help pages from 0: take both.
    let media = match params.count("MediaCount")? {
        0 => Vec::new(),
        _ => params
            .numbered("Media", MAX_MEDIA)
            .into_iter()
            .map(|(_, url)| Media {
                url: url.to_string(),
                content_type: None,
            })
            .collect(),
    };
    // `Text` for an SMS (long ones already joined by Plivo), `Body` for an MMS.
    let body = params
        .non_empty("Text")
        .or_else(|| params.non_empty("Body"))
        .unwrap_or_default();
    Ok(Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway: PROVIDER.name,
        gateway_id: Some(gateway_id),
        line,
        from,
        body: body.to_string(),
        media,
    })
}

fn parse_status(params: &Params) -> Result<DeliveryReport, PayloadError> {
    let message_uuid = params.required("MessageUUID")?;
    // A long text gets one report per part, each naming the first part, whose id is the one our
    // send stored.
    let gateway_id = params
        .non_empty("ParentMessageUUID")
        .unwrap_or(message_uuid);
    // `queued` tells us nothing we act on; `read` is WhatsApp's step past delivered.
    let state = match params.required("Status")? {
        "sent" => Some(DeliveryState::Sent),
        "delivered" | "read" => Some(DeliveryState::Delivered),
        "undelivered" => Some(DeliveryState::Undelivered),
        "failed" | "rejected" => Some(DeliveryState::Failed),
        _ => None,
    };
    let error_code = params.non_empty("ErrorCode").map(str::to_string);
    Ok(DeliveryReport {
        gateway_id: gateway_id.to_string(),
        state,
        recipient_opted_out: error_code.as_deref() == Some(OPTED_OUT),
        error_code,
    })
}

/// The Message API's answer to an accepted send (202).
#[derive(serde::Deserialize)]
struct Queued {
    message_uuid: Vec<String>,
}

/// Plivo's errors carry no code worth keeping, only `error`: a sentence or, for bad
/// parameters, an object naming them. The HTTP status decides what to do next.
fn send_error(answer: &super::Answer) -> SendError {
    let error = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|body| body.get("error").cloned());
    let detail = match error {
        Some(serde_json::Value::String(text)) => text,
        Some(other) => other.to_string(),
        None => "no message".to_string(),
    };
    super::error_from_status(
        answer,
        None,
        format!("Plivo answered {}: {detail}", answer.status),
    )
}

mod calls;
#[cfg(test)]
mod tests;
