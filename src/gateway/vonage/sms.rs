//! Vonage SMS API.
//!
//! Inbound texts and delivery receipts arrive as flat fields, by GET (query), POST (form) or
//! POST-JSON, whichever the dashboard says: `msisdn=447700900001&to=447700900000&messageId=…
//! &text=Hello&type=text&timestamp=1700000000&nonce=…&sig=…`. Signed webhooks (Vonage support
//! turns them on per account) carry `sig`, a digest of every other field sorted by name and
//! written `&name=value`, with `&` and `=` in values turned into `_`: "MD5 hash" appends the
//! signature secret and takes MD5, the HMAC methods key the digest with the secret. Long texts
//! arrive in parts (`concat-ref`, `concat-part`, `concat-total`) for us to join. Sends are form
//! posts to `/sms/json` under Basic auth (the API key and secret), answered 200 whatever happened:
//! the outcome is in `messages[].status`.

use crate::lifecycle::DeliveryState;
use std::sync::Arc;
use std::time::Duration;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use reqwest::Url;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use crate::flow::segments::{self, Encoding};
use crate::gateway::settings::{ProviderTable, url_setting};
use crate::gateway::{
    AuthError, DeleteFuture, DeliveryReport, Event, Gateway, Inbound, InboundPart, Outgoing,
    Params, PayloadError, Provider, SendError, SendFuture, TextWay, Webhook, call,
    error_from_status,
};
use crate::phone::Region;
use crate::secret::Secret;
use crate::setting_error::SettingError;

use super::redact::{Product, redact};
use super::{digits, is_status, number};

pub const PROVIDER: Provider = Provider {
    name: "vonage",
    configure,
};

/// How far a signed `timestamp` may be from our clock before the webhook is taken for a replay.
const WINDOW_S: i64 = 300;
/// The receipt error Vonage explains as "the user has requested not to receive messages from a
/// specific service", despite its name ("Illegal Number"). The only receipt code that is the
/// recipient's own choice: "call barred by user" (4) is a bar on all texts set at the operator,
/// and the consent and anti-spam filters (53, 6) are carrier rules that do not say the person
/// asked us to stop.
const REFUSED_SERVICE: &str = "9";
/// The largest part count a concatenated SMS header can carry.
const MAX_PARTS: u32 = 255;

/// How the account signs webhooks, as chosen in the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureMethod {
    /// "MD5 hash", the dashboard's default: MD5 of the fields followed by the secret.
    #[default]
    Md5hash,
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    api_key: String,
    api_secret: Secret,
    signature_secret: Secret,
    #[serde(default)]
    signature_method: SignatureMethod,
    api_base: Option<String>,
    /// Where the Redact API is (Vonage's main API host, not the SMS API's).
    redact_base: Option<String>,
}

#[derive(Debug)]
pub struct VonageSms {
    api_key: String,
    api_secret: Secret,
    signature_secret: Secret,
    signature_method: SignatureMethod,
    api_base: Url,
    redact_base: Url,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    Ok(Arc::new(VonageSms {
        api_base: url_setting(
            &format!("{}.api_base", table.key),
            s.api_base.as_deref(),
            "https://rest.nexmo.com",
        )?,
        redact_base: url_setting(
            &format!("{}.redact_base", table.key),
            s.redact_base.as_deref(),
            "https://api.nexmo.com",
        )?,
        api_key: s.api_key,
        api_secret: s.api_secret,
        signature_secret: s.signature_secret,
        signature_method: s.signature_method,
    }))
}

impl Gateway for VonageSms {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let fields = fields(hook).ok_or(AuthError::Rejected("the body is not a JSON object"))?;
        check(
            self.signature_method,
            self.signature_secret.expose(),
            &fields,
            hook.now_s,
        )
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        let fields =
            fields(hook).ok_or_else(|| PayloadError::invalid("body", "is not a JSON object"))?;
        let event = if is_status(hook.hook, fields.get("status").is_some()) {
            Event::Delivery(read_receipt(&fields)?)
        } else {
            read_inbound(&fields, region)?
        };
        Ok(vec![event])
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        Box::pin(self.send_text(http, msg))
    }

    /// Vonage cannot delete a text, but blanks its words and masks the number on request.
    fn delete_message<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
        way: TextWay,
    ) -> DeleteFuture<'a> {
        let account = (self.api_key.as_str(), self.api_secret.expose());
        redact(http, &self.redact_base, Product::Sms, id, way, account)
    }
}

/// The webhook's fields: the query of a GET, the form of a POST, or the top-level members of a
/// POST-JSON body (`None` when that body is not a JSON object).
fn fields(hook: &Webhook) -> Option<Params> {
    let is_json = !hook.method.eq_ignore_ascii_case("GET")
        && hook
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
    if !is_json {
        return Some(hook.params());
    }
    let Value::Object(members) = serde_json::from_slice(hook.body).ok()? else {
        return None;
    };
    Some(Params(
        members
            .into_iter()
            .map(|(name, value)| {
                let value = match value {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (name, value)
            })
            .collect(),
    ))
}

/// What Vonage digests: every field but `sig`, sorted by name, as `&name=value`. Repeated names
/// all count, so a field slipped in beside a signed one breaks the signature.
fn signed_text(fields: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = fields.iter().filter(|(k, _)| k != "sig").collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::new();
    for (name, value) in sorted {
        text.push('&');
        text.push_str(name);
        text.push('=');
        // Vonage blanks these out so a value cannot pass for a field boundary.
        text.extend(
            value
                .chars()
                .map(|c| if matches!(c, '&' | '=') { '_' } else { c }),
        );
    }
    text
}

fn keyed<M: Mac + KeyInit>(secret: &str, text: &str) -> Vec<u8> {
    let mut mac = <M as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn digest(method: SignatureMethod, secret: &str, text: &str) -> Vec<u8> {
    match method {
        SignatureMethod::Md5hash => Md5::new()
            .chain_update(text)
            .chain_update(secret)
            .finalize()
            .to_vec(),
        SignatureMethod::Md5 => keyed::<Hmac<Md5>>(secret, text),
        SignatureMethod::Sha1 => keyed::<Hmac<Sha1>>(secret, text),
        SignatureMethod::Sha256 => keyed::<Hmac<Sha256>>(secret, text),
        SignatureMethod::Sha512 => keyed::<Hmac<Sha512>>(secret, text),
    }
}

/// The `sig` Vonage would send with these fields (lower-case hex).
pub fn signature(method: SignatureMethod, secret: &str, fields: &[(String, String)]) -> String {
    hex::encode(digest(method, secret, &signed_text(fields)))
}

/// Compares in time that does not depend on where the first difference is, so a forger learns
/// nothing from how long a refusal takes.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Checks `sig` (in either case: "MD5 hash" is sent lower-case, the HMACs upper-case), then that
/// the signed `timestamp` is recent.
fn check(
    method: SignatureMethod,
    secret: &str,
    fields: &Params,
    now_s: i64,
) -> Result<(), AuthError> {
    let sig = fields.non_empty("sig").ok_or(AuthError::Missing("sig"))?;
    let received = hex::decode(sig.trim()).map_err(|_| AuthError::BadSignature)?;
    if !same(&digest(method, secret, &signed_text(&fields.0)), &received) {
        return Err(AuthError::BadSignature);
    }
    let timestamp: i64 = fields
        .non_empty("timestamp")
        .ok_or(AuthError::Missing("timestamp"))?
        .trim()
        .parse()
        .map_err(|_| AuthError::Rejected("`timestamp` is not a Unix time"))?;
    if (now_s - timestamp).abs() > WINDOW_S {
        return Err(AuthError::Stale(WINDOW_S));
    }
    Ok(())
}

/// Reads an inbound text, or one part of a long one.
fn read_inbound(fields: &Params, region: Region) -> Result<Event, PayloadError> {
    let gateway_id = fields.required("messageId")?.to_string();
    // Binary messages (configuration pushes, ringtones) carry `data` and `udh` and nothing a
    // person typed.
    if fields.get("type") == Some("binary") {
        return Ok(Event::Ignored);
    }
    let text = Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway: PROVIDER.name,
        gateway_id: Some(gateway_id),
        line: number("to", fields.get("to").unwrap_or_default(), region)?,
        from: number("msisdn", fields.get("msisdn").unwrap_or_default(), region)?,
        body: fields.get("text").unwrap_or_default().to_string(),
        media: Vec::new(),
    };
    if fields.get("concat") != Some("true") {
        return Ok(Event::Text(text));
    }
    let total = part_count(fields, "concat-total")?;
    let part = part_count(fields, "concat-part")?;
    if part > total {
        return Err(PayloadError::invalid(
            "concat-part",
            format!("is beyond concat-total ({total})"),
        ));
    }
    Ok(Event::Part(InboundPart {
        text,
        reference: fields.required("concat-ref")?.to_string(),
        part,
        total,
    }))
}

fn part_count(fields: &Params, field: &'static str) -> Result<u32, PayloadError> {
    match fields.required(field)?.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_PARTS).contains(&n) => Ok(n),
        _ => Err(PayloadError::invalid(
            field,
            format!("is not a part count from 1 to {MAX_PARTS}"),
        )),
    }
}

/// Reads a delivery receipt. Vonage sends one per part of a long text; only the first part's id
/// is ours (see `outcome`), so the others find no text and change nothing.
fn read_receipt(fields: &Params) -> Result<DeliveryReport, PayloadError> {
    let gateway_id = fields.required("messageId")?.to_string();
    let state = match fields.required("status")? {
        // Intermediate receipts: the carrier has it and is still trying.
        "accepted" | "buffered" => Some(DeliveryState::Sent),
        "delivered" => Some(DeliveryState::Delivered),
        // The carrier tried and gave up (or the 72-hour validity ran out).
        "failed" | "expired" => Some(DeliveryState::Undelivered),
        "rejected" => Some(DeliveryState::Failed),
        _ => None,
    };
    let error_code = fields
        .non_empty("err-code")
        .filter(|code| *code != "0")
        .map(str::to_string);
    Ok(DeliveryReport {
        gateway_id,
        state,
        recipient_opted_out: error_code.as_deref() == Some(REFUSED_SERVICE),
        error_code,
    })
}

#[derive(serde::Deserialize)]
struct Submitted {
    messages: Vec<SubmittedPart>,
}

/// One SMS of the text as the API took it (a long text is one entry per part).
#[derive(serde::Deserialize)]
struct SubmittedPart {
    status: String,
    #[serde(rename = "message-id")]
    message_id: Option<String>,
    #[serde(rename = "error-text")]
    error_text: Option<String>,
}

/// Send statuses worth another try: throttled (1), an internal error (5), out of credit until
/// someone tops up (9), and too many connections (10).
const TRY_AGAIN: &[&str] = &["1", "5", "9", "10"];

impl VonageSms {
    async fn send_text(
        &self,
        http: &reqwest::Client,
        msg: Outgoing<'_>,
    ) -> Result<Option<String>, SendError> {
        let url = format!("{}/sms/json", self.api_base.as_str().trim_end_matches('/'));
        let reference = msg.reference.to_string();
        // Basic auth, as Vonage's own libraries send the key and secret, keeps the secret out of
        // the body, which proxies and request logs are more apt to keep.
        let request = http
            .post(url)
            .basic_auth(&self.api_key, Some(self.api_secret.expose()))
            .form(&[
                ("from", digits(msg.from)),
                ("to", digits(msg.to)),
                ("text", msg.body),
                ("type", message_type(msg.body)),
                ("status-report-req", "1"),
                ("callback", msg.status_callback),
                ("client-ref", &reference),
            ]);
        let answer = call(request, "Vonage").await?;
        if !answer.is_success() {
            let detail = format!("Vonage answered {}", answer.status);
            return Err(error_from_status(&answer, None, detail));
        }
        outcome(answer.json("Vonage")?, answer.retry_after)
    }
}

/// The `type` a text is sent as: without `unicode`, Vonage sends GSM-7 and mangles every
/// character outside it.
fn message_type(body: &str) -> &'static str {
    match segments::count(body).encoding {
        Encoding::Gsm7 => "text",
        Encoding::Ucs2 => "unicode",
    }
}

/// Reads the send answer: the first part's id on success.
fn outcome(
    submitted: Submitted,
    retry_after: Option<Duration>,
) -> Result<Option<String>, SendError> {
    let Some(first) = submitted.messages.first() else {
        return Err(SendError::Permanent {
            status: None,
            code: None,
            detail: "Vonage answered with no messages".into(),
        });
    };
    let Some(refused) = submitted.messages.iter().find(|m| m.status != "0") else {
        return Ok(first.message_id.clone());
    };
    let detail = format!(
        "Vonage status {}: {}",
        refused.status,
        refused.error_text.as_deref().unwrap_or("no error text")
    );
    // Once a first part went out, sending again would repeat it.
    if first.status != "0" && TRY_AGAIN.contains(&refused.status.as_str()) {
        return Err(SendError::Retryable {
            status: None,
            code: Some(refused.status.clone()),
            detail,
            retry_after,
        });
    }
    Err(SendError::Permanent {
        status: None,
        code: Some(refused.status.clone()),
        detail,
    })
}

#[cfg(test)]
mod tests;
