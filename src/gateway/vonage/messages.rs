//! Vonage Messages API, SMS channel.
//!
//! Inbound texts and status reports arrive as JSON posts to the Vonage application's two
//! webhooks: `{"channel":"sms","message_uuid":"…","from":"447700900001","to":"447700900000",
//! "text":"Hello","message_type":"text",…}` and `{"message_uuid":"…","status":"delivered",…}`.
//! Each carries `Authorization: Bearer <JWT>`, signed HS256 with the account's signature secret,
//! whose `payload_hash` claim is the hex SHA-256 of the body. Long texts arrive whole. Sends go to
//! `/v1/messages` with a JWT the application's private key signs (RS256), or with Basic auth.
//!
//! The same application's Voice capability carries calls to the line (see `super::calls`).

use crate::lifecycle::DeliveryState;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Url;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::gateway::settings::{ProviderTable, url_setting};
use crate::gateway::{
    Answer, AuthError, Calls, DeleteFuture, Deletion, DeliveryReport, Event, Gateway, Inbound,
    Outgoing, PayloadError, Provider, SendError, SendFuture, TextWay, Webhook, call,
    error_from_status, json, jwt,
};
use crate::phone::Region;
use crate::secret::Secret;
use crate::setting_error::{SettingError, invalid};

use super::redact::{Product, redact};
use super::{digits, is_status, number};

mod private_key;

pub const PROVIDER: Provider = Provider {
    name: "vonage_messages",
    configure,
};

/// How long a send token lives: every send signs its own, so it need only outlive one request.
const TOKEN_LIFETIME_S: u64 = 300;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    application_id: Option<String>,
    private_key: Option<Secret>,
    api_key: Option<String>,
    api_secret: Option<Secret>,
    signature_secret: Secret,
    api_base: Option<String>,
}

/// How sends prove who we are.
#[derive(Debug)]
enum Auth {
    /// A Vonage application: a fresh RS256 token per send.
    Application {
        application_id: String,
        key: private_key::SigningKey,
    },
    /// The account's API key and secret.
    Basic { api_key: String, api_secret: Secret },
}

#[derive(Debug)]
pub struct VonageMessages {
    auth: Auth,
    signature_secret: Secret,
    api_base: Url,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    let auth = match (s.application_id, s.private_key, s.api_key, s.api_secret) {
        (Some(application_id), Some(pem), None, None) => Auth::Application {
            application_id,
            key: private_key::SigningKey::from_pem(pem.expose())
                .map_err(|e| invalid(format!("{}.private_key", table.key), e))?,
        },
        (None, None, Some(api_key), Some(api_secret)) => Auth::Basic {
            api_key,
            api_secret,
        },
        _ => {
            return Err(invalid(
                &table.key,
                "give either application_id and private_key (the Vonage application that \
                 sends our webhooks) or api_key and api_secret, not both",
            ));
        }
    };
    Ok(Arc::new(VonageMessages {
        api_base: url_setting(
            &format!("{}.api_base", table.key),
            s.api_base.as_deref(),
            "https://api.nexmo.com",
        )?,
        auth,
        signature_secret: s.signature_secret,
    }))
}

impl Gateway for VonageMessages {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let token = jwt::bearer(hook)?;
        // A call's answer webhook is a GET by default: it has no body for a hash to bind.
        let body = (!(hook.method.eq_ignore_ascii_case("GET") && hook.body.is_empty()))
            .then_some(hook.body);
        verify_token(self.signature_secret.expose(), token, body, hook.now_s)
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        let Ok(Value::Object(payload)) = serde_json::from_slice(hook.body) else {
            return Err(PayloadError::invalid("body", "is not a JSON object"));
        };
        let event = if is_status(hook.hook, payload.contains_key("status")) {
            Event::Delivery(read_status(&payload)?)
        } else {
            read_inbound(&payload, region)?
        };
        Ok(vec![event])
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        Box::pin(self.send_text(http, msg))
    }

    /// The application's Voice capability sends its webhooks signed the same way.
    fn calls(&self) -> Option<&dyn Calls> {
        Some(self)
    }

    /// Vonage cannot delete a text, but blanks its words and masks the number on request: only
    /// under the account's key and secret, which a line that signs in as an application lacks.
    fn delete_message<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
        way: TextWay,
    ) -> DeleteFuture<'a> {
        match &self.auth {
            Auth::Basic {
                api_key,
                api_secret,
            } => {
                let account = (api_key.as_str(), api_secret.expose());
                redact(http, &self.api_base, Product::Messages, id, way, account)
            }
            Auth::Application { .. } => Box::pin(async { Ok(Deletion::NotOffered) }),
        }
    }
}

/// The claims we read from a webhook token; Vonage also sends `jti`, `api_key` and
/// `application_id`, but no `exp`, `iss` or `aud`.
#[derive(serde::Deserialize)]
struct WebhookClaims {
    payload_hash: Option<String>,
}

/// How old a webhook token may be. Vonage signs each delivery as it makes it, so an older token
/// is a replay of one seen before.
const MAX_TOKEN_AGE_S: i64 = 300;

/// Checks a webhook token: HS256 with the signature secret, issued in the last few minutes, and
/// for exactly this body. Without `payload_hash` a token would vouch for any body at all, so it is
/// taken only for a request that has none (`body` is `None`: a GET, whose query no claim covers;
/// the token's age is then the only bound on replaying it). A hash that is there must match, the
/// empty body's included.
fn verify_token(
    secret: &str,
    token: &str,
    body: Option<&[u8]>,
    now_s: i64,
) -> Result<(), AuthError> {
    let expect = jwt::Expect {
        issuer: None,
        audience: None,
        require_exp: false,
        max_age_s: Some(MAX_TOKEN_AGE_S),
        now_s,
    };
    let claims: WebhookClaims = jwt::verify_hs256(token, secret.as_bytes(), &expect)?;
    let Some(hash) = claims.payload_hash else {
        return match body {
            None => Ok(()),
            Some(_) => Err(AuthError::Rejected(
                "the token does not carry the body's hash",
            )),
        };
    };
    if hash.eq_ignore_ascii_case(&hex::encode(Sha256::digest(body.unwrap_or_default()))) {
        Ok(())
    } else {
        Err(AuthError::Rejected(
            "the body is not the one the token was issued for",
        ))
    }
}

/// A string member; `None` when absent, null or empty.
fn member<'a>(payload: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    payload
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn read_inbound(payload: &Map<String, Value>, region: Region) -> Result<Event, PayloadError> {
    let gateway_id = json::required("message_uuid", member(payload, "message_uuid"))?;
    // An application can also take WhatsApp, Viber or RCS, and other message types than text;
    // a line reads SMS texts only.
    if json::required("channel", member(payload, "channel"))? != "sms"
        || member(payload, "message_type").is_some_and(|t| t != "text")
    {
        return Ok(Event::Ignored);
    }
    Ok(Event::Text(Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway: PROVIDER.name,
        gateway_id: Some(gateway_id.to_string()),
        line: number("to", json::required("to", member(payload, "to"))?, region)?,
        from: number(
            "from",
            json::required("from", member(payload, "from"))?,
            region,
        )?,
        body: member(payload, "text").unwrap_or_default().to_string(),
        media: Vec::new(),
    }))
}

fn read_status(payload: &Map<String, Value>) -> Result<DeliveryReport, PayloadError> {
    let gateway_id = json::required("message_uuid", member(payload, "message_uuid"))?.to_string();
    let state = match json::required("status", member(payload, "status"))? {
        "submitted" => Some(DeliveryState::Sent),
        "delivered" | "read" => Some(DeliveryState::Delivered),
        // Refused by Vonage or the carrier, expired, or no carrier could be reached: it never
        // reached the phone.
        "rejected" | "undeliverable" => Some(DeliveryState::Failed),
        _ => None,
    };
    // The Messages API has no error documented as the recipient's opt-out, so none is read as one.
    Ok(DeliveryReport {
        gateway_id,
        state,
        error_code: payload.get("error").and_then(error_code),
        recipient_opted_out: false,
    })
}

/// The code of a Messages API error object: the number its `type` address ends in
/// (`…/api-errors/messages-olympus#1010`), else its `title`.
fn error_code(error: &Value) -> Option<String> {
    let from_type = error
        .get("type")
        .and_then(Value::as_str)
        .and_then(|t| t.rsplit_once('#'))
        .map(|(_, code)| code)
        .filter(|code| !code.is_empty());
    match (from_type, error.get("title")) {
        (Some(code), _) => Some(code.to_string()),
        (None, Some(Value::String(title))) if !title.is_empty() => Some(title.clone()),
        (None, Some(Value::Number(title))) => Some(title.to_string()),
        _ => None,
    }
}

#[derive(serde::Serialize)]
struct SendClaims<'a> {
    application_id: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// A send token for `application_id`, good from now for [`TOKEN_LIFETIME_S`].
fn send_token(application_id: &str, key: &EncodingKey) -> Result<String, SendError> {
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = SendClaims {
        application_id,
        iat,
        exp: iat + TOKEN_LIFETIME_S,
        jti: format!("{:032x}", rand::random::<u128>()),
    };
    encode(&Header::new(Algorithm::RS256), &claims, key).map_err(|e| SendError::Permanent {
        status: None,
        code: None,
        detail: format!("could not sign a Vonage token: {e}"),
    })
}

#[derive(serde::Deserialize)]
struct Accepted {
    message_uuid: String,
}

impl VonageMessages {
    /// A fresh token signed with the application's private key, which Vonage asks for on its
    /// recordings as on sends; `None` for an account set up with an API key and secret, which
    /// cannot fetch recordings.
    pub(super) fn application_token(&self) -> Option<Result<String, SendError>> {
        match &self.auth {
            Auth::Application {
                application_id,
                key,
            } => Some(send_token(application_id, key.encoding_key())),
            Auth::Basic { .. } => None,
        }
    }

    /// The API address of `path`, built from our settings.
    pub(super) fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base.as_str().trim_end_matches('/'))
    }

    async fn send_text(
        &self,
        http: &reqwest::Client,
        msg: Outgoing<'_>,
    ) -> Result<Option<String>, SendError> {
        let url = format!(
            "{}/v1/messages",
            self.api_base.as_str().trim_end_matches('/')
        );
        let request = http.post(url).json(&serde_json::json!({
            "message_type": "text",
            "channel": "sms",
            "to": digits(msg.to),
            "from": digits(msg.from),
            "text": msg.body,
            "client_ref": msg.reference.to_string(),
            "webhook_url": msg.status_callback,
        }));
        let request = match &self.auth {
            Auth::Application {
                application_id,
                key,
            } => request.bearer_auth(send_token(application_id, key.encoding_key())?),
            Auth::Basic {
                api_key,
                api_secret,
            } => request.basic_auth(api_key, Some(api_secret.expose())),
        };
        let answer = call(request, "Vonage").await?;
        if answer.is_success() {
            return answer
                .json::<Accepted>("Vonage")
                .map(|a| Some(a.message_uuid));
        }
        Err(refusal(&answer))
    }
}

/// Why the API did not take a text; the HTTP status says whether to try again.
fn refusal(answer: &Answer) -> SendError {
    let problem: Option<Value> = serde_json::from_str(&answer.body).ok();
    let code = problem.as_ref().and_then(error_code);
    // Only the title: the detail can quote the numbers.
    let title = problem
        .as_ref()
        .and_then(|p| p.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("no title");
    let detail = format!("Vonage answered {}: {title}", answer.status);
    error_from_status(answer, code, detail)
}

#[cfg(test)]
mod tests;
