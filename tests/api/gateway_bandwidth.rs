//! A Bandwidth line: callbacks in, as arrays of events behind Basic credentials, and replies out
//! through the Messages API.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_databases;

pub(crate) const BANDWIDTH_LINE: &str = "+15550007201";
const ACCOUNT_ID: &str = "9900000";
const APPLICATION_ID: &str = "93de2206-9669-4e07-948d-329f4b722ee2";
const SEND_PATH: &str = "/api/v2/users/9900000/messages";
const FIRST_QUESTION: &str =
    "Hi, this is your neighbourhood mutual-aid line. Reply 1 for English. Responda 2 para español.";

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", BASE64.encode(format!("{user}:{password}")))
}

/// This provider's test line, as `Options::extra_lines`.
pub(crate) fn lines() -> String {
    format!(
        r#"
        [[lines]]
        number = "{BANDWIDTH_LINE}"
        gateway = "bandwidth"
        flow = "intake"
        segments_per_second = "unlimited"
        [lines.bandwidth]
        account_id = "{ACCOUNT_ID}"
        username = "api-user"
        password = "api-password"
        application_id = "{APPLICATION_ID}"
        callback_username = "aidline"
        callback_password = "callback-password"
        api_base = "{{api}}"
        "#
    )
}

async fn spawn(db: TestDb) -> TestApp {
    let extra_lines = lines();
    let app = TestApp::spawn_with_lines(db, extra_lines).await;
    // Bandwidth accepts every text, answering 202 with a fresh message id.
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    app.answer_sends(SEND_PATH, |request: &Request| {
        let sent: Value = serde_json::from_slice(&request.body).unwrap();
        let id = format!(
            "1476207046829{:016x}",
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        ResponseTemplate::new(202).set_body_json(json!({
            "id": id, "owner": sent["from"], "applicationId": sent["applicationId"],
            "time": "2021-07-21T21:00:45.179Z", "segmentCount": 1, "direction": "out",
            "to": sent["to"], "from": sent["from"], "tag": sent["tag"], "priority": "default"
        }))
    })
    .await;
    app
}

fn received(from: &str, text: &str, id: &str) -> Value {
    json!({
        "type": "message-received",
        "time": "2016-09-14T18:20:16Z",
        "description": "Incoming message received",
        "to": BANDWIDTH_LINE,
        "message": {
            "id": id, "time": "2016-09-14T18:20:16Z", "to": [BANDWIDTH_LINE], "from": from,
            "text": text, "applicationId": APPLICATION_ID, "media": [], "owner": BANDWIDTH_LINE,
            "direction": "in", "segmentCount": 1
        }
    })
}

fn status(kind: &str, id: &str, to: &str, error_code: Option<u32>) -> Value {
    let mut event = json!({
        "type": kind,
        "time": "2016-09-14T18:20:16Z",
        "description": "ok",
        "to": to,
        "message": {
            "id": id, "time": "2016-09-14T18:20:16Z", "to": [to], "from": BANDWIDTH_LINE, "text": "",
            "applicationId": APPLICATION_ID, "owner": BANDWIDTH_LINE, "direction": "out",
            "segmentCount": 1, "tag": "1"
        }
    });
    if let Some(code) = error_code {
        event["errorCode"] = code.into();
    }
    event
}

/// Posts events to the application's callback address with the credentials given to it.
async fn callback(app: &TestApp, events: &[Value]) -> reqwest::Response {
    let authorization = basic("aidline", "callback-password");
    post_callback(
        app,
        &[("Authorization", authorization)],
        Value::from(events).to_string(),
    )
    .await
}

async fn post_callback(
    app: &TestApp,
    headers: &[(&str, String)],
    body: String,
) -> reqwest::Response {
    app.post_raw(
        "/webhooks/bandwidth",
        headers,
        "application/json; charset=utf-8",
        body,
    )
    .await
}

async fn text_in(app: &TestApp, from: &str, text: &str) {
    let response = callback(
        app,
        &[received(
            from,
            text,
            &format!("1476207046829-{from}-{text}"),
        )],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn outbound(app: &TestApp) -> (i64, String, i64, Option<String>, Option<String>) {
    sqlx::query_as("SELECT id, state, attempts, gateway_id, error_code FROM outbound_messages ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn a_bandwidth_text_is_taken_in_and_answered_through_the_messages_api(db) {
        let app = spawn(db).await;
        Mock::given(method("POST"))
            .and(path(SEND_PATH))
            .respond_with(ResponseTemplate::new(202).set_body_json(json!({
                "id": "14762070468292kw2fuqty55yp2b2", "owner": BANDWIDTH_LINE, "direction": "out"
            })))
            .with_priority(1)
            .mount(&app.api)
            .await;
        let neighbour = "+15557657201";
        text_in(&app, neighbour, "hi").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE gateway = 'bandwidth'").await, 1);

        assert_eq!(app.send_due().await, 1);
        let requests = app.api_requests(SEND_PATH).await;
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(request.headers["authorization"].to_str().unwrap(), basic("api-user", "api-password"));
        let (id, state, _, gateway_id, _) = outbound(&app).await;
        let sent: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(sent, json!({
            "to": [neighbour],
            "from": BANDWIDTH_LINE,
            "text": FIRST_QUESTION,
            "applicationId": APPLICATION_ID,
            "tag": id.to_string(),
        }));
        assert_eq!(state, "sent");
        assert_eq!(gateway_id.as_deref(), Some("14762070468292kw2fuqty55yp2b2"));
    }

    async fn two_texts_in_one_bandwidth_callback_are_both_taken_in(db) {
        let app = spawn(db).await;
        let (first, second) = ("+15557657202", "+15557657203");
        let response = callback(&app, &[
            received(first, "hi", "14762070468292kw2fuqty55yp2c1"),
            received(second, "hola", "14762070468292kw2fuqty55yp2c2"),
        ]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 2);
        assert_eq!(app.send_due().await, 2);
        let mut recipients: Vec<String> = app.api_requests(SEND_PATH).await.iter()
            .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["to"][0].as_str().unwrap().to_string())
            .collect();
        recipients.sort();
        assert_eq!(recipients, [first, second]);
    }

    async fn a_bandwidth_delivery_event_moves_the_reply_to_delivered(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657204";
        text_in(&app, neighbour, "hi").await;
        app.send_due().await;
        let gateway_id = outbound(&app).await.3.unwrap();

        let response = callback(&app, &[status("message-delivered", &gateway_id, neighbour, None)]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(outbound(&app).await.1, "delivered");
    }

    async fn a_bandwidth_failure_for_a_user_opt_out_opts_the_neighbour_out(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657205";
        text_in(&app, neighbour, "hi").await;
        app.send_due().await;
        let gateway_id = outbound(&app).await.3.unwrap();

        let response = callback(&app, &[status("message-failed", &gateway_id, neighbour, Some(4775))]).await;
        assert_eq!(response.status(), 200);
        let (_, state, _, _, error_code) = outbound(&app).await;
        assert_eq!((state.as_str(), error_code.as_deref()), ("failed", Some("4775")));
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM opt_events WHERE source = 'gateway:4775'").await, 1);
    }

    async fn a_bandwidth_callback_without_the_right_credentials_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let body = Value::from(vec![received("+15557657206", "hi", "14762070468292kw2fuqty55yp2d1")]).to_string();
        let cases: [(&str, &[(&str, String)]); 5] = [
            ("no credentials", &[]),
            ("wrong password", &[("Authorization", basic("aidline", "guess"))]),
            ("wrong user", &[("Authorization", basic("admin", "callback-password"))]),
            ("the API credentials", &[("Authorization", basic("api-user", "api-password"))]),
            ("not Basic", &[("Authorization", "Bearer callback-password".to_string())]),
        ];
        for (case, headers) in cases {
            let response = post_callback(&app, headers, body.clone()).await;
            assert_eq!(response.status(), 403, "{case}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_malformed_bandwidth_callback_gets_400_naming_the_field(db) {
        let app = spawn(db).await;
        let good = received("+15557657207", "hi", "14762070468292kw2fuqty55yp2e1");
        let without = |pointer: &str| {
            let mut event = good.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            event.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
            event
        };
        let cases = [
            (json!([without("/message/from")]), "`message.from`"),
            (json!([without("/message/id")]), "`message.id`"),
            (json!([without("/type")]), "`type`"),
            (good.clone(), "`body`"),
        ];
        for (body, field) in cases {
            let authorization = basic("aidline", "callback-password");
            let response = post_callback(&app, &[("Authorization", authorization)], body.to_string()).await;
            assert_eq!(response.status(), 400, "{field}");
            assert!(response.text().await.unwrap().contains(field), "{field}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_reply_that_meets_a_bandwidth_outage_or_full_queue_is_sent_later(db) {
        let app = spawn(db).await;
        let cases = [
            ("+15557657208", 503, None, json!({"type": "service-unavailable", "description": "Try again later"})),
            ("+15557657209", 429, Some(30), json!({"type": "max-message-queue-size-exceeded", "description": "The SMS queue for your account is full"})),
        ];
        for (neighbour, status, retry_after, body) in cases {
            app.refuse_next_send(SEND_PATH, status, retry_after, body).await;
            text_in(&app, neighbour, "hi").await;
            app.assert_sent_on_retry(retry_after).await;
        }
        assert_eq!(app.api_requests(SEND_PATH).await.len(), 4);
    }
}
