//! Twilio Programmable Messaging.
//!
//! Inbound texts and delivery reports arrive as signed form posts:
//! `MessageSid=SM…&From=%2B14133881111&To=%2B12028831111&Body=Msg&NumMedia=0&…`, with
//! `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, public URL + every posted field as
//! name+value, sorted by name)). Twilio adds fields without notice, so every posted field is signed,
//! never a known subset. Sends go to the Messages API with Basic auth.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::Url;
use secrecy::ExposeSecret;
use sha1::Sha1;

use crate::config::TwilioCredentials;
use crate::phone::{Phone, Region};

use super::{DeliveryReport, Inbound, PayloadError, SendError};

/// Twilio's "attempt to send to unsubscribed recipient".
pub const UNSUBSCRIBED: &str = "21610";
/// Twilio's "too many requests": the message was not accepted, so it can be retried.
const TOO_MANY_REQUESTS: &str = "20429";

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

/// Checks `X-Twilio-Signature` in constant time.
pub fn verify(token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(expected) = BASE64.decode(header.trim()) else {
        return false;
    };
    url_variants(url)
        .iter()
        .any(|u| mac(token, u, params).verify_slice(&expected).is_ok())
}

fn field<'a>(params: &'a [(String, String)], name: &'static str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn required<'a>(
    params: &'a [(String, String)],
    name: &'static str,
) -> Result<&'a str, PayloadError> {
    field(params, name)
        .filter(|v| !v.is_empty())
        .ok_or(PayloadError::Missing(name))
}

fn phone(
    params: &[(String, String)],
    name: &'static str,
    region: Region,
) -> Result<Phone, PayloadError> {
    Phone::parse(required(params, name)?, region).map_err(|e| PayloadError::Invalid {
        field: name,
        problem: e.to_string(),
    })
}

/// Reads an inbound-text webhook.
pub fn parse_inbound(params: &[(String, String)], region: Region) -> Result<Inbound, PayloadError> {
    let gateway_id = required(params, "MessageSid")?.to_string();
    let from = phone(params, "From", region)?;
    let line = phone(params, "To", region)?;
    let num_media = match field(params, "NumMedia") {
        None | Some("") => 0,
        Some(n) => n.parse().map_err(|_| PayloadError::Invalid {
            field: "NumMedia",
            problem: "is not a count".into(),
        })?,
    };
    Ok(Inbound {
        gateway: "twilio",
        gateway_id,
        line,
        from,
        body: field(params, "Body").unwrap_or_default().to_string(),
        num_media,
    })
}

/// Reads a delivery-status webhook.
pub fn parse_status(params: &[(String, String)]) -> Result<DeliveryReport, PayloadError> {
    let gateway_id = required(params, "MessageSid")?.to_string();
    let status = required(params, "MessageStatus")?;
    // Earlier states (queued, accepted, sending…) tell us nothing we act on.
    let state = match status {
        "sent" => Some("sent"),
        "delivered" | "read" => Some("delivered"),
        "undelivered" => Some("undelivered"),
        "failed" => Some("failed"),
        _ => None,
    };
    let error_code = field(params, "ErrorCode")
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    Ok(DeliveryReport {
        gateway_id,
        state,
        recipient_opted_out: error_code.as_deref() == Some(UNSUBSCRIBED),
        error_code,
    })
}

pub struct Outgoing<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub status_callback: &'a str,
}

#[derive(serde::Deserialize)]
struct Created {
    sid: String,
}

#[derive(serde::Deserialize)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

/// Sends one text through the Messages API; returns its MessageSid.
pub async fn send(
    http: &reqwest::Client,
    creds: &TwilioCredentials,
    msg: Outgoing<'_>,
) -> Result<String, SendError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        creds.api_base.as_str().trim_end_matches('/'),
        creds.account_sid
    );
    let response = http
        .post(url)
        .basic_auth(&creds.account_sid, Some(creds.auth_token.expose_secret()))
        .form(&[
            ("To", msg.to),
            ("From", msg.from),
            ("Body", msg.body),
            ("StatusCallback", msg.status_callback),
        ])
        .send()
        .await
        .map_err(|e| SendError::Retryable {
            detail: format!("could not reach Twilio: {}", e.without_url()),
            retry_after: None,
        })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.unwrap_or_default();
    if status.is_success() {
        return serde_json::from_str::<Created>(&text)
            .map(|c| c.sid)
            .map_err(|e| SendError::Retryable {
                detail: format!("Twilio answered {status} with an unreadable body: {e}"),
                retry_after: None,
            });
    }
    let error: Option<ApiError> = serde_json::from_str(&text).ok();
    let code = error.as_ref().and_then(|e| e.code).map(|c| c.to_string());
    let detail = format!(
        "Twilio answered {status}: {}",
        error
            .as_ref()
            .and_then(|e| e.message.as_deref())
            .unwrap_or("no message")
    );
    Err(classify(status.as_u16(), code, detail, retry_after))
}

fn classify(
    status: u16,
    code: Option<String>,
    detail: String,
    retry_after: Option<Duration>,
) -> SendError {
    match code.as_deref() {
        Some(UNSUBSCRIBED) => SendError::RecipientOptedOut {
            code: UNSUBSCRIBED.into(),
        },
        Some(TOO_MANY_REQUESTS) => SendError::Retryable {
            detail,
            retry_after,
        },
        _ if status == 429 || status >= 500 || status == 408 => SendError::Retryable {
            detail,
            retry_after,
        },
        _ => SendError::Permanent { code, detail },
    }
}

#[cfg(test)]
mod tests {
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
        form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect()
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
        let msg = parse_inbound(&decode(RECEIVE_VALID), us).unwrap();
        assert_eq!(msg.gateway_id, "SMe287d7109a5a925f182f0e07fe5b223b");
        assert_eq!(msg.from.as_str(), "+14133881111");
        assert_eq!(msg.line.as_str(), "+12028831111");
        assert_eq!(msg.body, "Msg");
    }

    #[test]
    fn a_malformed_payload_names_the_field() {
        let us: Region = "US".parse().unwrap();
        let without_from = decode(&RECEIVE_VALID.replace("&From=%2B14133881111", ""));
        assert_eq!(
            parse_inbound(&without_from, us).unwrap_err(),
            PayloadError::Missing("From")
        );
        let bad_media = decode(&RECEIVE_VALID.replace("NumMedia=0", "NumMedia=lots"));
        assert!(matches!(
            parse_inbound(&bad_media, us).unwrap_err(),
            PayloadError::Invalid {
                field: "NumMedia",
                ..
            }
        ));
    }

    #[test]
    fn status_reports_map_to_our_states() {
        let report = parse_status(&decode("MessageSid=SMe287&MessageStatus=delivered")).unwrap();
        assert_eq!(report.state, Some("delivered"));
        let report = parse_status(&decode(
            "ErrorCode=21610&MessageSid=SMe287&MessageStatus=failed&To=%2B12028831111",
        ))
        .unwrap();
        assert_eq!(report.state, Some("failed"));
        assert!(report.recipient_opted_out);
        let report = parse_status(&decode("MessageSid=SMe287&MessageStatus=accepted")).unwrap();
        assert_eq!(report.state, None);
    }

    #[test]
    fn send_errors_are_sorted_by_what_to_do_next() {
        assert_eq!(
            classify(400, Some("21610".into()), String::new(), None),
            SendError::RecipientOptedOut {
                code: "21610".into()
            }
        );
        assert!(matches!(
            classify(400, Some("21211".into()), String::new(), None),
            SendError::Permanent { .. }
        ));
        assert!(matches!(
            classify(429, Some("20429".into()), String::new(), None),
            SendError::Retryable { .. }
        ));
        assert!(matches!(
            classify(503, None, String::new(), None),
            SendError::Retryable { .. }
        ));
    }
}
