//! Twilio Programmable Messaging.
//!
//! Inbound texts and delivery reports arrive as signed form posts:
//! `MessageSid=SM…&From=%2B14133881111&To=%2B12028831111&Body=Msg&NumMedia=0&…`, with
//! `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, public URL + every posted field as
//! name+value, sorted by name)). Twilio adds fields without notice, so every posted field is signed,
//! never a known subset. Sends go to the Messages API with Basic auth. SignalWire speaks the same
//! dialect, so its module uses the functions here.

pub(super) mod calls;
pub(super) mod deletion;

use crate::lifecycle::DeliveryState;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha1::Sha1;

use crate::gateway::settings::{OptOutReplies, ProviderTable, url_setting};
use crate::phone::Region;
use crate::secret::Secret;
use crate::setting_error::SettingError;

use super::{
    AuthError, DeleteFuture, DeliveryReport, Event, Gateway, Hook, Inbound, Media, Outgoing,
    Params, PayloadError, Provider, SendError, SendFuture, TextWay, Webhook,
};

pub const PROVIDER: Provider = Provider {
    name: "twilio",
    configure,
};

/// Twilio's "attempt to send to unsubscribed recipient".
pub const UNSUBSCRIBED: &str = "21610";
/// Twilio's "too many requests": the message was not accepted, so it can be retried.
const TOO_MANY_REQUESTS: &str = "20429";
/// The most pictures Twilio puts in one message.
pub const MAX_MEDIA: usize = 10;
/// TwiML for "nothing to say": replies go through the outbox, which handles retries and opt-outs.
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    account_sid: String,
    auth_token: Secret,
    api_base: Option<String>,
}

#[derive(Debug)]
pub struct Twilio {
    account_sid: String,
    auth_token: Secret,
    api_base: Url,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    Ok(Arc::new(Twilio {
        api_base: url_setting(
            &format!("{}.api_base", table.key),
            s.api_base.as_deref(),
            "https://api.twilio.com",
        )?,
        account_sid: s.account_sid,
        auth_token: s.auth_token,
    }))
}

impl Gateway for Twilio {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    fn delete_message<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
        _way: TextWay,
    ) -> DeleteFuture<'a> {
        let messages = format!(
            "{}/2010-04-01/Accounts/{}/Messages",
            self.api_base.as_str().trim_end_matches('/'),
            self.account_sid
        );
        let password = self.auth_token.expose();
        deletion::delete_message(http, messages, id, &self.account_sid, password, "Twilio")
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let signature = hook
            .header("x-twilio-signature")
            .ok_or(AuthError::Missing("X-Twilio-Signature"))?;
        verify_hook(self.auth_token.expose(), hook, signature)
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        read_events(PROVIDER.name, MAX_MEDIA, hook, region)
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.api_base.as_str().trim_end_matches('/'),
            self.account_sid
        );
        Box::pin(send_form(
            http,
            url,
            &self.account_sid,
            self.auth_token.expose(),
            msg,
            "Twilio",
        ))
    }

    fn acknowledgement(&self) -> super::Acknowledgement {
        super::Acknowledgement::Xml(EMPTY_TWIML)
    }

    fn default_opt_out_replies(&self) -> OptOutReplies {
        // Twilio answers STOP, START and HELP itself unless told otherwise.
        OptOutReplies::Gateway
    }

    fn calls(&self) -> Option<&dyn super::Calls> {
        Some(self)
    }
}

/// The string Twilio signs: the URL, then each field name and value in order of name (repeated
/// values of one name sorted, duplicates dropped).
fn signed_text(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut text = String::from(url);
    for (k, v) in sorted {
        text.push_str(k);
        text.push_str(v);
    }
    text
}

fn mac(token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("HMAC takes any key");
    mac.update(signed_text(url, params).as_bytes());
    mac
}

/// The signature Twilio would send for this request.
pub fn signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    BASE64.encode(mac(token, url, params).finalize().into_bytes())
}

/// The URL as received, without its default port, and with it written out: Twilio's own libraries
/// accept each form because Twilio has signed each of them.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Ok(parsed) = Url::parse(url) else {
        return variants;
    };
    // `Url` drops a default port when printing, so this is the form without it.
    let without_port = parsed.to_string();
    if let (None, Some(port), Some(host)) = (
        parsed.port(),
        parsed.port_or_known_default(),
        parsed.host_str(),
    ) {
        let prefix = format!("{}://{host}", parsed.scheme());
        if let Some(rest) = without_port.strip_prefix(&prefix) {
            variants.push(format!("{prefix}:{port}{rest}"));
        }
    }
    variants.push(without_port);
    variants.dedup();
    variants
}

/// Checks a Twilio-style signature in constant time.
pub fn verify(token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(expected) = BASE64.decode(header.trim()) else {
        return false;
    };
    url_variants(url)
        .iter()
        .any(|u| mac(token, u, params).verify_slice(&expected).is_ok())
}

/// Checks a webhook signed Twilio's way with `token`. A GET is signed over its URL alone.
pub(super) fn verify_hook(token: &str, hook: &Webhook, signature: &str) -> Result<(), AuthError> {
    let signed_params = if hook.method.eq_ignore_ascii_case("GET") {
        Params::default()
    } else {
        hook.params()
    };
    if verify(token, hook.url, &signed_params.0, signature) {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

/// Reads a Twilio-dialect webhook: an inbound text at `/sms`, a delivery report at `/status`.
/// At the single address, a `MessageStatus` field marks a report. At most `max_media` pictures
/// are read, the most the provider puts in one message.
pub(super) fn read_events(
    gateway: &'static str,
    max_media: usize,
    hook: &Webhook,
    region: Region,
) -> Result<Vec<Event>, PayloadError> {
    let params = hook.params();
    let is_status = match hook.hook {
        Hook::Status => true,
        // Call hooks go to the call handlers and never reach a text parser.
        Hook::Inbound | Hook::Call | Hook::Recording | Hook::Transcription | Hook::CallEnded => {
            false
        }
        Hook::Events => params.get("MessageStatus").is_some(),
    };
    Ok(vec![if is_status {
        Event::Delivery(parse_status(&params)?)
    } else {
        Event::Text(parse_inbound(gateway, max_media, &params, region)?)
    }])
}

/// Reads an inbound-text webhook.
fn parse_inbound(
    gateway: &'static str,
    max_media: usize,
    params: &Params,
    region: Region,
) -> Result<Inbound, PayloadError> {
    let gateway_id = params.required("MessageSid")?.to_string();
    let from = params.phone("From", region)?;
    let line = params.phone("To", region)?;
    // Still read, so that a count that is not one is named; the fields present decide.
    params.count("NumMedia")?;
    let media = params
        .numbered("MediaUrl", max_media)
        .into_iter()
        .map(|(i, url)| Media {
            url: url.to_string(),
            content_type: params
                .non_empty(&format!("MediaContentType{i}"))
                .map(str::to_string),
        })
        .collect();
    Ok(Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway,
        gateway_id: Some(gateway_id),
        line,
        from,
        body: params.get("Body").unwrap_or_default().to_string(),
        media,
    })
}

/// Reads a delivery-status webhook.
fn parse_status(params: &Params) -> Result<DeliveryReport, PayloadError> {
    let gateway_id = params.required("MessageSid")?.to_string();
    let status = params.required("MessageStatus")?;
    // Earlier states (queued, accepted, sending…) tell us nothing we act on.
    let state = match status {
        "sent" => Some(DeliveryState::Sent),
        "delivered" | "read" => Some(DeliveryState::Delivered),
        "undelivered" => Some(DeliveryState::Undelivered),
        "failed" => Some(DeliveryState::Failed),
        _ => None,
    };
    let error_code = params.non_empty("ErrorCode").map(str::to_string);
    Ok(DeliveryReport {
        gateway_id,
        state,
        recipient_opted_out: error_code.as_deref() == Some(UNSUBSCRIBED),
        error_code,
    })
}

#[derive(serde::Deserialize)]
struct Created {
    sid: String,
}

#[derive(serde::Deserialize)]
struct ApiError {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

/// Twilio writes its error code as a number. A compatible API that quotes it must not lose it:
/// 21610 read as a bare 400 would leave an opted-out recipient opted in.
fn error_code(error: &ApiError) -> Option<String> {
    match error.code.as_ref()? {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// Sends one text through a Twilio-dialect Messages API; returns its MessageSid.
pub(super) async fn send_form(
    http: &reqwest::Client,
    url: String,
    user: &str,
    password: &str,
    msg: Outgoing<'_>,
    provider: &str,
) -> Result<Option<String>, SendError> {
    let request = http.post(url).basic_auth(user, Some(password)).form(&[
        ("To", msg.to),
        ("From", msg.from),
        ("Body", msg.body),
        ("StatusCallback", msg.status_callback),
    ]);
    let answer = super::call(request, provider).await?;
    if answer.is_success() {
        return answer.json::<Created>(provider).map(|c| Some(c.sid));
    }
    let error: Option<ApiError> = serde_json::from_str(&answer.body).ok();
    let code = error.as_ref().and_then(error_code);
    let detail = format!(
        "{provider} answered {}: {}",
        answer.status,
        error
            .as_ref()
            .and_then(|e| e.message.as_deref())
            .unwrap_or("no message")
    );
    Err(classify(&answer, code, detail))
}

fn classify(answer: &super::Answer, code: Option<String>, detail: String) -> SendError {
    match code.as_deref() {
        Some(UNSUBSCRIBED) => SendError::RecipientOptedOut {
            code: UNSUBSCRIBED.into(),
        },
        Some(TOO_MANY_REQUESTS) => SendError::Retryable {
            status: Some(answer.status),
            code,
            detail,
            retry_after: answer.retry_after,
        },
        _ => super::error_from_status(answer, code, detail),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sdk_params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }

    // The vectors below are the ones in Twilio's own request-validator tests.
    #[test]
    fn the_published_form_post_vector_signs_and_verifies() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            signed_text(url, &sdk_params()),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
        );
        assert_eq!(
            signature("12345", url, &sdk_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(verify(
            "12345",
            url,
            &sdk_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn a_signature_over_either_port_form_is_accepted() {
        let params = sdk_params();
        // Signed with :443, received without, and the other way round.
        assert!(verify(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        ));
        assert!(verify(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(verify(
            "12345",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        ));
        assert_eq!(
            signature(
                "12345",
                "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
                &params
            ),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
    }

    #[test]
    fn repeated_fields_are_sorted_and_deduplicated() {
        let params = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            signature("12345", url, &params),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    const RECEIVE_VALID: &str = "ToCountry=US&ToState=District+Of+Columbia&SmsMessageSid=SMe287d7109a5a925f182f0e07fe5b223b&NumMedia=0&ToCity=&FromZip=01022&SmsSid=SMe287d7109a5a925f182f0e07fe5b223b&FromState=MA&SmsStatus=received&FromCity=CHICOPEE&Body=Msg&FromCountry=US&To=%2B12028831111&ToZip=&NumSegments=1&MessageSid=SMe287d7109a5a925f182f0e07fe5b223b&AccountSid=acctid&From=%2B14133881111&ApiVersion=2010-04-01";

    fn decode(body: &str) -> Vec<(String, String)> {
        Params::from_form(body.as_bytes()).0
    }

    fn form(body: &str) -> Params {
        Params::from_form(body.as_bytes())
    }

    #[test]
    fn a_real_inbound_payload_signs_with_empty_fields_included() {
        let url = "https://example.com/c/t/8eb23e93-5ecb-45ba-b726-3b064e0c56ab/receive";
        assert_eq!(
            signature("6789", url, &decode(RECEIVE_VALID)),
            "sAYRME4u7MHti2sU4rFUW4qFzl4="
        );
    }

    #[test]
    fn tampering_or_the_wrong_token_fails_verification() {
        let url = "https://example.com/c/t/8eb23e93-5ecb-45ba-b726-3b064e0c56ab/receive";
        let good = "sAYRME4u7MHti2sU4rFUW4qFzl4=";
        let tampered = decode(&RECEIVE_VALID.replace("Body=Msg", "Body=Msg2"));
        assert!(!verify("6789", url, &tampered, good));
        assert!(!verify("6780", url, &decode(RECEIVE_VALID), good));
        assert!(!verify("6789", url, &decode(RECEIVE_VALID), "not base64!"));
    }

    #[test]
    fn an_inbound_payload_becomes_an_inbound_text() {
        let us: Region = "US".parse().unwrap();
        let msg = parse_inbound("twilio", MAX_MEDIA, &form(RECEIVE_VALID), us).unwrap();
        assert_eq!(
            msg.gateway_id.as_deref(),
            Some("SMe287d7109a5a925f182f0e07fe5b223b")
        );
        assert_eq!(msg.from.as_str(), "+14133881111");
        assert_eq!(msg.line.as_str(), "+12028831111");
        assert_eq!(msg.body, "Msg");
    }

    #[test]
    fn a_malformed_payload_names_the_field() {
        let us: Region = "US".parse().unwrap();
        let without_from = form(&RECEIVE_VALID.replace("&From=%2B14133881111", ""));
        assert_eq!(
            parse_inbound("twilio", MAX_MEDIA, &without_from, us).unwrap_err(),
            PayloadError::Missing("From")
        );
        for from in ["12345", "%2B14155550100+ext.+12"] {
            let odd_from = form(&RECEIVE_VALID.replace("%2B14133881111", from));
            assert!(
                matches!(
                    parse_inbound("twilio", MAX_MEDIA, &odd_from, us).unwrap_err(),
                    PayloadError::Invalid { field: "From", .. }
                ),
                "{from}"
            );
        }
        let bad_media = form(&RECEIVE_VALID.replace("NumMedia=0", "NumMedia=lots"));
        assert!(matches!(
            parse_inbound("twilio", MAX_MEDIA, &bad_media, us).unwrap_err(),
            PayloadError::Invalid {
                field: "NumMedia",
                ..
            }
        ));
    }

    #[test]
    fn a_huge_media_count_reads_only_the_pictures_present_up_to_twilios_maximum() {
        let us: Region = "US".parse().unwrap();
        let two = RECEIVE_VALID.replace("NumMedia=0", "NumMedia=4294967295")
            + "&MediaUrl0=https%3A%2F%2Fm%2F0&MediaContentType0=image%2Fpng&MediaUrl1=https%3A%2F%2Fm%2F1";
        let msg = within_a_second(move || parse_inbound("twilio", MAX_MEDIA, &form(&two), us));
        let media = msg.unwrap().media;
        assert_eq!(media.len(), 2);
        assert_eq!(media[0].content_type.as_deref(), Some("image/png"));
        assert_eq!(media[1].url, "https://m/1");

        let mut many = RECEIVE_VALID.replace("NumMedia=0", "NumMedia=12");
        for i in (0..12).rev() {
            many.push_str(&format!("&MediaUrl{i}=u{i}"));
        }
        let msg = parse_inbound("twilio", MAX_MEDIA, &form(&many), us).unwrap();
        let urls: Vec<&str> = msg.media.iter().map(|m| m.url.as_str()).collect();
        assert_eq!(
            urls,
            ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"]
        );
    }

    /// Runs `f`, failing the test if it takes more than a second instead of hanging with it.
    pub(crate) fn within_a_second<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(1))
            .expect("took more than a second")
    }

    #[test]
    fn status_reports_map_to_our_states() {
        let report = parse_status(&form("MessageSid=SMe287&MessageStatus=delivered")).unwrap();
        assert_eq!(report.state, Some(DeliveryState::Delivered));
        let report = parse_status(&form(
            "ErrorCode=21610&MessageSid=SMe287&MessageStatus=failed&To=%2B12028831111",
        ))
        .unwrap();
        assert_eq!(report.state, Some(DeliveryState::Failed));
        assert!(report.recipient_opted_out);
        let report = parse_status(&form("MessageSid=SMe287&MessageStatus=accepted")).unwrap();
        assert_eq!(report.state, None);
    }

    #[test]
    fn an_error_code_is_read_whether_or_not_it_is_quoted() {
        for body in [
            r#"{"code": 21610, "message": "unsubscribed", "status": 400}"#,
            r#"{"code": "21610", "message": "unsubscribed", "status": 400}"#,
        ] {
            let error: ApiError = serde_json::from_str(body).unwrap();
            assert_eq!(error_code(&error).as_deref(), Some(UNSUBSCRIBED));
        }
        let error: ApiError = serde_json::from_str(r#"{"message": "no code"}"#).unwrap();
        assert_eq!(error_code(&error), None);
    }

    #[test]
    fn send_errors_are_sorted_by_what_to_do_next() {
        let answer = |status| crate::gateway::Answer {
            status,
            retry_after: None,
            body: String::new(),
        };
        assert_eq!(
            classify(&answer(400), Some("21610".into()), String::new()),
            SendError::RecipientOptedOut {
                code: "21610".into()
            }
        );
        assert!(matches!(
            classify(&answer(400), Some("21211".into()), String::new()),
            SendError::Permanent { .. }
        ));
        assert!(matches!(
            classify(&answer(429), Some("20429".into()), String::new()),
            SendError::Retryable { .. }
        ));
        assert!(matches!(
            classify(&answer(503), None, String::new()),
            SendError::Retryable { .. }
        ));
    }
}
