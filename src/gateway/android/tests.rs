use super::*;
use crate::gateway::settings::first_line;

// A vector made for these tests (the vendor publishes none): a key, an X-Timestamp, and the
// app's documented example body.
const KEY: &str = "a1b2c3d4";
const TIMESTAMP: &str = "1719046000";
const RECEIVED: &str = r#"{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"sms:received","id":"Ey6ECgOkVVFjz3CL48B8C","payload":{"messageId":"abc123","message":"Android is always a sweet treat!","sender":"6505551212","recipient":"+1234567890","simNumber":1,"receivedAt":"2024-06-22T15:46:11.000+07:00"},"webhookId":"LreFUt-Z3sSq0JufY9uWB"}"#;
const SIGNATURE: &str = "9c9fdae2e7b82f1100117cfd930625a0d83afb34551d7908d0814e0b7ccd7615";
const FAILED: &str = r#"{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"sms:failed","id":"Ey6ECgOkVVFjz3CL48B8C","payload":{"messageId":"msg-000","sender":"+1234567890","recipient":"+4445556666","simNumber":3,"failedAt":"2026-02-18T02:15:00.000+07:00","reason":"Network error"},"webhookId":"LreFUt-Z3sSq0JufY9uWB"}"#;

fn gateway(device_id: Option<&str>, sim_number: Option<u8>) -> Android {
    Android {
        line: Phone::parse("+15550007301", us()).unwrap(),
        send_url: format!("{CLOUD_API}/messages"),
        username: "u".into(),
        password: serde_json::from_str("\"p\"").unwrap(),
        signing_key: serde_json::from_str(&format!("\"{KEY}\"")).unwrap(),
        device_id: device_id.map(str::to_string),
        sim_number,
    }
}

fn us() -> Region {
    "US".parse().unwrap()
}

fn check(
    gw: &Android,
    body: &str,
    timestamp: &str,
    signature: &str,
    now_s: i64,
) -> Result<(), AuthError> {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("x-signature", signature.parse().unwrap());
    headers.insert("x-timestamp", timestamp.parse().unwrap());
    gw.verify(&Webhook {
        method: "POST",
        url: "https://aid.example/webhooks/android",
        headers: &headers,
        body: body.as_bytes(),
        hook: crate::gateway::Hook::Events,
        now_s,
    })
}

fn events(body: &str) -> Result<Vec<Event>, PayloadError> {
    let headers = axum::http::HeaderMap::new();
    gateway(None, None).parse(
        &Webhook {
            method: "POST",
            url: "https://aid.example/webhooks/android",
            headers: &headers,
            body: body.as_bytes(),
            hook: crate::gateway::Hook::Events,
            now_s: 0,
        },
        us(),
    )
}

#[test]
fn the_documented_webhook_signs_to_the_known_vector_and_verifies() {
    assert_eq!(signature(KEY, RECEIVED.as_bytes(), TIMESTAMP), SIGNATURE);
    let now = 1719046000 + 120;
    assert_eq!(
        check(&gateway(None, None), RECEIVED, TIMESTAMP, SIGNATURE, now),
        Ok(())
    );
}

#[test]
fn a_tampered_body_a_wrong_key_or_an_old_timestamp_is_refused() {
    let gw = gateway(None, None);
    let now = 1719046000;
    let tampered = RECEIVED.replace("sweet treat", "STOP");
    assert_eq!(
        check(&gw, &tampered, TIMESTAMP, SIGNATURE, now),
        Err(AuthError::BadSignature)
    );
    let forged = signature("not-our-key", RECEIVED.as_bytes(), TIMESTAMP);
    assert_eq!(
        check(&gw, RECEIVED, TIMESTAMP, &forged, now),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        check(&gw, RECEIVED, "1719046001", SIGNATURE, now),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        check(&gw, RECEIVED, TIMESTAMP, SIGNATURE, now + WINDOW_S + 1),
        Err(AuthError::Stale(WINDOW_S))
    );
}

#[test]
fn a_line_set_to_another_device_or_sim_leaves_the_webhook_to_the_next_line() {
    let now = 1719046000;
    let other_device = gateway(Some("another-device"), None);
    assert!(check(&other_device, RECEIVED, TIMESTAMP, SIGNATURE, now).is_err());
    let other_sim = gateway(None, Some(2));
    assert!(check(&other_sim, RECEIVED, TIMESTAMP, SIGNATURE, now).is_err());
    let this_phone = gateway(Some("ffffffffceb0b1db0000018e937c815b"), Some(1));
    assert_eq!(
        check(&this_phone, RECEIVED, TIMESTAMP, SIGNATURE, now),
        Ok(())
    );
}

#[test]
fn the_documented_received_text_becomes_a_text_on_this_line() {
    let Event::Text(text) = events(RECEIVED).unwrap().remove(0) else {
        panic!("not a text");
    };
    assert_eq!(text.gateway_id.as_deref(), Some("Ey6ECgOkVVFjz3CL48B8C"));
    assert_eq!(text.from.as_str(), "+16505551212");
    assert_eq!(text.line.as_str(), "+15550007301");
    assert_eq!(text.body, "Android is always a sweet treat!");
}

#[test]
fn status_events_become_reports_on_the_id_we_sent_with() {
    let Event::Delivery(report) = events(FAILED).unwrap().remove(0) else {
        panic!("not a report");
    };
    assert_eq!(report.gateway_id, "msg-000");
    assert_eq!(report.state, Some(DeliveryState::Failed));
    assert_eq!(report.error_code.as_deref(), Some("Network error"));
    let delivered = FAILED.replace("sms:failed", "sms:delivered");
    assert!(
        matches!(&events(&delivered).unwrap()[0], Event::Delivery(r) if r.state == Some(DeliveryState::Delivered))
    );
    let ping = r#"{"deviceId":"d","event":"system:ping","id":"x","payload":{},"webhookId":"w"}"#;
    assert_eq!(events(ping).unwrap(), vec![Event::Ignored]);
}

#[test]
fn a_malformed_webhook_names_the_field() {
    let no_sender = RECEIVED.replace(r#""sender":"6505551212","#, "");
    assert_eq!(
        events(&no_sender).unwrap_err(),
        PayloadError::Missing("payload.sender")
    );
    let no_id = RECEIVED.replace(r#""id":"Ey6ECgOkVVFjz3CL48B8C","#, "");
    assert_eq!(events(&no_id).unwrap_err(), PayloadError::Missing("id"));
    let no_message_id = FAILED.replace(r#""messageId":"msg-000","#, "");
    assert_eq!(
        events(&no_message_id).unwrap_err(),
        PayloadError::Missing("payload.messageId")
    );
    assert!(matches!(
        events("not json").unwrap_err(),
        PayloadError::Invalid { field: "body", .. }
    ));
    let carrier = RECEIVED.replace("6505551212", "T-Mobile");
    assert_eq!(events(&carrier).unwrap(), vec![Event::Ignored]);
}

#[test]
fn a_local_mode_line_needs_the_phones_address() {
    let line = |table: &str| first_line("android", "+15550007301", table);
    let table = "mode = \"local\"\nusername = \"sms\"\npassword = \"p\"\nsigning_key = \"k\"";
    let err = line(table).unwrap_err().to_string();
    assert!(err.starts_with("lines[0].android.api_base:"), "{err}");
    let with_address = format!("{table}\napi_base = \"http://192.168.1.20:8080\"");
    assert!(line(&with_address).is_ok());
}

#[test]
fn send_answers_are_sorted_by_what_to_do_next() {
    let answer = |status, body: &str| Answer {
        status,
        retry_after: None,
        body: body.into(),
    };
    let id = || "aidline-7".to_string();
    assert_eq!(
        outcome(
            &answer(202, r#"{"id":"aidline-7","state":"Pending"}"#),
            id()
        ),
        Ok(Some(id()))
    );
    assert_eq!(
        outcome(&answer(409, r#"{"message":"duplicate id"}"#), id()),
        Ok(Some(id()))
    );
    for status in [400, 401, 403] {
        assert!(matches!(
            outcome(&answer(status, "{}"), id()),
            Err(SendError::Permanent { .. })
        ));
    }
    for status in [429, 500, 503] {
        assert!(matches!(
            outcome(&answer(status, ""), id()),
            Err(SendError::Retryable { .. })
        ));
    }
}
