//! Vonage lines, through both of its APIs: signed webhooks in, replies out, long texts joined,
//! delivery reports, and what is refused.

mod messages;
mod sms;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use crate::helpers::*;

pub(crate) const SMS_LINE: &str = "+15550007401";
pub(crate) const MESSAGES_LINE: &str = "+15550007402";
const SIGNATURE_SECRET: &str = "vonage-signature-secret";
const SMS_API: &str = "/sms/json";
const MESSAGES_API: &str = "/v1/messages";
const APPLICATION_ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab";
const TEST_KEY: &str = include_str!("../../fixtures/vonage_test_key.pem");
/// What the intake flow says first.
const FIRST_QUESTION: &str =
    "Hi, this is your neighbourhood mutual-aid line. Reply 1 for English. Responda 2 para español.";

/// Both Vonage test lines, as `Options::extra_lines`.
pub(crate) fn lines() -> String {
    format!(
        r#"
            [[lines]]
            number = "{SMS_LINE}"
            gateway = "vonage"
            flow = "intake"
            segments_per_second = "unlimited"
            [lines.vonage]
            api_key = "vonage-key"
            api_secret = "vonage-secret"
            signature_secret = "{SIGNATURE_SECRET}"
            signature_method = "sha256"
            api_base = "{{api}}"
            [[lines]]
            number = "{MESSAGES_LINE}"
            gateway = "vonage_messages"
            flow = "intake"
            segments_per_second = "unlimited"
            [lines.vonage_messages]
            application_id = "{APPLICATION_ID}"
            private_key = """{TEST_KEY}"""
            signature_secret = "{SIGNATURE_SECRET}"
            api_base = "{{api}}"
            "#
    )
}

/// A service with both Vonage lines, whose Vonage APIs take every text; the ids they answer
/// with are made from our reference, so a test can tell which is which.
async fn spawn(db: TestDb) -> TestApp {
    let app = TestApp::spawn_with_lines(db, lines()).await;
    app.answer_sends(SMS_API, |request: &Request| {
        let form = form_of(request);
        ResponseTemplate::new(200).set_body_json(json!({
            "message-count": "1",
            "messages": [{
                "to": form["to"],
                "message-id": format!("0B0000{}", form["client-ref"]),
                "status": "0",
                "remaining-balance": "38.07243628",
                "message-price": "0.04120000",
                "network": "23420"
            }]
        }))
    })
    .await;
    app.answer_sends(MESSAGES_API, |request: &Request| {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let reference: u64 = body["client_ref"].as_str().unwrap().parse().unwrap();
        ResponseTemplate::new(202).set_body_json(json!({"message_uuid": message_uuid(reference)}))
    })
    .await;
    app
}

fn message_uuid(reference: u64) -> String {
    format!("d8f86df1-dec6-442f-870a-{reference:012}")
}

fn form_of(request: &Request) -> BTreeMap<String, String> {
    form_urlencoded::parse(&request.body).into_owned().collect()
}

async fn replies(app: &TestApp) -> Vec<(i64, String, Option<String>)> {
    sqlx::query_as("SELECT id, body, gateway_id FROM outbound_messages ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn state_of(app: &TestApp, gateway_id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM outbound_messages WHERE gateway_id = $1")
        .bind(gateway_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}
