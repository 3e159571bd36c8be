//! httpSMS: CloudEvents under a signed bearer token in, replies out through its send API.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::gateway_android::{STOPPED, now_s, outbound};
use crate::helpers::*;
use crate::on_both_databases;

pub(crate) const PHONE: &str = "+15550007311";
const API_KEY: &str = "httpsms-api-key";
const SIGNING_KEY: &str = "httpsms-signing-key";
const SEND_PATH: &str = "/v1/messages/send";

/// This provider's test line, as `Options::extra_lines`.
pub(crate) fn lines() -> String {
    format!(
        "[[lines]]\nnumber = \"{PHONE}\"\ngateway = \"httpsms\"\nflow = \"intake\"\n\
         segments_per_second = \"unlimited\"\n[lines.httpsms]\napi_key = \"{API_KEY}\"\n\
         signing_key = \"{SIGNING_KEY}\"\napi_base = \"{{api}}\"\n"
    )
}

async fn spawn(db: TestDb) -> TestApp {
    let extra_lines = lines();
    let app = TestApp::spawn_with(
        db,
        Options {
            extra_lines,
            ..Options::default()
        },
    )
    .await;
    // httpSMS answers 200 with the stored message, under an id of its own.
    app.answer_sends(SEND_PATH, |r: &Request| {
        let sent: Value = serde_json::from_slice(&r.body).unwrap();
        ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "message": "message added to queue",
            "data": {"id": uuid(), "request_id": sent["request_id"], "status": "pending"}
        }))
    })
    .await;
    app
}

fn uuid() -> String {
    let n = rand::random::<u128>();
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A token the way httpSMS makes one: ten minutes either side of `at`, for the address `url`.
fn token(key: &str, url: &str, at: i64) -> String {
    let claims = json!({
        "iss": "api.httpsms.com", "sub": "XtABz6zdeFMoBLoltz6SREDvRSh2", "aud": [url],
        "iat": at, "nbf": at - 600, "exp": at + 600,
    });
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

async fn post_with(app: &TestApp, token: &str, body: String) -> reqwest::Response {
    let headers = [("Authorization", format!("Bearer {token}"))];
    app.post_raw("/webhooks/httpsms", &headers, "application/json", body)
        .await
}

async fn post(app: &TestApp, event: &Value) -> reqwest::Response {
    let token = token(SIGNING_KEY, &app.url("/webhooks/httpsms"), now_s(app));
    post_with(app, &token, event.to_string()).await
}

fn event(kind: &str, data: Value) -> Value {
    json!({
        "specversion": "1.0", "id": uuid(), "source": "/v1/messages/receive", "type": kind,
        "datacontenttype": "application/json", "time": "2024-01-21T12:27:29.1605708Z", "data": data
    })
}

fn received(message_id: &str, from: &str, content: &str) -> Value {
    event(
        "message.phone.received",
        json!({
            "message_id": message_id, "user_id": "XtABz6zdeFMoBLoltz6SREDvRSh2", "owner": PHONE,
            "encrypted": false, "contact": from, "timestamp": "2024-01-21T12:27:17.949Z",
            "content": content, "sim": "SIM1"
        }),
    )
}

fn status(kind: &str, id: &str, error: Option<&str>) -> Value {
    event(
        kind,
        json!({
            "id": id, "owner": PHONE, "contact": "+15557655000", "content": "…",
            "error_message": error, "timestamp": "2024-01-21T12:27:17.949Z"
        }),
    )
}

/// A neighbour texts the phone; asserts httpSMS would see success.
async fn text(app: &TestApp, from: &str, body: &str) {
    let response = post(app, &received(&uuid(), from, body)).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn sent_to(app: &TestApp, to: &str) -> Vec<Value> {
    app.api_requests(SEND_PATH)
        .await
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["to"] == to)
        .collect()
}

on_both_databases! {
    async fn a_signed_text_is_answered_through_the_send_api_and_its_message_id_kept(db) {
        let app = spawn(db).await;
        let neighbour = "+15557655001";
        text(&app, neighbour, "hi").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);
        assert_eq!(app.send_due().await, 1);

        let requests = app.api_requests(SEND_PATH).await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method.as_str(), "POST");
        assert_eq!(requests[0].headers["x-api-key"], API_KEY);
        let (id, state, gateway_id, _) = outbound(&app, neighbour).await;
        let reply: String = sqlx::query_scalar("SELECT body FROM outbound_messages WHERE id = $1")
            .bind(id).fetch_one(app.db.pool()).await.unwrap();
        assert!(reply.contains("Reply 1 for English"));
        assert_eq!(serde_json::from_slice::<Value>(&requests[0].body).unwrap(), json!({
            "from": PHONE, "to": neighbour, "content": reply, "request_id": format!("aidline-{id}"),
        }));
        assert_eq!(state, "sent");
        // The id httpSMS gave the message, which its status events carry.
        let gateway_id = gateway_id.unwrap();
        assert_eq!(gateway_id.len(), 36);
    }

    async fn the_same_text_delivered_twice_is_taken_in_once(db) {
        let app = spawn(db).await;
        let message_id = uuid();
        for _ in 0..2 {
            // Each delivery is its own CloudEvent under a fresh token; the message is the same.
            let response = post(&app, &received(&message_id, "+15557655002", "hi")).await;
            assert_eq!(response.status(), 200);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);
        app.send_due().await;
        assert_eq!(sent_to(&app, "+15557655002").await.len(), 1);
    }

    async fn status_events_move_a_reply_to_delivered_or_failed(db) {
        let app = spawn(db).await;
        let (a, b) = ("+15557655003", "+15557655004");
        text(&app, a, "hi").await;
        text(&app, b, "hi").await;
        app.send_due().await;
        let to_a = outbound(&app, a).await.2.unwrap();
        let to_b = outbound(&app, b).await.2.unwrap();

        for kind in ["message.phone.sent", "message.phone.delivered"] {
            assert_eq!(post(&app, &status(kind, &to_a, None)).await.status(), 200);
        }
        assert_eq!(outbound(&app, a).await.1, "delivered");

        let failed = status("message.send.failed", &to_b, Some("RESULT_ERROR_NO_SERVICE"));
        assert_eq!(post(&app, &failed).await.status(), 200);
        let (_, state, _, code) = outbound(&app, b).await;
        assert_eq!((state.as_str(), code.as_deref()), ("failed", Some("RESULT_ERROR_NO_SERVICE")));
    }

    async fn a_text_under_a_wrong_missing_or_stale_token_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let url = app.url("/webhooks/httpsms");
        let body = received(&uuid(), "+15557655005", "hi").to_string();
        let now = now_s(&app);
        for forged in [
            token("not-the-key", &url, now),
            token(SIGNING_KEY, "https://elsewhere.example/webhooks/httpsms", now),
            // Made a quarter of an hour ago: its ten minutes are up.
            token(SIGNING_KEY, &url, now - 900),
        ] {
            assert_eq!(post_with(&app, &forged, body.clone()).await.status(), 403);
        }
        let good = token(SIGNING_KEY, &url, now);
        let (claims_end, signature) = good.rsplit_once('.').unwrap();
        let altered = format!("{claims_end}.{}", signature.chars().rev().collect::<String>());
        assert_eq!(post_with(&app, &altered, body.clone()).await.status(), 403);
        let unsigned = app.post_raw("/webhooks/httpsms", &[], "application/json", body).await;
        assert_eq!(unsigned.status(), 403);

        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }

    async fn a_malformed_or_unreadable_event_gets_400_naming_the_field(db) {
        let app = spawn(db).await;
        let mut no_contact = received(&uuid(), "+15557655006", "hi");
        no_contact["data"].as_object_mut().unwrap().remove("contact");
        let response = post(&app, &no_contact).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`data.contact`"));

        let mut encrypted = received(&uuid(), "+15557655006", "bdmZ7n6JVf/ST+SoNlSaOGUL1DcL5705ETw8");
        encrypted["data"]["encrypted"] = json!(true);
        let response = post(&app, &encrypted).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`data.encrypted`"));

        let token = token(SIGNING_KEY, &app.url("/webhooks/httpsms"), now_s(&app));
        let response = post_with(&app, &token, "not json".into()).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`body`"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_reply_that_meets_an_outage_waits_and_is_sent_on_retry(db) {
        let app = spawn(db).await;
        Mock::given(method("POST"))
            .and(path(SEND_PATH))
            .respond_with(ResponseTemplate::new(503).set_body_json(json!({"status": "error", "message": "down"})))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&app.api)
            .await;
        let neighbour = "+15557655007";
        text(&app, neighbour, "hi").await;
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound(&app, neighbour).await.1, "queued");

        app.clock.advance(Duration::from_secs(2));
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound(&app, neighbour).await.1, "sent");
        assert_eq!(sent_to(&app, neighbour).await.len(), 2);
    }

    async fn stop_gets_our_own_confirmation_and_then_nothing_more(db) {
        let app = spawn(db).await;
        let neighbour = "+15557655008";
        for body in ["hi", "STOP", "1"] {
            text(&app, neighbour, body).await;
            app.send_due().await;
        }
        let texts: Vec<Value> = sent_to(&app, neighbour).await.into_iter().map(|t| t["content"].clone()).collect();
        assert_eq!(texts.len(), 2, "{texts:#?}");
        assert_eq!(texts[1], STOPPED);
    }
}
