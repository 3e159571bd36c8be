//! Bandwidth: callbacks as arrays of events behind Basic credentials we chose, replies out through
//! the Messages API.

use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::*;
use crate::on_both_databases;

pub struct Bandwidth;

const APPLICATION_ID: &str = "93de2206-9669-4e07-948d-329f4b722ee2";

/// A text to our line, as one event of a callback.
fn received(from: &str, text: &str, id: &str) -> Value {
    json!({
        "type": "message-received",
        "time": "2016-09-14T18:20:16Z",
        "description": "Incoming message received",
        "to": Bandwidth::LINE,
        "message": {
            "id": id, "time": "2016-09-14T18:20:16Z", "to": [Bandwidth::LINE], "from": from,
            "text": text, "applicationId": APPLICATION_ID, "media": [], "owner": Bandwidth::LINE,
            "direction": "in", "segmentCount": 1
        }
    })
}

fn callback_credentials(signer: Signer) -> Vec<(&'static str, String)> {
    let password = match signer {
        Signer::Line => "callback-password",
        Signer::Stranger => "guess",
    };
    vec![("Authorization", basic("aidline", password))]
}

impl Provider for Bandwidth {
    const GATEWAY: &'static str = "bandwidth";
    const LINE: &'static str = "+15550007201";
    // Texts and reports alike come to the application's one callback address.
    const TEXTS: &'static str = "/webhooks/bandwidth";
    const REPORTS: &'static str = "/webhooks/bandwidth";
    const POSTS: &'static str = "application/json; charset=utf-8";
    // Credentials, not a signature: only TLS keeps the body as Bandwidth sent it.
    const SIGNS_BODY: bool = false;
    const SEND_PATH: &'static str = "/api/v2/users/9900000/messages";
    /// "Destination is not a valid mobile number".
    const FAILURE_CODE: &'static str = "4720";

    fn settings() -> String {
        format!(
            r#"
            account_id = "9900000"
            username = "api-user"
            password = "api-password"
            application_id = "{APPLICATION_ID}"
            callback_username = "aidline"
            callback_password = "callback-password"
            api_base = "{{api}}"
            voice_api_base = "{{api}}"
            "#
        )
    }

    fn inbound(from: &str, text: &str, id: &str) -> String {
        json!([received(from, text, id)]).to_string()
    }

    fn report(id: &str, to: &str, report: Report) -> String {
        // Bandwidth has no event for a text the carrier took: `message-sending`, which it sends
        // for pictures, stands in, and is passed over.
        let (kind, code) = match report {
            Report::Sent => ("message-sending", None),
            Report::Delivered => ("message-delivered", None),
            Report::Failed(code) => ("message-failed", Some(code)),
        };
        let mut event = json!({
            "type": kind,
            "time": "2016-09-14T18:20:16Z",
            "description": "ok",
            "to": to,
            "message": {
                "id": id, "time": "2016-09-14T18:20:16Z", "to": [to], "from": Self::LINE,
                "text": "", "applicationId": APPLICATION_ID, "owner": Self::LINE,
                "direction": "out", "segmentCount": 1, "tag": "1"
            }
        });
        if let Some(code) = code {
            event["errorCode"] = code.parse::<u32>().unwrap().into();
        }
        json!([event]).to_string()
    }

    fn sign(_: &TestApp, _: &str, body: &str, signer: Signer) -> Signed {
        Signed {
            headers: callback_credentials(signer),
            body: body.to_string(),
        }
    }

    fn message_id(_: &Request, n: u64) -> String {
        format!("1476207046829{n:016x}")
    }

    fn accepted(request: &Request, id: &str) -> ResponseTemplate {
        let sent: Value = serde_json::from_slice(&request.body).unwrap();
        ResponseTemplate::new(202).set_body_json(json!({
            "id": id, "owner": sent["from"], "applicationId": sent["applicationId"],
            "time": "2021-07-21T21:00:45.179Z", "segmentCount": 1, "direction": "out",
            "to": sent["to"], "from": sent["from"], "tag": sent["tag"], "priority": "default"
        }))
    }

    fn assert_authenticated(request: &Request) {
        assert_eq!(
            request.headers["authorization"],
            basic("api-user", "api-password").as_str()
        );
    }

    fn expected_send(_: &TestApp, to: &str, text: &str, reference: i64) -> Value {
        json!({
            "to": [to],
            "from": Self::LINE,
            "text": text,
            "applicationId": APPLICATION_ID,
            "tag": reference.to_string(),
        })
    }

    fn outages() -> Vec<Outage> {
        vec![
            Outage {
                status: 503,
                retry_after: None,
                body: json!({"type": "service-unavailable", "description": "Try again later"}),
            },
            Outage {
                status: 429,
                retry_after: Some(30),
                body: json!({
                    "type": "max-message-queue-size-exceeded",
                    "description": "The SMS queue for your account is full"
                }),
            },
        ]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let good = received("+15557657207", "hi", "14762070468292kw2fuqty55yp2e1");
        let without = |pointer: &str| {
            let mut event = good.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            event
                .pointer_mut(parent)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(key);
            json!([event]).to_string()
        };
        vec![
            ("message.from", without("/message/from")),
            ("message.id", without("/message/id")),
            ("type", without("/type")),
            // One event, not the array Bandwidth always sends.
            ("body", good.to_string()),
        ]
    }

    fn forgeries(_: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        [
            ("another user", basic("admin", "callback-password")),
            ("the API credentials", basic("api-user", "api-password")),
            ("not Basic", "Bearer callback-password".to_string()),
        ]
        .into_iter()
        .map(|(forgery, authorization)| {
            let headers = vec![("Authorization", authorization)];
            (
                forgery,
                Signed {
                    headers,
                    body: body.to_string(),
                },
            )
        })
        .collect()
    }
}

impl OptsOut for Bandwidth {
    /// The recipient opted out of texts from this number.
    const OPT_OUT_CODE: &'static str = "4775";
}

on_both_databases! {
    async fn two_texts_in_one_bandwidth_callback_are_both_taken_in(db) {
        let app = spawn::<Bandwidth>(db).await;
        let (first, second) = ("+15557657202", "+15557657203");
        let events = json!([
            received(first, "hi", "14762070468292kw2fuqty55yp2c1"),
            received(second, "hola", "14762070468292kw2fuqty55yp2c2"),
        ]);
        let callback = Bandwidth::sign(&app, Bandwidth::TEXTS, &events.to_string(), Signer::Line);
        let response = post(&app, Bandwidth::TEXTS, Bandwidth::POSTS, callback).await;
        assert_eq!(response.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 2);
        assert_eq!(app.send_due().await, 2);
        let mut recipients: Vec<Value> = sends::<Bandwidth>(&app).await.iter()
            .map(|request| read_send::<Bandwidth>(request)["to"][0].clone())
            .collect();
        recipients.sort_by_key(Value::to_string);
        assert_eq!(recipients, [first, second]);
    }
}
