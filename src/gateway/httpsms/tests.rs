use super::*;

// A token made for these tests (httpSMS publishes none), with the claims httpSMS puts in its own.
const KEY: &str = "DGW8NwQp7mxKaSZ72Xq9v67SLqSbWQvckzzmK8D6rvd7NywSEkdMJtuxKyEkYnCY";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhcGkuaHR0cHNtcy5jb20iLCJzdWIiOiJYdEFCejZ6ZGVGTW9CTG9sdHo2U1JFRHZSU2gyIiwiYXVkIjpbImh0dHBzOi8vZXhhbXBsZS5jb20vd2ViaG9va3MvaHR0cHNtcyJdLCJleHAiOjE3MDU4NDA2NDksIm5iZiI6MTcwNTgzOTQ0OSwiaWF0IjoxNzA1ODQwMDQ5fQ.zlmqu00Bgv0yFtrFYF0oZnEXJV_g95Jg9yoYi4BcGCQ";
const URL: &str = "https://example.com/webhooks/httpsms";
const ISSUED_AT: i64 = 1705840049;
const EXPIRES_AT: i64 = 1705840649;

// The example event httpSMS published, whose content is end-to-end encrypted.
const RECEIVED: &str = r#"{
  "specversion": "1.0",
  "id": "8dca3b0a-446a-4a5d-8d2a-95314926c4ed",
  "source": "/v1/messages/receive",
  "type": "message.phone.received",
  "datacontenttype": "application/json",
  "time": "2024-01-21T12:27:29.1605708Z",
  "data": {
    "message_id": "0681b838-4157-44bb-a4ea-721e40ee7ca7",
    "user_id": "XtABz6zdeFMoBLoltz6SREDvRSh2",
    "owner": "+37253920216",
    "encrypted": true,
    "contact": "+37253920216",
    "timestamp": "2024-01-21T12:27:17.949Z",
    "content": "bdmZ7n6JVf/ST+SoNlSaOGUL1DcL5705ETw8GAB4llYBgE9HOOL+Pu/h+w==",
    "sim": "SIM1"
  }
}"#;

fn gateway(signing_key: &str) -> HttpSms {
    HttpSms {
        api_key: serde_json::from_str("\"api-key\"").unwrap(),
        signing_key: serde_json::from_value(serde_json::json!(signing_key)).unwrap(),
        send_url: "https://api.httpsms.com/v1/messages/send".into(),
    }
}

fn check(signing_key: &str, url: &str, authorization: &str, now_s: i64) -> Result<(), AuthError> {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("authorization", authorization.parse().unwrap());
    gateway(signing_key).verify(&Webhook {
        method: "POST",
        url,
        headers: &headers,
        body: RECEIVED.as_bytes(),
        hook: crate::gateway::Hook::Events,
        now_s,
    })
}

fn event(body: &str) -> Result<Event, PayloadError> {
    read_event(body.as_bytes(), "US".parse().unwrap())
}

fn plain(received: &str) -> String {
    received.replace(r#""encrypted": true"#, r#""encrypted": false"#)
}

#[test]
fn the_example_token_is_good_for_our_address_inside_its_window() {
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(check(KEY, URL, &bearer, ISSUED_AT), Ok(()));
    assert_eq!(
        check("not-the-key", URL, &bearer, ISSUED_AT),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        check(
            KEY,
            "https://example.com/webhooks/other",
            &bearer,
            ISSUED_AT
        ),
        Err(AuthError::Rejected("the token is for another address"))
    );
    assert_eq!(
        check(KEY, URL, &bearer, EXPIRES_AT + 61),
        Err(AuthError::Rejected("the token has expired"))
    );
}

#[test]
fn a_webhook_without_a_bearer_token_is_refused() {
    let headers = axum::http::HeaderMap::new();
    let hook = Webhook {
        method: "POST",
        url: URL,
        headers: &headers,
        body: b"{}",
        hook: crate::gateway::Hook::Events,
        now_s: ISSUED_AT,
    };
    assert_eq!(
        gateway(KEY).verify(&hook),
        Err(AuthError::Missing("Authorization"))
    );
    assert!(check(KEY, URL, &format!("Basic {TOKEN}"), ISSUED_AT).is_err());
}

#[test]
fn an_encrypted_text_is_refused_naming_the_field() {
    assert!(matches!(
        event(RECEIVED),
        Err(PayloadError::Invalid {
            field: "data.encrypted",
            ..
        })
    ));
}

#[test]
fn a_received_text_is_keyed_by_its_message_id() {
    let Ok(Event::Text(text)) = event(&plain(RECEIVED)) else {
        panic!("not a text");
    };
    assert_eq!(
        text.gateway_id.as_deref(),
        Some("0681b838-4157-44bb-a4ea-721e40ee7ca7")
    );
    assert_eq!(text.from.as_str(), "+37253920216");
    assert_eq!(text.line.as_str(), "+37253920216");
    assert!(text.body.starts_with("bdmZ7n6JVf"));
    let heartbeat = r#"{"specversion":"1.0","id":"x","type":"phone.heartbeat.offline","data":{}}"#;
    assert_eq!(event(heartbeat), Ok(Event::Ignored));
}

fn status(kind: &str, extra: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"e1","type":"{kind}","data":{{"id":"5e3c1bb4-0a5b-4d1a-9c43-3f1a2b0c9d11","owner":"+18005550199","contact":"+18005550100","content":"hi"{extra}}}}}"#
    )
}

#[test]
fn status_events_become_reports_on_the_id_the_send_returned() {
    let report = |body: String| match event(&body) {
        Ok(Event::Delivery(r)) => r,
        other => panic!("not a report: {other:?}"),
    };
    let sent = report(status("message.phone.sent", ""));
    assert_eq!(sent.gateway_id, "5e3c1bb4-0a5b-4d1a-9c43-3f1a2b0c9d11");
    assert_eq!(sent.state, Some(DeliveryState::Sent));
    assert_eq!(
        report(status("message.phone.delivered", "")).state,
        Some(DeliveryState::Delivered)
    );
    let failed = report(status(
        "message.send.failed",
        r#","error_message":"RESULT_ERROR_GENERIC_FAILURE""#,
    ));
    assert_eq!(failed.state, Some(DeliveryState::Failed));
    assert_eq!(
        failed.error_code.as_deref(),
        Some("RESULT_ERROR_GENERIC_FAILURE")
    );
    let expired =
        status("message.send.expired", "").replace(r#""id":"5e3c"#, r#""message_id":"5e3c"#);
    assert_eq!(report(expired.clone()).state, Some(DeliveryState::Failed));
    let retrying = expired.replace(r#""content":"hi""#, r#""content":"hi","is_final":false"#);
    assert_eq!(report(retrying).state, None);
}

#[test]
fn a_malformed_event_names_the_field() {
    let no_contact = plain(RECEIVED).replace(r#""contact": "+37253920216","#, "");
    assert_eq!(
        event(&no_contact),
        Err(PayloadError::Missing("data.contact"))
    );
    let no_id = plain(RECEIVED).replace(
        r#""message_id": "0681b838-4157-44bb-a4ea-721e40ee7ca7","#,
        "",
    );
    assert_eq!(event(&no_id), Err(PayloadError::Missing("data.message_id")));
    let bad_owner = plain(RECEIVED).replace(r#""owner": "+37253920216""#, r#""owner": "nobody""#);
    assert!(matches!(
        event(&bad_owner),
        Err(PayloadError::Invalid {
            field: "data.owner",
            ..
        })
    ));
    assert_eq!(
        event(
            &status("message.phone.sent", "")
                .replace(r#""id":"5e3c1bb4-0a5b-4d1a-9c43-3f1a2b0c9d11","#, "")
        ),
        Err(PayloadError::Missing("data.id"))
    );
    assert!(matches!(
        event("[]"),
        Err(PayloadError::Invalid { field: "body", .. })
    ));
}

#[test]
fn send_answers_are_sorted_by_what_to_do_next() {
    let answer = |status, body: &str| Answer {
        status,
        retry_after: None,
        body: body.into(),
    };
    let accepted = r#"{"status":"success","message":"message added to queue","data":{"id":"5e3c1bb4-0a5b-4d1a-9c43-3f1a2b0c9d11","status":"pending","request_id":"aidline-7"}}"#;
    assert_eq!(
        outcome(&answer(200, accepted)),
        Ok(Some("5e3c1bb4-0a5b-4d1a-9c43-3f1a2b0c9d11".into()))
    );
    let invalid = r#"{"status":"error","message":"validation errors while handling request","data":{"to":["invalid"]}}"#;
    for status in [400, 401, 422] {
        assert!(matches!(
            outcome(&answer(status, invalid)),
            Err(SendError::Permanent { .. })
        ));
    }
    for status in [429, 500, 503] {
        assert!(matches!(
            outcome(&answer(status, "")),
            Err(SendError::Retryable { .. })
        ));
    }
}
