//! A Telnyx line: signed events in at one address, replies out through the Messages API.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_databases;

pub(crate) const TELNYX_LINE: &str = "+15550007101";
const API_KEY: &str = "KEY01TESTTELNYX";
const SEND_PATH: &str = "/v2/messages";
const FIRST_QUESTION: &str =
    "Hi, this is your neighbourhood mutual-aid line. Reply 1 for English. Responda 2 para español.";

/// The account's key pair: the RFC 8032 test key, so the public half is a known value.
fn account_key() -> SigningKey {
    let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    SigningKey::from_bytes(&seed.unwrap().try_into().unwrap())
}

/// This provider's test line, as `Options::extra_lines`.
pub(crate) fn lines() -> String {
    let public_key = BASE64.encode(account_key().verifying_key().to_bytes());
    format!(
        r#"
        [[lines]]
        number = "{TELNYX_LINE}"
        gateway = "telnyx"
        flow = "intake"
        segments_per_second = "unlimited"
        [lines.telnyx]
        api_key = "{API_KEY}"
        public_key = "{public_key}"
        api_base = "{{api}}"
        "#
    )
}

async fn spawn(db: TestDb) -> TestApp {
    let extra_lines = lines();
    let app = TestApp::spawn_with_lines(db, extra_lines).await;
    // Telnyx takes every text, answering with a fresh message id.
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    app.answer_sends(SEND_PATH, |_: &Request| {
        let id = format!(
            "40385f64-0000-4000-8000-{:012x}",
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        ResponseTemplate::new(200).set_body_json(
            json!({"data": {"record_type": "message", "id": id, "to": [{"status": "queued"}]}}),
        )
    })
    .await;
    app
}

fn now_s(app: &TestApp) -> i64 {
    app.clock.now_ms() / 1000
}

fn received(from: &str, text: &str, id: &str) -> String {
    json!({
        "data": {
            "record_type": "event",
            "id": format!("event-{id}"),
            "event_type": "message.received",
            "payload": {
                "record_type": "message", "direction": "inbound", "id": id, "type": "SMS",
                "from": {"phone_number": from, "carrier": "T-MOBILE USA, INC.", "line_type": "Wireless"},
                "to": [{"phone_number": TELNYX_LINE, "status": "webhook_delivered"}],
                "text": text, "media": [], "cost": {"amount": "0.0040", "currency": "USD"}
            }
        },
        "meta": {"attempt": 1, "delivered_to": "https://aid.example.org/webhooks/telnyx"}
    })
    .to_string()
}

fn finalized(id: &str, to: &str, status: &str, error_code: Option<&str>) -> String {
    let errors: Vec<_> = error_code
        .map(|code| json!({"code": code, "title": "…"}))
        .into_iter()
        .collect();
    json!({
        "data": {
            "record_type": "event",
            "id": format!("event-{id}-{status}"),
            "event_type": "message.finalized",
            "payload": {
                "record_type": "message", "direction": "outbound", "id": id,
                "from": {"phone_number": TELNYX_LINE},
                "to": [{"phone_number": to, "status": status}],
                "cost": {"amount": 0.004, "currency": "USD"}, "errors": errors
            }
        },
        "meta": {"attempt": 1}
    })
    .to_string()
}

/// Posts `body` to `path` signed by `key` as of `signed_at`.
async fn post_signed_as(
    app: &TestApp,
    path: &str,
    body: &str,
    key: &SigningKey,
    signed_at: i64,
) -> reqwest::Response {
    let timestamp = signed_at.to_string();
    let signature = key.sign(format!("{timestamp}|{body}").as_bytes());
    let headers = [
        ("telnyx-timestamp", timestamp),
        (
            "telnyx-signature-ed25519",
            BASE64.encode(signature.to_bytes()),
        ),
    ];
    app.post_raw(path, &headers, "application/json", body.to_owned())
        .await
}

/// Posts an event to the address the Telnyx portal is given, signed now.
async fn post_event(app: &TestApp, body: &str) -> reqwest::Response {
    post_signed_as(app, "/webhooks/telnyx", body, &account_key(), now_s(app)).await
}

async fn text_in(app: &TestApp, from: &str, text: &str) {
    let response = post_event(
        app,
        &received(from, text, &format!("b301ed3f-{from}-{text}")),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn outbound(app: &TestApp) -> (String, i64, Option<String>, Option<String>) {
    sqlx::query_as("SELECT state, attempts, gateway_id, error_code FROM outbound_messages ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn a_signed_telnyx_text_is_taken_in_and_answered_through_the_messages_api(db) {
        let app = spawn(db).await;
        Mock::given(method("POST"))
            .and(path(SEND_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
                "record_type": "message", "direction": "outbound",
                "id": "40385f64-5717-4562-b3fc-2c963f66afa6", "to": [{"status": "queued"}],
                "cost": {"amount": "0.0040", "currency": "USD"}
            }})))
            .with_priority(1)
            .mount(&app.api)
            .await;
        let neighbour = "+15557657101";
        text_in(&app, neighbour, "hi").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE gateway = 'telnyx'").await, 1);

        assert_eq!(app.send_due().await, 1);
        let requests = app.api_requests(SEND_PATH).await;
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(request.headers["authorization"].to_str().unwrap(), format!("Bearer {API_KEY}"));
        let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(sent, json!({
            "from": TELNYX_LINE,
            "to": neighbour,
            "text": FIRST_QUESTION,
            "webhook_url": app.url("/webhooks/telnyx/status"),
        }));

        let (state, _, gateway_id, _) = outbound(&app).await;
        assert_eq!(state, "sent");
        assert_eq!(gateway_id.as_deref(), Some("40385f64-5717-4562-b3fc-2c963f66afa6"));
    }

    async fn telnyx_delivery_events_move_the_reply_on_and_a_stop_block_opts_the_neighbour_out(db) {
        let app = spawn(db).await;
        let cases = [
            ("+15557657102", "delivered", None, "delivered", 0),
            ("+15557657109", "delivery_failed", Some("40300"), "failed", 1),
        ];
        for (neighbour, status, error_code, state, opted_out) in cases {
            text_in(&app, neighbour, "hi").await;
            app.send_due().await;
            let gateway_id = outbound(&app).await.2.unwrap();

            // Per-text updates come to the webhook_url we gave, not the portal's address.
            let body = finalized(&gateway_id, neighbour, status, error_code);
            let response = post_signed_as(&app, "/webhooks/telnyx/status", &body, &account_key(), now_s(&app)).await;
            assert_eq!(response.status(), 200, "{status}");
            assert_eq!(outbound(&app).await.0, state, "{status}");
            assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, opted_out, "{status}");
        }
    }

    async fn telnyx_refusing_a_reply_for_a_stop_block_opts_the_neighbour_out(db) {
        let app = spawn(db).await;
        Mock::given(method("POST"))
            .and(path(SEND_PATH))
            .respond_with(ResponseTemplate::new(409).set_body_json(json!({"errors": [{
                "code": "40300",
                "title": "Blocked due to STOP message",
                "detail": "Messages cannot be sent from '+15550007101' to '+15557657103' due to an existing block rule."
            }]})))
            .with_priority(1)
            .mount(&app.api)
            .await;
        text_in(&app, "+15557657103", "hi").await;
        app.send_due().await;

        let (state, attempts, _, error_code) = outbound(&app).await;
        assert_eq!((state.as_str(), attempts, error_code.as_deref()), ("failed", 1, Some("40300")));
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM opt_events WHERE source = 'gateway:40300'").await, 1);
    }

    async fn a_forged_or_tampered_telnyx_webhook_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let body = received("+15557657104", "hi", "84cca175-9755-4859-b67f-4730d7f58aa3");
        let now = now_s(&app);
        let signed = |key: &SigningKey, text: &str| BASE64.encode(key.sign(text.as_bytes()).to_bytes());
        let another_key = SigningKey::from_bytes(&[7; 32]);
        let cases = [
            ("signed by another key", now.to_string(), signed(&another_key, &format!("{now}|{body}"))),
            ("body changed after signing", now.to_string(), signed(&account_key(), &format!("{now}|{}", body.replace("hi", "STOP")))),
            ("timestamp changed after signing", (now + 1).to_string(), signed(&account_key(), &format!("{now}|{body}"))),
            ("not a signature", now.to_string(), "bm90IGEgc2lnbmF0dXJl".to_string()),
        ];
        for (case, timestamp, signature) in cases {
            let headers = [("telnyx-timestamp", timestamp), ("telnyx-signature-ed25519", signature)];
            let response = app.post_raw("/webhooks/telnyx", &headers, "application/json", body.clone()).await;
            assert_eq!(response.status(), 403, "{case}");
        }
        let unsigned = app.post_raw("/webhooks/telnyx", &[], "application/json", body.clone()).await;
        assert_eq!(unsigned.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_telnyx_webhook_signed_six_minutes_ago_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let body = received("+15557657105", "hi", "84cca175-9755-4859-b67f-4730d7f58aa4");
        let response = post_signed_as(&app, "/webhooks/telnyx", &body, &account_key(), now_s(&app) - 360).await;
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_malformed_telnyx_payload_gets_400_naming_the_field(db) {
        let app = spawn(db).await;
        let good = received("+15557657106", "hi", "84cca175-9755-4859-b67f-4730d7f58aa5");
        let cases = [
            (good.replace("\"+15557657106\"", "null"), "`data.payload.from.phone_number`"),
            (good.replace("\"+15557657106\"", "\"not a number\""), "`data.payload.from.phone_number`"),
            (good.replace("84cca175-9755-4859-b67f-4730d7f58aa5", ""), "`data.payload.id`"),
            ("{\"data\": [".to_string(), "`body`"),
        ];
        for (body, field) in cases {
            let response = post_event(&app, &body).await;
            assert_eq!(response.status(), 400, "{field}");
            assert!(response.text().await.unwrap().contains(field), "{field}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_reply_that_meets_a_telnyx_outage_or_rate_limit_is_sent_later(db) {
        let app = spawn(db).await;
        let cases = [
            ("+15557657107", 503, None, json!({"errors": [{"code": "10007", "title": "Unexpected error"}]})),
            ("+15557657108", 429, Some(30), json!({"errors": [{"code": "10011", "title": "Too many requests"}]})),
        ];
        for (neighbour, status, retry_after, body) in cases {
            app.refuse_next_send(SEND_PATH, status, retry_after, body).await;
            text_in(&app, neighbour, "hi").await;
            app.assert_sent_on_retry(retry_after).await;
        }
        assert_eq!(app.api_requests(SEND_PATH).await.len(), 4);
    }
}
