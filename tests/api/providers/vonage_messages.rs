//! The Vonage Messages API: JSON webhooks under a token signed with the signature secret and
//! carrying the body's hash, replies out as the Vonage application.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::{Request, ResponseTemplate};

use super::vonage_sms::{SIGNATURE_SECRET, digits};
use super::*;
use crate::on_both_databases;

pub struct VonageMessages;

const APPLICATION_ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab";
const TEST_KEY: &str = include_str!("../../fixtures/vonage_test_key.pem");
const TEST_KEY_PKCS1: &str = include_str!("../../fixtures/vonage_test_key_pkcs1.pem");

fn claims(iat: i64, body: &str) -> Value {
    json!({
        "iat": iat,
        "jti": format!("{:032x}", rand::random::<u128>()),
        "iss": "Vonage",
        "payload_hash": hex::encode(Sha256::digest(body)),
        "api_key": "vonage-key",
        "application_id": APPLICATION_ID,
    })
}

/// `body` under a token with `claims`, signed with `secret`.
fn bearer(secret: &str, claims: Value, body: &str) -> Signed {
    let key = EncodingKey::from_secret(secret.as_bytes());
    let token = encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
    Signed {
        headers: vec![("Authorization", format!("Bearer {token}"))],
        body: body.to_string(),
    }
}

/// The public half of the test key, to check the send tokens with.
fn public_key() -> DecodingKey {
    let base64: String = TEST_KEY_PKCS1
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let private = EncodingKey::from_rsa_der(&BASE64.decode(base64).unwrap());
    DecodingKey::from_jwk(&Jwk::from_encoding_key(&private, Algorithm::RS256).unwrap()).unwrap()
}

impl Provider for VonageMessages {
    const GATEWAY: &'static str = "vonage_messages";
    const LINE: &'static str = "+15550007402";
    const TEXTS: &'static str = "/webhooks/vonage_messages/sms";
    const REPORTS: &'static str = "/webhooks/vonage_messages/status";
    const POSTS: &'static str = "application/json";
    const SEND_PATH: &'static str = "/v1/messages";
    /// "Invalid sender".
    const FAILURE_CODE: &'static str = "1120";

    fn settings() -> String {
        format!(
            r#"
            application_id = "{APPLICATION_ID}"
            private_key = """{TEST_KEY}"""
            signature_secret = "{SIGNATURE_SECRET}"
            api_base = "{{api}}"
            "#
        )
    }

    fn inbound(from: &str, text: &str, id: &str) -> String {
        json!({
            "channel": "sms",
            "message_uuid": id,
            "to": digits(Self::LINE),
            "from": digits(from),
            "timestamp": "2025-02-03T12:14:25Z",
            "text": text,
            "message_type": "text",
            "sms": {"num_messages": "1", "keyword": text.to_uppercase()},
        })
        .to_string()
    }

    fn report(id: &str, to: &str, report: Report) -> String {
        let mut report = match report {
            Report::Sent => json!({"status": "submitted"}),
            Report::Delivered => json!({"status": "delivered"}),
            Report::Failed(code) => json!({"status": "rejected", "error": {
                "type": format!("https://developer.nexmo.com/api-errors/messages-olympus#{code}"),
                "title": "Invalid sender",
            }}),
        };
        let fields = json!({
            "message_uuid": id,
            "to": digits(to),
            "from": digits(Self::LINE),
            "timestamp": "2025-02-03T12:15:02.000Z",
            "usage": {"currency": "EUR", "price": "0.0333"},
            "channel": "sms",
        });
        report
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        report.to_string()
    }

    fn sign(app: &TestApp, _: &str, body: &str, signer: Signer) -> Signed {
        let secret = match signer {
            Signer::Line => SIGNATURE_SECRET,
            Signer::Stranger => "not-our-secret",
        };
        bearer(secret, claims(now_s(app), body), body)
    }

    /// Made from our reference, so a test can tell which text it is.
    fn message_id(request: &Request, _: u64) -> String {
        let reference: u64 = read_send::<Self>(request)["client_ref"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        format!("d8f86df1-dec6-442f-870a-{reference:012}")
    }

    fn accepted(_: &Request, id: &str) -> ResponseTemplate {
        ResponseTemplate::new(202).set_body_json(json!({"message_uuid": id}))
    }

    /// A token of the application's, signed with its private key.
    fn assert_authenticated(request: &Request) {
        let bearer = request.headers["authorization"].to_str().unwrap();
        let token = bearer.strip_prefix("Bearer ").unwrap();
        let validation = Validation::new(Algorithm::RS256);
        let claims = decode::<Value>(token, &public_key(), &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["application_id"], APPLICATION_ID);
    }

    fn expected_send(app: &TestApp, to: &str, text: &str, reference: i64) -> Value {
        json!({
            "message_type": "text",
            "channel": "sms",
            "to": digits(to),
            "from": digits(Self::LINE),
            "text": text,
            "client_ref": reference.to_string(),
            "webhook_url": app.url(Self::REPORTS),
        })
    }

    fn outages() -> Vec<Outage> {
        let problem = |title: &str| {
            json!({
                "type": "https://developer.nexmo.com/api-errors/messages-olympus#1000",
                "title": title,
                "instance": "bf0ca0bf927b3b52e3cb03217e1a1ddf"
            })
        };
        vec![
            Outage {
                status: 503,
                retry_after: None,
                body: problem("Service Unavailable"),
            },
            Outage {
                status: 429,
                retry_after: Some(30),
                body: problem("Throttled"),
            },
        ]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let without = |field: &str| {
            let mut text: Value =
                serde_json::from_str(&Self::inbound("+15557657016", "hi", &new_id())).unwrap();
            text.as_object_mut().unwrap().remove(field);
            text.to_string()
        };
        vec![
            ("from", without("from")),
            ("message_uuid", without("message_uuid")),
        ]
    }

    fn forgeries(app: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        let mut unhashed = claims(now_s(app), body);
        unhashed.as_object_mut().unwrap().remove("payload_hash");
        let not_a_token = Signed {
            headers: vec![("Authorization", "Bearer abc.def.ghi".into())],
            body: body.to_string(),
        };
        vec![
            ("not a token", not_a_token),
            (
                "without the body's hash",
                bearer(SIGNATURE_SECRET, unhashed, body),
            ),
        ]
    }
}

on_both_databases! {
    async fn a_messages_api_token_issued_an_hour_ago_is_refused(db) {
        let app = spawn::<VonageMessages>(db).await;
        let body = VonageMessages::inbound("+15557657011", "hi", &new_id());
        let stale = bearer(SIGNATURE_SECRET, claims(now_s(&app) - 3600, &body), &body);
        let response = post(&app, VonageMessages::TEXTS, VonageMessages::POSTS, stale).await;
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }
}
