//! SMS Gateway for Android: the phone's signed webhooks in, replies out through the app's API, in
//! cloud mode (the table's line) and in local mode (the phone's own server).

use std::time::Duration;

use aidline::gateway::android::signature;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use super::*;
use crate::on_both_databases;

pub struct Android;

const CLOUD_KEY: &str = "cloud-signing-key";
const LOCAL_LINE: &str = "+15550007302";
const LOCAL_KEY: &str = "local-signing-key";
const LOCAL_PATH: &str = "/message";
const OFFLINE_KEY: &str = "offline-signing-key";
const USER: &str = "aidline";
const PASSWORD: &str = "phone-password";

/// A phone's settings: reached through the cloud or on its own server at `base`.
fn phone(mode: &str, base: &str, key: &str) -> String {
    format!(
        "mode = \"{mode}\"\napi_base = \"{base}\"\nusername = \"{USER}\"\n\
         password = \"{PASSWORD}\"\nsigning_key = \"{key}\""
    )
}

/// `body` as the app posts it at `timestamp`, signed with `key`.
fn signed_at(key: &str, timestamp: i64, body: &str) -> Signed {
    let timestamp = timestamp.to_string();
    Signed {
        headers: vec![
            ("X-Signature", signature(key, body.as_bytes(), &timestamp)),
            ("X-Timestamp", timestamp),
        ],
        body: body.to_string(),
    }
}

/// A North American number as the network hands it to the phone: `(555) 765-8001`.
fn national(number: &str) -> String {
    let digits = number.trim_start_matches("+1");
    format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
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

impl Provider for Android {
    const GATEWAY: &'static str = "android";
    const LINE: &'static str = "+15550007301";
    const TEXTS: &'static str = "/webhooks/android";
    const REPORTS: &'static str = "/webhooks/android";
    const POSTS: &'static str = "application/json";
    const SEND_PATH: &'static str = "/3rdparty/v1/messages";
    const SENT_TEXT: &'static str = "/textMessage/text";
    const FAILURE_CODE: &'static str = "RESULT_ERROR_GENERIC_FAILURE";

    fn settings() -> String {
        phone("cloud", "{api}/3rdparty/v1", CLOUD_KEY)
    }

    fn inbound(from: &str, text: &str, id: &str) -> String {
        received(id, &national(from), text).to_string()
    }

    fn report(id: &str, _: &str, report: Report) -> String {
        let (event, reason) = match report {
            Report::Sent => ("sms:sent", None),
            Report::Delivered => ("sms:delivered", None),
            Report::Failed(reason) => ("sms:failed", Some(reason)),
        };
        json!({
            "deviceId": "ffffffffceb0b1db0000018e937c815b",
            "event": event,
            "id": new_id(),
            "payload": {"messageId": id, "reason": reason, "simNumber": 1},
            "webhookId": "LreFUt-Z3sSq0JufY9uWB"
        })
        .to_string()
    }

    fn sign(app: &TestApp, _: &str, body: &str, signer: Signer) -> Signed {
        let key = match signer {
            Signer::Line => CLOUD_KEY,
            Signer::Stranger => "not-the-key",
        };
        signed_at(key, now_s(app), body)
    }

    /// The app keeps the id we give a text.
    fn message_id(request: &Request, _: u64) -> String {
        let sent: Value = serde_json::from_slice(&request.body).unwrap();
        sent["id"].as_str().unwrap().to_string()
    }

    fn accepted(_: &Request, id: &str) -> ResponseTemplate {
        ResponseTemplate::new(202).set_body_json(json!({"id": id, "state": "Pending"}))
    }

    fn assert_authenticated(request: &Request) {
        assert_eq!(
            request.headers["authorization"],
            basic(USER, PASSWORD).as_str()
        );
    }

    fn expected_send(_: &TestApp, to: &str, text: &str, reference: i64) -> Value {
        json!({
            "textMessage": {"text": text},
            "phoneNumbers": [to],
            "id": format!("aidline-{reference}"),
            "withDeliveryReport": true,
        })
    }

    fn outages() -> Vec<Outage> {
        vec![Outage {
            status: 503,
            retry_after: None,
            body: json!({"message": "busy"}),
        }]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let mut no_sender = received("malformed-1", "+15557654106", "hi");
        no_sender["payload"]
            .as_object_mut()
            .unwrap()
            .remove("sender");
        let mut no_id = received("malformed-2", "+15557654106", "hi");
        no_id.as_object_mut().unwrap().remove("id");
        vec![
            ("body", "not json".to_string()),
            ("payload.sender", no_sender.to_string()),
            ("id", no_id.to_string()),
        ]
    }
}

/// The table's cloud line, a phone reached on its own server, and one whose server is down.
async fn spawn_phones(db: TestDb) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let phones = [
        line("android", LOCAL_LINE, &phone("local", "{api}", LOCAL_KEY)),
        line(
            "android",
            "+15550007303",
            &phone("local", &closed, OFFLINE_KEY),
        ),
    ];
    let app = spawn_with::<Android>(db, phones.concat()).await;
    app.answer_sends(LOCAL_PATH, |request: &Request| {
        Android::accepted(request, &Android::message_id(request, 0))
    })
    .await;
    app
}

/// A neighbour texts the phone whose key is `key`.
async fn text_phone(app: &TestApp, key: &str, from: &str) {
    let body = Android::inbound(from, "hi", &new_id());
    let response = post(
        app,
        Android::TEXTS,
        Android::POSTS,
        signed_at(key, now_s(app), &body),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// The newest text to `to`: its id, state, attempts, provider id and what went wrong.
async fn outbound_to(
    app: &TestApp,
    to: &str,
) -> (i64, String, i64, Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT id, state, attempts, gateway_id, error_detail FROM outbound_messages \
         WHERE to_phone = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

on_both_databases! {
    async fn a_text_signed_too_long_ago_is_refused_and_nothing_is_stored(db) {
        let app = spawn::<Android>(db).await;
        let body = Android::inbound("+15557654105", "hi", &new_id());
        let stale = signed_at(CLOUD_KEY, now_s(&app) - 301, &body);
        assert_eq!(post(&app, Android::TEXTS, Android::POSTS, stale).await.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_phone_that_cannot_be_reached_keeps_the_reply_queued_for_a_later_try(db) {
        let app = spawn_phones(db).await;
        // The first try meets a busy server; the second finds that the first got through after
        // all, which the app reports as our id being taken.
        for (priority, status) in [(1, 503), (2, 409)] {
            Mock::given(method("POST"))
                .and(path(Android::SEND_PATH))
                .respond_with(ResponseTemplate::new(status).set_body_json(json!({"message": "busy"})))
                .up_to_n_times(1)
                .with_priority(priority)
                .mount(&app.api)
                .await;
        }
        let (cloud, offline) = ("+15557654107", "+15557654108");
        text_phone(&app, CLOUD_KEY, cloud).await;
        text_phone(&app, OFFLINE_KEY, offline).await;
        assert_eq!(app.send_due().await, 2);
        assert_eq!(outbound_to(&app, cloud).await.1, "queued");
        assert_eq!(outbound_to(&app, offline).await.1, "queued");

        app.clock.advance(Duration::from_secs(2));
        assert_eq!(app.send_due().await, 2);
        let (id, state, _, gateway_id, _) = outbound_to(&app, cloud).await;
        assert_eq!((state.as_str(), gateway_id), ("sent", Some(format!("aidline-{id}"))));
        let tries: Vec<String> = sends::<Android>(&app).await.iter().map(|r| Android::message_id(r, 0)).collect();
        assert_eq!(tries, [format!("aidline-{id}"), format!("aidline-{id}")], "a retry reuses the id");

        let (_, state, attempts, _, detail) = outbound_to(&app, offline).await;
        assert_eq!((state.as_str(), attempts), ("queued", 2));
        assert!(detail.as_deref().unwrap().contains("could not reach"), "{detail:?}");
    }

    async fn a_local_mode_phone_is_sent_to_at_its_own_message_route(db) {
        let app = spawn_phones(db).await;
        let neighbour = "+15557654109";
        text_phone(&app, LOCAL_KEY, neighbour).await;
        let line: String = sqlx::query_scalar("SELECT line FROM inbound_messages")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(line, LOCAL_LINE, "the key that signed it names the line");
        app.send_due().await;
        let requests = app.api_requests(LOCAL_PATH).await;
        assert_eq!(requests.len(), 1);
        Android::assert_authenticated(&requests[0]);
        let (id, ..) = outbound_to(&app, neighbour).await;
        let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["id"], json!(format!("aidline-{id}")));
        assert_eq!(body["phoneNumbers"], json!([neighbour]));
        assert!(sends::<Android>(&app).await.is_empty());
    }
}
