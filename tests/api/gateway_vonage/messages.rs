//! The Messages API: JSON webhooks under a signed token, sends as the Vonage application.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;
use crate::on_both_databases;

const TEST_KEY_PKCS1: &str = include_str!("../../fixtures/vonage_test_key_pkcs1.pem");

/// A webhook token as the Messages API signs it: HS256, issued now on the service's clock, the
/// body's hash as `payload_hash`.
fn token(app: &TestApp, secret: &str, body: &str) -> String {
    signed(secret, claims(app.clock.now_ms() / 1000, body))
}

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

fn signed(secret: &str, claims: Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn post_json(app: &TestApp, path: &str, body: &str, token: &str) -> reqwest::Response {
    let auth = [("Authorization", format!("Bearer {token}"))];
    app.post_raw(path, &auth, "application/json", body.to_string())
        .await
}

fn messages_inbound(from: &str, text: &str, uuid: &str) -> String {
    json!({
        "channel": "sms",
        "message_uuid": uuid,
        "to": MESSAGES_LINE.trim_start_matches('+'),
        "from": from.trim_start_matches('+'),
        "timestamp": "2025-02-03T12:14:25Z",
        "text": text,
        "message_type": "text",
        "sms": {"num_messages": "1", "keyword": text.to_uppercase()},
    })
    .to_string()
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

on_both_databases! {
    async fn a_messages_api_text_is_answered_as_the_application(db) {
        let app = spawn(db).await;
        let body = messages_inbound("+15557657010", "hi", "aaaaaaaa-bbbb-4ccc-8ddd-000000000001");
        let response = post_json(&app, "/webhooks/vonage_messages/sms", &body, &token(&app, SIGNATURE_SECRET, &body)).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

        assert_eq!(app.send_due().await, 1);
        let sent = app.api_requests(MESSAGES_API).await;
        assert_eq!(sent.len(), 1);
        let (id, _, gateway_id) = replies(&app).await.remove(0);
        let request: Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert_eq!(request, json!({
            "message_type": "text",
            "channel": "sms",
            "to": "15557657010",
            "from": "15550007402",
            "text": FIRST_QUESTION,
            "client_ref": id.to_string(),
            "webhook_url": app.url("/webhooks/vonage_messages/status"),
        }));
        assert_eq!(gateway_id, Some(message_uuid(id as u64)));

        let bearer = sent[0].headers.get("authorization").unwrap().to_str().unwrap();
        let send_token = bearer.strip_prefix("Bearer ").unwrap();
        let claims = decode::<Value>(send_token, &public_key(), &Validation::new(Algorithm::RS256)).unwrap().claims;
        assert_eq!(claims["application_id"], APPLICATION_ID);
    }

    async fn a_messages_api_webhook_signed_wrongly_for_another_body_long_ago_or_without_its_hash_is_refused(db) {
        let app = spawn(db).await;
        let body = messages_inbound("+15557657011", "hi", "aaaaaaaa-bbbb-4ccc-8ddd-000000000002");
        let other = messages_inbound("+15557657011", "STOP", "aaaaaaaa-bbbb-4ccc-8ddd-000000000002");
        let now = app.clock.now_ms() / 1000;
        let mut unhashed = claims(now, &body);
        unhashed.as_object_mut().unwrap().remove("payload_hash");
        let refused = [
            ("wrong secret", token(&app, "not-our-secret", &body)),
            ("another body", token(&app, SIGNATURE_SECRET, &other)),
            ("not a token", "abc.def.ghi".to_string()),
            ("issued an hour ago", signed(SIGNATURE_SECRET, claims(now - 3600, &body))),
            ("without the body's hash", signed(SIGNATURE_SECRET, unhashed)),
        ];
        for (why, token) in refused {
            let response = post_json(&app, "/webhooks/vonage_messages/sms", &body, &token).await;
            assert_eq!(response.status(), 403, "{why}");
        }
        let response = app.post_raw("/webhooks/vonage_messages/sms", &[], "application/json", body.clone()).await;
        assert_eq!(response.status(), 403, "no token");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_messages_api_status_report_moves_the_text_forward(db) {
        let app = spawn(db).await;
        let body = messages_inbound("+15557657012", "hi", "aaaaaaaa-bbbb-4ccc-8ddd-000000000003");
        post_json(&app, "/webhooks/vonage_messages/sms", &body, &token(&app, SIGNATURE_SECRET, &body)).await;
        app.send_due().await;
        let uuid = replies(&app).await.remove(0).2.unwrap();
        for status in ["submitted", "delivered"] {
            let report = json!({
                "message_uuid": uuid,
                "to": "15557657012",
                "from": "15550007402",
                "timestamp": "2025-02-03T12:15:02.000Z",
                "status": status,
                "usage": {"currency": "EUR", "price": "0.0333"},
                "channel": "sms",
            }).to_string();
            let response = post_json(&app, "/webhooks/vonage_messages/status", &report, &token(&app, SIGNATURE_SECRET, &report)).await;
            assert_eq!(response.status(), 200);
        }
        assert_eq!(state_of(&app, &uuid).await, "delivered");

        let malformed = json!({"channel": "sms", "message_uuid": "aaaaaaaa-bbbb-4ccc-8ddd-000000000004", "to": "15550007402", "text": "hi"}).to_string();
        let response = post_json(&app, "/webhooks/vonage_messages/sms", &malformed, &token(&app, SIGNATURE_SECRET, &malformed)).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`from`"));
    }
}
