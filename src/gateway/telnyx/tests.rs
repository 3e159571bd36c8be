use axum::http::HeaderMap;

use super::*;
use crate::gateway::Hook;

// A fixed vector: Ed25519 is deterministic, so signing this body at this time with the RFC 8032
// test key (seed 9d61b19d…7f60) always gives this signature.
const PUBLIC_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const SIGNED_AT: i64 = 1_700_000_000;
const STOP_BODY: &str = r#"{"data":{"event_type":"message.received","id":"b301ed3f-1490-491f-995f-6e64e69674d4","occurred_at":"2019-12-09T20:16:07.588+00:00","payload":{"direction":"inbound","from":{"phone_number":"+13125550100"},"id":"84cca175-9755-4859-b67f-4730d7f58aa3","text":"STOP","to":[{"phone_number":"+17735550100","status":"webhook_delivered"}],"type":"SMS"},"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://example.com/webhooks"}}"#;
const STOP_SIGNATURE: &str =
    "xjfj/uiYu/dYb2Fo/EZy/g7A2ScO2LK4MoW7py4fjJ8mtAHvTmOBLD8DEeibL6Z3wJqX+KlTmODc7KWHJSV6Bw==";

// Telnyx's documented `message.received` example, as published up to where our copy of it ends
// (the last value elided, the JSON closed).
const RECEIVED: &str = r#"{
  "data": {
    "record_type": "event",
    "id": "bf6307bd-884d-4c1f-b6ea-c62b8c495d3c",
    "event_type": "message.received",
    "occurred_at": "2019-01-23T18:10:02.574Z",
    "payload": {
      "record_type": "message",
      "direction": "inbound",
      "id": "7ee4241c-f127-47e5-9c34-3aac291f8058",
      "type": "SMS",
      "messaging_profile_id": "0f512bda-ae1e-4597-8e11-e5f5686b97d3",
      "organization_id": "b448f9cc-a842-4784-98e9-03c1a5872950",
      "from": {"phone_number": "+18665550001", "carrier": "T-MOBILE USA, INC.", "line_type": "Wireless"},
      "to": [{"phone_number": "+18445550001", "status": "delivered", "carrier": "TELNYX LLC", "line_type": "VoIP"}],
      "cc": [],
      "text": "Hello, World!",
      "subject": "From Telnyx!",
      "media": [],
      "webhook_url": "https://www.example.com/hooks",
      "webhook_failover_url": "https://backup.example.com/hooks",
      "encoding": "GSM-7",
      "parts": 1,
      "tags": ["Greetings"],
      "cost": {"amount": "0.0051", "currency": "USD"},
      "cost_breakdown": {"carrier_fee": {"amount": "0.00305", "currency": "USD"}, "rate": {"amount": "0.00205", "currency": "USD"}},
      "tcr_campaign_id": "TCPA3X7",
      "tcr_campaign_billable": "…"
    }
  },
  "meta": {"attempt": 1, "delivered_to": "https://www.example.com/hooks"}
}"#;

// Telnyx's documented `message.sent` example, as published.
const SENT: &str = r#"{
  "data": {
    "record_type": "event",
    "id": "86f58db9-0fe3-4adc-9d1f-46e66e6e9323",
    "event_type": "message.sent",
    "occurred_at": "date-time",
    "payload": {
      "record_type": "message", "direction": "outbound",
      "id": "40385f64-5717-4562-b3fc-2c963f66afa6", "type": "MMS",
      "messaging_profile_id": "4000eba1-a0c0-4563-9925-b25e842a7cb6",
      "organization_id": "b448f9cc-a842-4784-98e9-03c1a5872950",
      "from": {"phone_number": "+18445550001", "carrier": "TELNYX LLC", "line_type": "VoIP"},
      "to": [{"phone_number": "+18665550001", "status": "queued", "carrier": "T-MOBILE USA, INC.", "line_type": "Wireless"}],
      "cc": [], "text": "Hello, World!", "subject": "From Telnyx!",
      "media": [{"url": "https://pbs.twimg.com/profile_images/1142168442042118144/AW3F4fFD_400x400.png", "content_type": null, "sha256": null, "size": null}],
      "webhook_url": "https://www.example.com/hooks", "webhook_failover_url": "https://backup.example.com/hooks",
      "encoding": "GSM-7", "parts": 1, "tags": ["Greetings"],
      "cost": {"amount": 0.0051, "currency": "USD"},
      "cost_breakdown": {"carrier_fee": {"amount": 0.00305, "currency": "USD"}, "rate": {"amount": 0.00205, "currency": "USD"}},
      "tcr_campaign_id": "TCPA3X7", "tcr_campaign_billable": true, "tcr_campaign_registered": "REGISTERED",
      "received_at": "2019-01-23T18:10:02.574Z", "sent_at": null, "completed_at": null, "valid_until": null, "errors": []
    }
  },
  "meta": {"attempt": 1, "delivered_to": "https://www.example.com/hooks"}
}"#;

fn gateway(public_key: &str) -> Telnyx {
    Telnyx {
        api_key: serde_json::from_value(serde_json::json!("KEY0123")).unwrap(),
        public_key: super::public_key("lines[0].telnyx.public_key", public_key).unwrap(),
        messaging_profile_id: None,
        api_base: Url::parse("https://api.telnyx.com").unwrap(),
    }
}

fn headers(timestamp: &str, signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(TIMESTAMP, timestamp.parse().unwrap());
    headers.insert(SIGNATURE, signature.parse().unwrap());
    headers
}

fn check(telnyx: &Telnyx, headers: &HeaderMap, body: &str, now_s: i64) -> Result<(), AuthError> {
    telnyx.verify(&Webhook {
        method: "POST",
        url: "https://aid.example.org/webhooks/telnyx",
        headers,
        body: body.as_bytes(),
        hook: Hook::Events,
        now_s,
    })
}

fn read(body: &str) -> Result<Event, PayloadError> {
    read_event(json::body(body.as_bytes())?, "US".parse().unwrap())
}

fn report(body: &str) -> DeliveryReport {
    match read(body).unwrap() {
        Event::Delivery(report) => report,
        other => panic!("expected a delivery report, got {other:?}"),
    }
}

#[test]
fn the_fixed_vector_verifies() {
    let signed = headers("1700000000", STOP_SIGNATURE);
    assert_eq!(
        check(&gateway(PUBLIC_KEY), &signed, STOP_BODY, SIGNED_AT),
        Ok(())
    );
}

#[test]
fn one_byte_changed_in_the_body_fails() {
    let signed = headers("1700000000", STOP_SIGNATURE);
    let tampered = STOP_BODY.replace("\"STOP\"", "\"STOp\"");
    assert_eq!(
        check(&gateway(PUBLIC_KEY), &signed, &tampered, SIGNED_AT),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn a_signature_under_another_key_or_timestamp_fails() {
    let another_key = BASE64.encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes(),
    );
    let signed = headers("1700000000", STOP_SIGNATURE);
    assert_eq!(
        check(&gateway(&another_key), &signed, STOP_BODY, SIGNED_AT),
        Err(AuthError::BadSignature)
    );
    let moved = headers("1700000001", STOP_SIGNATURE);
    assert_eq!(
        check(&gateway(PUBLIC_KEY), &moved, STOP_BODY, SIGNED_AT),
        Err(AuthError::BadSignature)
    );
    let garbled = headers("1700000000", "not base64!");
    assert_eq!(
        check(&gateway(PUBLIC_KEY), &garbled, STOP_BODY, SIGNED_AT),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn a_genuine_signature_older_or_newer_than_five_minutes_is_stale() {
    let telnyx = gateway(PUBLIC_KEY);
    let signed = headers("1700000000", STOP_SIGNATURE);
    for now_s in [SIGNED_AT - 300, SIGNED_AT + 300] {
        assert_eq!(check(&telnyx, &signed, STOP_BODY, now_s), Ok(()));
    }
    for now_s in [SIGNED_AT - 301, SIGNED_AT + 301, SIGNED_AT + 3600] {
        assert_eq!(
            check(&telnyx, &signed, STOP_BODY, now_s),
            Err(AuthError::Stale(300))
        );
    }
}

#[test]
fn a_webhook_without_both_headers_is_refused() {
    let telnyx = gateway(PUBLIC_KEY);
    let mut only_signature = HeaderMap::new();
    only_signature.insert(SIGNATURE, STOP_SIGNATURE.parse().unwrap());
    assert_eq!(
        check(&telnyx, &only_signature, STOP_BODY, SIGNED_AT),
        Err(AuthError::Missing(TIMESTAMP))
    );
    assert_eq!(
        check(&telnyx, &HeaderMap::new(), STOP_BODY, SIGNED_AT),
        Err(AuthError::Missing(SIGNATURE))
    );
}

#[test]
fn a_mistyped_public_key_stops_the_configuration() {
    for (value, problem) in [
        ("not a key!", "is not base64"),
        ("c2hvcnQ=", "is 5 bytes long"),
        // Cut short while copying.
        (&PUBLIC_KEY[..PUBLIC_KEY.len() - 4], "is 30 bytes long"),
        // 32 bytes, but y = 2 is on no point of the curve.
        (
            "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "is not an Ed25519 public key",
        ),
    ] {
        let error = public_key("lines[1].telnyx.public_key", value).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("lines[1].telnyx.public_key"), "{message}");
        assert!(message.contains(problem), "{message}");
        assert!(message.contains("Keys & Credentials"), "{message}");
    }
}

#[test]
fn the_documented_inbound_text_is_read() {
    let Event::Text(text) = read(RECEIVED).unwrap() else {
        panic!("expected a text");
    };
    assert_eq!(text.gateway, "telnyx");
    assert_eq!(
        text.gateway_id.as_deref(),
        Some("7ee4241c-f127-47e5-9c34-3aac291f8058")
    );
    assert_eq!(text.from.as_str(), "+18665550001");
    assert_eq!(text.line.as_str(), "+18445550001");
    assert_eq!(text.body, "Hello, World!");
    assert!(text.media.is_empty());
}

#[test]
fn the_signed_vector_is_a_stop_from_a_neighbour() {
    let Event::Text(text) = read(STOP_BODY).unwrap() else {
        panic!("expected a text");
    };
    assert_eq!(text.body, "STOP");
    assert_eq!(text.from.as_str(), "+13125550100");
    assert_eq!(text.line.as_str(), "+17735550100");
}

#[test]
fn pictures_on_an_inbound_text_keep_their_address_and_type() {
    let with_media = RECEIVED.replace(
        r#""media": []"#,
        r#""media": [{"url": "https://media.telnyx.com/a.jpg", "content_type": "image/jpeg", "size": 1024}]"#,
    );
    let Event::Text(text) = read(&with_media).unwrap() else {
        panic!("expected a text");
    };
    assert_eq!(
        text.media,
        [Media {
            url: "https://media.telnyx.com/a.jpg".into(),
            content_type: Some("image/jpeg".into()),
        }]
    );
}

#[test]
fn the_documented_sent_event_is_a_report_with_nothing_new_yet() {
    let report = report(SENT);
    assert_eq!(report.gateway_id, "40385f64-5717-4562-b3fc-2c963f66afa6");
    assert_eq!(report.state, None, "queued");
    assert_eq!(report.error_code, None);
    assert!(!report.recipient_opted_out);
}

#[test]
fn recipient_statuses_map_to_our_states() {
    for (status, state) in [
        ("queued", None),
        ("sending", None),
        ("sent", Some(DeliveryState::Sent)),
        ("delivered", Some(DeliveryState::Delivered)),
        ("sending_failed", Some(DeliveryState::Failed)),
        ("delivery_failed", Some(DeliveryState::Failed)),
        ("delivery_unconfirmed", Some(DeliveryState::Sent)),
    ] {
        let finalized = SENT
            .replace("message.sent", "message.finalized")
            .replace(r#""status": "queued""#, &format!(r#""status": "{status}""#));
        assert_eq!(report(&finalized).state, state, "{status}");
    }
}

#[test]
fn a_failure_for_a_stop_block_says_the_recipient_opted_out() {
    let failed = |code: &str| {
        SENT.replace(r#""status": "queued""#, r#""status": "delivery_failed""#)
            .replace(
                r#""errors": []"#,
                &format!(r#""errors": [{{"code": {code}, "title": "…"}}]"#),
            )
    };
    let blocked = report(&failed(r#""40300""#));
    assert_eq!(blocked.state, Some(DeliveryState::Failed));
    assert_eq!(blocked.error_code.as_deref(), Some("40300"));
    assert!(blocked.recipient_opted_out);
    let unreachable = report(&failed("40006"));
    assert_eq!(unreachable.error_code.as_deref(), Some("40006"));
    assert!(!unreachable.recipient_opted_out);
}

#[test]
fn events_we_do_not_act_on_are_skipped() {
    let other = RECEIVED.replace("message.received", "number_order.complete");
    assert_eq!(read(&other).unwrap(), Event::Ignored);
}

#[test]
fn a_malformed_payload_names_the_field() {
    let cases = [
        (
            RECEIVED.replace(r#""phone_number": "+18665550001","#, ""),
            "data.payload.from.phone_number",
        ),
        (
            RECEIVED.replace(r#""id": "7ee4241c-f127-47e5-9c34-3aac291f8058","#, ""),
            "data.payload.id",
        ),
        (
            RECEIVED.replace(r#""event_type": "message.received","#, ""),
            "data.event_type",
        ),
        (
            SENT.replace(r#""status": "queued", "#, ""),
            "data.payload.to[0].status",
        ),
        (
            RECEIVED.replace("+18445550001", "call me"),
            "data.payload.to[0].phone_number",
        ),
        ("[]".into(), "body"),
        ("{\"data\": ".into(), "body"),
    ];
    for (body, field) in cases {
        let error = read(&body).unwrap_err();
        assert!(error.to_string().contains(&format!("`{field}`")), "{error}");
    }
}

fn answer(status: u16, retry_after: Option<u64>, body: &str) -> Answer {
    Answer {
        status,
        retry_after: retry_after.map(std::time::Duration::from_secs),
        body: body.into(),
    }
}

#[test]
fn send_errors_are_sorted_by_what_to_do_next() {
    let stop = r#"{"errors":[{"code":"40300","title":"Blocked due to STOP message","detail":"Messages cannot be sent from '+18445550001' to '+18665550001' due to an existing block rule."}]}"#;
    assert_eq!(
        classify(&answer(409, None, stop)),
        SendError::RecipientOptedOut {
            code: "40300".into()
        }
    );
    let rate_limited = r#"{"errors":[{"code":"10011","title":"Too many requests"}]}"#;
    assert_eq!(
        classify(&answer(429, Some(12), rate_limited)),
        SendError::Retryable {
            status: Some(429),
            code: Some("10011".into()),
            detail: "Telnyx answered 429: Too many requests".into(),
            retry_after: Some(std::time::Duration::from_secs(12)),
        }
    );
    assert!(matches!(
        classify(&answer(503, None, "<html>Service Unavailable</html>")),
        SendError::Retryable { .. }
    ));
    let invalid = r#"{"errors":[{"code":"10002","title":"Invalid phone number","detail":"The 'to' number '+1555' is not valid."}]}"#;
    let SendError::Permanent { code, detail, .. } = classify(&answer(400, None, invalid)) else {
        panic!("an invalid number cannot be retried");
    };
    assert_eq!(code.as_deref(), Some("10002"));
    assert_eq!(detail, "Telnyx answered 400: Invalid phone number");
}
