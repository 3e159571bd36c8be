use std::time::Duration;

use axum::http::HeaderMap;

use super::*;
use crate::gateway::Hook;

// Bandwidth's documented `message-received` callback, as published.
const RECEIVED: &str = r#"[
  {
    "type"          : "message-received",
    "time"          : "2016-09-14T18:20:16Z",
    "description"   : "Incoming message received",
    "to"            : "+12345678902",
    "message"       : {
      "id"            : "14762070468292kw2fuqty55yp2b2",
      "time"          : "2016-09-14T18:20:16Z",
      "to"            : ["+12345678902"],
      "from"          : "+12345678901",
      "text"          : "Hey, check this out!",
      "applicationId" : "93de2206-9669-4e07-948d-329f4b722ee2",
      "media"         : [
        "https://messaging.bandwidth.com/api/v2/users/{accountId}/media/14762070468292kw2fuqty55yp2b2/0/bw.png"
        ],
      "owner"         : "+12345678902",
      "direction"     : "in",
      "segmentCount"  : 1
    }
  }
]"#;

// A recorded `message-failed` callback, as published.
const FAILED: &str = r#"[{"type":"message-failed","time":"2016-09-14T18:20:16Z","description":"forbidden to country","to":"+52345678903","errorCode":4432,"message":{"id":"14762070468292kw2fuqty55yp2b2","time":"2016-09-14T18:20:16Z","to":["+12345678902","+52345678903"],"from":"+12345678901","text":"","applicationId":"93de2206-9669-4e07-948d-329f4b722ee2","media":["https://dev.bandwidth.com/images/bandwidth-logo.png"],"owner":"+12345678901","direction":"out","segmentCount":1}}]"#;

fn delivered() -> String {
    FAILED
        .replace("message-failed", "message-delivered")
        .replace(
            r#""description":"forbidden to country""#,
            r#""description":"ok""#,
        )
        .replace(r#""errorCode":4432,"#, "")
}

fn gateway() -> Bandwidth {
    let secret = |s: &str| serde_json::from_value(serde_json::json!(s)).unwrap();
    Bandwidth {
        account_id: "9900000".into(),
        username: "api-user".into(),
        password: secret("api-password"),
        application_id: "93de2206-9669-4e07-948d-329f4b722ee2".into(),
        callback_username: "aidline".into(),
        callback_password: secret("callback-password"),
        api_base: Url::parse("https://messaging.bandwidth.com").unwrap(),
        voice_api_base: Url::parse("https://voice.bandwidth.com").unwrap(),
    }
}

fn check(authorization: Option<&str>) -> Result<(), AuthError> {
    let mut headers = HeaderMap::new();
    if let Some(value) = authorization {
        headers.insert("authorization", value.parse().unwrap());
    }
    gateway().verify(&Webhook {
        method: "POST",
        url: "https://aid.example.org/webhooks/bandwidth",
        headers: &headers,
        body: RECEIVED.as_bytes(),
        hook: Hook::Events,
        now_s: 0,
    })
}

fn basic(credentials: &str) -> String {
    format!("Basic {}", BASE64.encode(credentials))
}

fn read(body: &str) -> Result<Vec<Event>, PayloadError> {
    let callbacks: Vec<Callback> = json::body(body.as_bytes())?;
    callbacks
        .into_iter()
        .map(|c| read_callback(c, "US".parse().unwrap()))
        .collect()
}

fn report(body: &str) -> DeliveryReport {
    match read(body).unwrap().as_slice() {
        [Event::Delivery(report)] => report.clone(),
        other => panic!("expected one delivery report, got {other:?}"),
    }
}

#[test]
fn the_callback_credentials_we_configured_are_accepted() {
    assert_eq!(check(Some(&basic("aidline:callback-password"))), Ok(()));
    assert_eq!(
        check(Some(
            &basic("aidline:callback-password").replace("Basic", "basic")
        )),
        Ok(())
    );
}

#[test]
fn missing_or_wrong_callback_credentials_are_refused() {
    assert_eq!(check(None), Err(AuthError::Missing("Authorization")));
    for wrong in [
        basic("aidline:callback-passwore"),
        basic("aidline:callback-password "),
        basic("aidline:"),
        basic("api-user:api-password"),
    ] {
        assert_eq!(
            check(Some(&wrong)),
            Err(AuthError::Rejected("wrong callback credentials")),
            "{wrong}"
        );
    }
    for not_basic in ["Bearer abc", "Basic", "Basic not-base64!"] {
        assert!(
            matches!(check(Some(not_basic)), Err(AuthError::Rejected(_))),
            "{not_basic}"
        );
    }
}

#[test]
fn the_documented_inbound_text_is_read() {
    let events = read(RECEIVED).unwrap();
    let [Event::Text(text)] = events.as_slice() else {
        panic!("expected one text, got {events:?}");
    };
    assert_eq!(text.gateway, "bandwidth");
    assert_eq!(
        text.gateway_id.as_deref(),
        Some("14762070468292kw2fuqty55yp2b2")
    );
    assert_eq!(text.from.as_str(), "+12345678901");
    assert_eq!(text.line.as_str(), "+12345678902");
    assert_eq!(text.body, "Hey, check this out!");
    assert_eq!(
        text.media,
        [Media {
            url: "https://messaging.bandwidth.com/api/v2/users/{accountId}/media/14762070468292kw2fuqty55yp2b2/0/bw.png".into(),
            content_type: None,
        }]
    );
}

#[test]
fn without_a_to_the_owner_is_our_number() {
    let events = read(&RECEIVED.replace(r#""to"            : "+12345678902","#, "")).unwrap();
    let [Event::Text(text)] = events.as_slice() else {
        panic!("expected one text, got {events:?}");
    };
    assert_eq!(text.line.as_str(), "+12345678902");
}

#[test]
fn one_callback_may_carry_several_events() {
    let second = RECEIVED
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .replace(
            "14762070468292kw2fuqty55yp2b2",
            "14762070468292kw2fuqty55yp2b3",
        );
    let both = format!("{},{second}]", RECEIVED.trim().trim_end_matches(']'));
    let events = read(&both).unwrap();
    let ids: Vec<_> = events
        .iter()
        .map(|e| match e {
            Event::Text(text) => text.gateway_id.clone().unwrap(),
            other => panic!("expected texts, got {other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "14762070468292kw2fuqty55yp2b2",
            "14762070468292kw2fuqty55yp2b3"
        ]
    );
    assert_eq!(read("[]").unwrap(), []);
}

#[test]
fn delivery_events_map_to_our_states() {
    let ok = report(&delivered());
    assert_eq!(ok.gateway_id, "14762070468292kw2fuqty55yp2b2");
    assert_eq!(ok.state, Some(DeliveryState::Delivered));
    assert_eq!(ok.error_code, None);

    let forbidden = report(FAILED);
    assert_eq!(forbidden.state, Some(DeliveryState::Failed));
    assert_eq!(forbidden.error_code.as_deref(), Some("4432"));
    assert!(!forbidden.recipient_opted_out);

    let opted_out = report(&FAILED.replace("4432", "4775"));
    assert_eq!(opted_out.state, Some(DeliveryState::Failed));
    assert!(opted_out.recipient_opted_out);
}

#[test]
fn our_own_texts_and_events_we_do_not_act_on_are_skipped() {
    let echoed = RECEIVED.replace(r#""direction"     : "in""#, r#""direction"     : "out""#);
    assert_eq!(read(&echoed).unwrap(), [Event::Ignored]);
    let sending = delivered().replace("message-delivered", "message-sending");
    assert_eq!(read(&sending).unwrap(), [Event::Ignored]);
}

#[test]
fn a_malformed_payload_names_the_field() {
    let cases = [
        (
            RECEIVED.replace(r#""from"          : "+12345678901","#, ""),
            "message.from",
        ),
        (
            RECEIVED.replace(r#""from"          : "+12345678901""#, r#""from": "hello""#),
            "message.from",
        ),
        (
            RECEIVED.replace(r#""id"            : "14762070468292kw2fuqty55yp2b2","#, ""),
            "message.id",
        ),
        (
            RECEIVED.replace(r#""type"          : "message-received","#, ""),
            "type",
        ),
        (
            RECEIVED
                .replace(r#""to"            : "+12345678902","#, "")
                .replace(r#""owner"         : "+12345678902","#, ""),
            "to",
        ),
        (
            FAILED.replace(r#""id":"14762070468292kw2fuqty55yp2b2","#, ""),
            "message.id",
        ),
        (r#"[{"type": "message-delivered"}]"#.into(), "message"),
        // One event on its own, not in the array Bandwidth always sends.
        (
            RECEIVED
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .into(),
            "body",
        ),
    ];
    for (body, field) in cases {
        let error = read(&body).unwrap_err();
        assert!(
            error.to_string().contains(&format!("`{field}`")),
            "{field}: {error}"
        );
    }
}

fn answer(status: u16, retry_after: Option<u64>, body: &str) -> Answer {
    Answer {
        status,
        retry_after: retry_after.map(Duration::from_secs),
        body: body.into(),
    }
}

#[test]
fn send_errors_are_sorted_by_what_to_do_next() {
    let full = r#"{"type":"max-message-queue-size-exceeded","description":"The SMS queue for your account is full and cannot accept more messages right now."}"#;
    assert_eq!(
        classify(&answer(429, Some(60), full)),
        SendError::Retryable {
            status: Some(429),
            code: Some("max-message-queue-size-exceeded".into()),
            detail: "Bandwidth answered 429 (max-message-queue-size-exceeded)".into(),
            retry_after: Some(Duration::from_secs(60)),
        }
    );
    assert!(matches!(
        classify(&answer(503, None, "")),
        SendError::Retryable { .. }
    ));
    let invalid = r#"{"type":"request-validation","description":"'+1555' is not a valid number"}"#;
    assert_eq!(
        classify(&answer(400, None, invalid)),
        SendError::Permanent {
            status: Some(400),
            code: Some("request-validation".into()),
            detail: "Bandwidth answered 400 (request-validation)".into(),
        }
    );
}
