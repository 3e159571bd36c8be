//! httpSMS: CloudEvents under a bearer token signed for our address, replies out through its send
//! API under an API key.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::*;
use crate::on_both_databases;

pub struct HttpSms;

const API_KEY: &str = "httpsms-api-key";
const SIGNING_KEY: &str = "httpsms-signing-key";

/// A token the way httpSMS makes one: ten minutes either side of `at`, for the address `url`.
fn token(key: &str, url: &str, at: i64) -> String {
    let claims = json!({
        "iss": "api.httpsms.com", "sub": "XtABz6zdeFMoBLoltz6SREDvRSh2", "aud": [url],
        "iat": at, "nbf": at - 600, "exp": at + 600,
    });
    let key = EncodingKey::from_secret(key.as_bytes());
    encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
}

fn bearer(token: String, body: &str) -> Signed {
    Signed {
        headers: vec![("Authorization", format!("Bearer {token}"))],
        body: body.to_string(),
    }
}

/// Every delivery is an event of its own, under a fresh id, whatever message it is about.
fn event(kind: &str, data: Value) -> String {
    json!({
        "specversion": "1.0", "id": new_id(), "source": "/v1/messages/receive", "type": kind,
        "datacontenttype": "application/json", "time": "2024-01-21T12:27:29.1605708Z", "data": data
    })
    .to_string()
}

fn received(message_id: &str, from: &str, content: &str) -> Value {
    json!({
        "message_id": message_id, "user_id": "XtABz6zdeFMoBLoltz6SREDvRSh2", "owner": HttpSms::LINE,
        "encrypted": false, "contact": from, "timestamp": "2024-01-21T12:27:17.949Z",
        "content": content, "sim": "SIM1"
    })
}

impl Provider for HttpSms {
    const GATEWAY: &'static str = "httpsms";
    const LINE: &'static str = "+15550007311";
    const TEXTS: &'static str = "/webhooks/httpsms";
    const REPORTS: &'static str = "/webhooks/httpsms";
    const POSTS: &'static str = "application/json";
    // The token names the address it was made for, not the body it came with.
    const SIGNS_BODY: bool = false;
    const SEND_PATH: &'static str = "/v1/messages/send";
    const SENT_TEXT: &'static str = "/content";
    const FAILURE_CODE: &'static str = "RESULT_ERROR_NO_SERVICE";

    fn settings() -> String {
        format!("api_key = \"{API_KEY}\"\nsigning_key = \"{SIGNING_KEY}\"\napi_base = \"{{api}}\"")
    }

    fn inbound(from: &str, text: &str, id: &str) -> String {
        event("message.phone.received", received(id, from, text))
    }

    fn report(id: &str, to: &str, report: Report) -> String {
        let (kind, error) = match report {
            Report::Sent => ("message.phone.sent", None),
            Report::Delivered => ("message.phone.delivered", None),
            Report::Failed(code) => ("message.send.failed", Some(code)),
        };
        let data = json!({
            "id": id, "owner": Self::LINE, "contact": to, "content": "…",
            "error_message": error, "timestamp": "2024-01-21T12:27:17.949Z"
        });
        event(kind, data)
    }

    fn sign(app: &TestApp, path: &str, body: &str, signer: Signer) -> Signed {
        let key = match signer {
            Signer::Line => SIGNING_KEY,
            Signer::Stranger => "not-the-key",
        };
        bearer(token(key, &app.url(path), now_s(app)), body)
    }

    fn message_id(_: &Request, n: u64) -> String {
        format!("4a8b7c6d-0000-4000-8000-{n:012x}")
    }

    fn accepted(request: &Request, id: &str) -> ResponseTemplate {
        let sent: Value = serde_json::from_slice(&request.body).unwrap();
        ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "message": "message added to queue",
            "data": {"id": id, "request_id": sent["request_id"], "status": "pending"}
        }))
    }

    fn assert_authenticated(request: &Request) {
        assert_eq!(request.headers["x-api-key"], API_KEY);
    }

    fn expected_send(_: &TestApp, to: &str, text: &str, reference: i64) -> Value {
        json!({
            "from": Self::LINE,
            "to": to,
            "content": text,
            "request_id": format!("aidline-{reference}"),
        })
    }

    fn outages() -> Vec<Outage> {
        vec![Outage {
            status: 503,
            retry_after: None,
            body: json!({"status": "error", "message": "down"}),
        }]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let mut no_contact = received(&new_id(), "+15557655006", "hi");
        no_contact.as_object_mut().unwrap().remove("contact");
        // The phone encrypts with a key only its owner holds.
        let mut encrypted = received(
            &new_id(),
            "+15557655006",
            "bdmZ7n6JVf/ST+SoNlSaOGUL1DcL5705ETw8",
        );
        encrypted["encrypted"] = json!(true);
        vec![
            ("data.contact", event("message.phone.received", no_contact)),
            ("data.encrypted", event("message.phone.received", encrypted)),
            ("body", "not json".to_string()),
        ]
    }

    fn forgeries(app: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        let url = app.url(Self::TEXTS);
        let elsewhere = "https://elsewhere.example/webhooks/httpsms";
        let good = token(SIGNING_KEY, &url, now_s(app));
        let (claims, signature) = good.rsplit_once('.').unwrap();
        let altered = format!("{claims}.{}", signature.chars().rev().collect::<String>());
        vec![
            (
                "for another address",
                bearer(token(SIGNING_KEY, elsewhere, now_s(app)), body),
            ),
            ("signature altered", bearer(altered, body)),
        ]
    }
}

on_both_databases! {
    async fn an_httpsms_token_whose_ten_minutes_are_up_is_refused_and_nothing_is_stored(db) {
        let app = spawn::<HttpSms>(db).await;
        let body = HttpSms::inbound("+15557655005", "hi", &new_id());
        // Made a quarter of an hour ago.
        let stale = token(SIGNING_KEY, &app.url(HttpSms::TEXTS), now_s(&app) - 900);
        let response = post(&app, HttpSms::TEXTS, HttpSms::POSTS, bearer(stale, &body)).await;
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }
}

on_both_databases! {
    async fn a_missed_call_to_the_phone_gets_the_lines_first_question_by_text(db) {
        let app = spawn::<HttpSms>(db).await;
        let caller = "+15557655011";
        let missed = json!({
            "message_id": new_id(), "user_id": "XtABz6zdeFMoBLoltz6SREDvRSh2",
            "owner": HttpSms::LINE, "contact": caller,
            "timestamp": "2024-01-21T12:27:17.949Z", "sim": "SIM1"
        });
        let body = event("message.call.missed", missed);
        let signed = || HttpSms::sign(&app, HttpSms::TEXTS, &body, Signer::Line);
        let response = post(&app, HttpSms::TEXTS, HttpSms::POSTS, signed()).await;
        assert_eq!(response.status(), 200);
        // The phone sends the event again: one text, not two.
        post(&app, HttpSms::TEXTS, HttpSms::POSTS, signed()).await;
        app.send_due().await;
        let sent: Vec<Value> = app
            .api_requests(HttpSms::SEND_PATH)
            .await
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0]["to"], caller);
        assert_eq!(sent[0]["content"], FIRST_QUESTION);
    }
}
