//! SMS Gateway for Android: the phone's signed webhooks in, replies out through the app's API, in
//! cloud mode and in local mode (the phone's own server).

use std::time::Duration;

use aidline::gateway::android::signature;
use base64::Engine;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_databases;

pub(crate) const CLOUD_LINE: &str = "+15550007301";
const LOCAL_LINE: &str = "+15550007302";
const OFFLINE_LINE: &str = "+15550007303";
const CLOUD_KEY: &str = "cloud-signing-key";
const LOCAL_KEY: &str = "local-signing-key";
const OFFLINE_KEY: &str = "offline-signing-key";
const CLOUD_PATH: &str = "/3rdparty/v1/messages";
const LOCAL_PATH: &str = "/message";
const USER: &str = "aidline";
const PASSWORD: &str = "phone-password";
/// Our confirmation of an opt-out (these gateways send none of their own).
pub const STOPPED: &str =
    "You will get no more texts from this line. Reply START to receive texts again.";

/// One phone through the cloud, one reached on its own server, and one whose server is down.
pub(crate) fn lines(offline: &str) -> String {
    let line = |number: &str, mode: &str, base: &str, key: &str| {
        format!(
            "[[lines]]\nnumber = \"{number}\"\ngateway = \"android\"\nflow = \"intake\"\n\
             segments_per_second = \"unlimited\"\n[lines.android]\nmode = \"{mode}\"\n\
             api_base = \"{base}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n\
             signing_key = \"{key}\"\n"
        )
    };
    [
        line(CLOUD_LINE, "cloud", "{api}/3rdparty/v1", CLOUD_KEY),
        line(LOCAL_LINE, "local", "{api}", LOCAL_KEY),
        line(OFFLINE_LINE, "local", offline, OFFLINE_KEY),
    ]
    .concat()
}

/// The address of a port nothing listens on.
pub(crate) async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

async fn spawn(db: TestDb) -> TestApp {
    let extra_lines = lines(&closed_port().await);
    let app = TestApp::spawn_with(
        db,
        Options {
            extra_lines,
            ..Options::default()
        },
    )
    .await;
    for route in [CLOUD_PATH, LOCAL_PATH] {
        // The app answers 202 with the message under the id we gave it.
        app.answer_sends(route, |r: &Request| {
            let sent: Value = serde_json::from_slice(&r.body).unwrap();
            ResponseTemplate::new(202).set_body_json(json!({"id": sent["id"], "state": "Pending"}))
        })
        .await;
    }
    app
}

fn received(id: &str, from: &str, text: &str) -> Value {
    json!({
        "deviceId": "ffffffffceb0b1db0000018e937c815b",
        "event": "sms:received",
        "id": id,
        "payload": {
            "messageId": "5f1a9c2e", "message": text, "sender": from, "recipient": null,
            "simNumber": 1, "receivedAt": "2024-06-22T15:46:11.000+07:00"
        },
        "webhookId": "LreFUt-Z3sSq0JufY9uWB"
    })
}

fn status(event: &str, message_id: &str, reason: Option<&str>) -> Value {
    json!({
        "deviceId": "ffffffffceb0b1db0000018e937c815b",
        "event": event,
        "id": format!("ev-{event}-{message_id}"),
        "payload": {"messageId": message_id, "reason": reason, "simNumber": 1},
        "webhookId": "LreFUt-Z3sSq0JufY9uWB"
    })
}

/// The service clock in seconds, which webhooks are signed with.
pub fn now_s(app: &TestApp) -> i64 {
    app.clock.now_ms() / 1000
}

/// Posts `body` the way the app does at `timestamp`, signed with `key`.
async fn post_signed_at(app: &TestApp, key: &str, body: &str, timestamp: i64) -> reqwest::Response {
    let timestamp = timestamp.to_string();
    let headers = [
        ("X-Signature", signature(key, body.as_bytes(), &timestamp)),
        ("X-Timestamp", timestamp),
    ];
    app.post_raw(
        "/webhooks/android",
        &headers,
        "application/json",
        body.to_string(),
    )
    .await
}

async fn post(app: &TestApp, key: &str, envelope: &Value) -> reqwest::Response {
    post_signed_at(app, key, &envelope.to_string(), now_s(app)).await
}

/// A neighbour texts the phone; asserts the app would see success.
async fn text(app: &TestApp, key: &str, from: &str, body: &str) {
    let id = format!("{:021x}", rand::random::<u128>());
    let response = post(app, key, &received(&id, from, body)).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// What the app's API at `route` was asked to send to `to`, as (text, id).
async fn sent_to(app: &TestApp, route: &str, to: &str) -> Vec<(String, String)> {
    app.api_requests(route)
        .await
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["phoneNumbers"] == json!([to]))
        .map(|b| {
            (
                b["textMessage"]["text"].as_str().unwrap().into(),
                b["id"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// The latest text to `to`: its id, state, provider id and error code.
pub async fn outbound(app: &TestApp, to: &str) -> (i64, String, Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT id, state, gateway_id, error_code FROM outbound_messages WHERE to_phone = $1 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

on_both_databases! {
    async fn a_signed_text_from_the_phone_is_answered_through_the_cloud_api_under_our_id(db) {
        let app = spawn(db).await;
        // The network hands the app national numbers; we store E.164.
        text(&app, CLOUD_KEY, "(555) 765-4101", "hi").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);
        assert_eq!(app.send_due().await, 1);

        let requests = app.api_requests(CLOUD_PATH).await;
        assert_eq!(requests.len(), 1);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        assert_eq!(requests[0].method.as_str(), "POST");
        assert_eq!(requests[0].headers["authorization"], format!("Basic {basic}").as_str());
        let (id, state, gateway_id, _) = outbound(&app, "+15557654101").await;
        let reply: String = sqlx::query_scalar("SELECT body FROM outbound_messages WHERE id = $1")
            .bind(id).fetch_one(app.db.pool()).await.unwrap();
        assert!(reply.contains("Reply 1 for English"));
        assert_eq!(serde_json::from_slice::<Value>(&requests[0].body).unwrap(), json!({
            "textMessage": {"text": reply},
            "phoneNumbers": ["+15557654101"],
            "id": format!("aidline-{id}"),
            "withDeliveryReport": true,
        }));
        assert_eq!(state, "sent");
        assert_eq!(gateway_id, Some(format!("aidline-{id}")));
        assert!(app.api_requests(LOCAL_PATH).await.is_empty());
    }

    async fn the_app_resending_a_webhook_under_a_new_signature_is_taken_in_once(db) {
        let app = spawn(db).await;
        let body = received("V1StGXR8_Z5jdHi6B-myT", "+15557654102", "hi").to_string();
        for late_by in [0, 10, 20] {
            let response = post_signed_at(&app, CLOUD_KEY, &body, now_s(&app) + late_by).await;
            assert_eq!(response.status(), 200);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);
        app.send_due().await;
        assert_eq!(sent_to(&app, CLOUD_PATH, "+15557654102").await.len(), 1);
    }

    async fn status_events_move_a_reply_to_delivered_or_failed(db) {
        let app = spawn(db).await;
        let (a, b) = ("+15557654103", "+15557654104");
        text(&app, CLOUD_KEY, a, "hi").await;
        text(&app, CLOUD_KEY, b, "hi").await;
        app.send_due().await;
        let (_, _, to_a, _) = outbound(&app, a).await;
        let (_, _, to_b, _) = outbound(&app, b).await;
        let (to_a, to_b) = (to_a.unwrap(), to_b.unwrap());

        // One `sms:delivered` per part of a long text: the second changes nothing.
        for event in ["sms:sent", "sms:delivered", "sms:delivered"] {
            assert_eq!(post(&app, CLOUD_KEY, &status(event, &to_a, None)).await.status(), 200);
        }
        assert_eq!(outbound(&app, a).await.1, "delivered");

        let failed = status("sms:failed", &to_b, Some("RESULT_ERROR_GENERIC_FAILURE"));
        assert_eq!(post(&app, CLOUD_KEY, &failed).await.status(), 200);
        let (_, state, _, code) = outbound(&app, b).await;
        assert_eq!((state.as_str(), code.as_deref()), ("failed", Some("RESULT_ERROR_GENERIC_FAILURE")));
    }

    async fn a_text_signed_with_the_wrong_key_tampered_or_stale_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let body = received("refused-1", "+15557654105", "hi").to_string();
        let now = now_s(&app);
        assert_eq!(post_signed_at(&app, "not-the-key", &body, now).await.status(), 403);
        assert_eq!(post_signed_at(&app, CLOUD_KEY, &body, now - 301).await.status(), 403);

        // Signed, then changed on the way.
        let timestamp = now.to_string();
        let headers = [
            ("X-Signature", signature(CLOUD_KEY, body.as_bytes(), &timestamp)),
            ("X-Timestamp", timestamp),
        ];
        let tampered = body.replace("\"hi\"", "\"STOP\"");
        let response = app.post_raw("/webhooks/android", &headers, "application/json", tampered).await;
        assert_eq!(response.status(), 403);
        let response = app.post_raw("/webhooks/android", &[], "application/json", body).await;
        assert_eq!(response.status(), 403);

        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }

    async fn a_malformed_webhook_gets_400_naming_the_field(db) {
        let app = spawn(db).await;
        let response = post_signed_at(&app, CLOUD_KEY, "not json", now_s(&app)).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`body`"));

        let mut no_sender = received("malformed-1", "+15557654106", "hi");
        no_sender["payload"].as_object_mut().unwrap().remove("sender");
        let response = post(&app, CLOUD_KEY, &no_sender).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`payload.sender`"));

        let mut no_id = received("malformed-2", "+15557654106", "hi");
        no_id.as_object_mut().unwrap().remove("id");
        let response = post(&app, CLOUD_KEY, &no_id).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`id`"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_phone_that_cannot_be_reached_keeps_the_reply_queued_for_a_later_try(db) {
        let app = spawn(db).await;
        // The first try meets a busy server; the second finds that the first got through after
        // all, which the app reports as our id being taken.
        for (priority, status) in [(1, 503), (2, 409)] {
            Mock::given(method("POST"))
                .and(path(CLOUD_PATH))
                .respond_with(ResponseTemplate::new(status).set_body_json(json!({"message": "busy"})))
                .up_to_n_times(1)
                .with_priority(priority)
                .mount(&app.api)
                .await;
        }
        let (cloud, offline) = ("+15557654107", "+15557654108");
        text(&app, CLOUD_KEY, cloud, "hi").await;
        text(&app, OFFLINE_KEY, offline, "hi").await;
        assert_eq!(app.send_due().await, 2);
        assert_eq!(outbound(&app, cloud).await.1, "queued");
        assert_eq!(outbound(&app, offline).await.1, "queued");

        app.clock.advance(Duration::from_secs(2));
        assert_eq!(app.send_due().await, 2);
        let (id, state, gateway_id, _) = outbound(&app, cloud).await;
        assert_eq!((state.as_str(), gateway_id), ("sent", Some(format!("aidline-{id}"))));
        let tries = sent_to(&app, CLOUD_PATH, cloud).await;
        assert_eq!(tries.len(), 2);
        assert_eq!(tries[0].1, tries[1].1, "a retry reuses the id");

        let (attempts, detail): (i64, String) = sqlx::query_as(
            "SELECT attempts, error_detail FROM outbound_messages WHERE to_phone = $1",
        )
        .bind(offline)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!((outbound(&app, offline).await.1.as_str(), attempts), ("queued", 2));
        assert!(detail.contains("could not reach"), "{detail}");
    }

    async fn a_local_mode_phone_is_sent_to_at_its_own_message_route(db) {
        let app = spawn(db).await;
        text(&app, LOCAL_KEY, "+15557654109", "hi").await;
        let line: String = sqlx::query_scalar("SELECT line FROM inbound_messages")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(line, LOCAL_LINE, "the key that signed it names the line");
        app.send_due().await;
        let requests = app.api_requests(LOCAL_PATH).await;
        assert_eq!(requests.len(), 1);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        assert_eq!(requests[0].headers["authorization"], format!("Basic {basic}").as_str());
        let (id, ..) = outbound(&app, "+15557654109").await;
        let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["id"], json!(format!("aidline-{id}")));
        assert_eq!(body["phoneNumbers"], json!(["+15557654109"]));
        assert!(app.api_requests(CLOUD_PATH).await.is_empty());
    }

    async fn stop_gets_our_own_confirmation_and_then_nothing_more(db) {
        let app = spawn(db).await;
        let neighbour = "+15557654110";
        text(&app, CLOUD_KEY, neighbour, "hi").await;
        app.send_due().await;
        text(&app, CLOUD_KEY, neighbour, "STOP").await;
        app.send_due().await;
        text(&app, CLOUD_KEY, neighbour, "1").await;
        app.send_due().await;
        let texts: Vec<String> = sent_to(&app, CLOUD_PATH, neighbour).await.into_iter().map(|t| t.0).collect();
        assert_eq!(texts.len(), 2, "{texts:#?}");
        assert_eq!(texts[1], STOPPED);
    }
}
