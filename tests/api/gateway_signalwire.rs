//! A SignalWire line: its webhooks signed with the space's signing key, its replies sent through
//! the space's Twilio-compatible Messages API.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aidline::gateway::twilio;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_databases;

pub(crate) const SW_LINE: &str = "+15550007001";
const PROJECT: &str = "b3877c40-da60-4998-90ad-b792e98472af";
const API_TOKEN: &str = "PTsignalwire-api-token";
const SIGNING_KEY: &str = "PSK_signalwire-signing-key";
const SW_MESSAGES: &str =
    "/api/laml/2010-04-01/Accounts/b3877c40-da60-4998-90ad-b792e98472af/Messages";
const URL_ENCODED: &str = "application/x-www-form-urlencoded";

/// This provider's test line, as `Options::extra_lines`.
pub(crate) fn lines() -> String {
    format!(
        r#"
        [[lines]]
        number = "{SW_LINE}"
        gateway = "signalwire"
        flow = "intake"
        segments_per_second = "unlimited"
        [lines.signalwire]
        space = "example"
        project_id = "{PROJECT}"
        api_token = "{API_TOKEN}"
        signing_key = "{SIGNING_KEY}"
        api_base = "{{api}}"
        "#
    )
}

async fn spawn(db: TestDb) -> TestApp {
    let extra_lines = lines();
    let app = TestApp::spawn_with_lines(db, extra_lines).await;
    accept_sends(&app).await;
    app
}

/// The space's Messages API taking every text with 201 and a fresh MessageSid, as SignalWire does.
async fn accept_sends(app: &TestApp) {
    static SID: AtomicU64 = AtomicU64::new(1);
    app.answer_sends(SW_MESSAGES, |_: &Request| {
        let sid = format!(
            "5c7a0000-0000-4000-8000-{:012x}",
            SID.fetch_add(1, Ordering::Relaxed)
        );
        ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "sid": sid, "account_sid": PROJECT, "status": "queued", "num_segments": "1"
        }))
    })
    .await;
}

async fn fail_next_send(app: &TestApp, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(SW_MESSAGES))
        .respond_with(response)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.api)
        .await;
}

fn inbound(from: &str, body: &str, sid: &str) -> Vec<(String, String)> {
    [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", PROJECT),
        ("From", from),
        ("To", SW_LINE),
        ("Body", body),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsStatus", "received"),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn encoded(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// Posts `params` to `path` as SignalWire does, signed with `key` under the `header` given.
async fn post_signed(
    app: &TestApp,
    path: &str,
    params: &[(String, String)],
    key: &str,
    header: &str,
) -> reqwest::Response {
    let signature = twilio::signature(key, &app.url(path), params);
    let headers = [(header, signature)];
    app.post_raw(path, &headers, URL_ENCODED, encoded(params))
        .await
}

async fn text(app: &TestApp, from: &str, body: &str) -> reqwest::Response {
    let params = inbound(from, body, &app.new_sid());
    post_signed(
        app,
        "/webhooks/signalwire/sms",
        &params,
        SIGNING_KEY,
        "X-SignalWire-Signature",
    )
    .await
}

async fn report(app: &TestApp, sid: &str, status: &str, error: Option<&str>) -> u16 {
    let mut params = vec![
        ("MessageSid".to_string(), sid.to_string()),
        ("MessageStatus".to_string(), status.to_string()),
        ("AccountSid".to_string(), PROJECT.to_string()),
    ];
    if let Some(code) = error {
        params.push(("ErrorCode".to_string(), code.to_string()));
    }
    post_signed(
        app,
        "/webhooks/signalwire/status",
        &params,
        SIGNING_KEY,
        "X-SignalWire-Signature",
    )
    .await
    .status()
    .as_u16()
}

/// The last text queued for sending: its state, provider id and error code.
async fn outbound(app: &TestApp) -> (String, Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT state, gateway_id, error_code FROM outbound_messages ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

on_both_databases! {
    async fn a_signed_signalwire_text_is_taken_in_and_the_reply_goes_out_through_the_space(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657101";
        let response = text(&app, neighbour, "hi").await;
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("<Response/>"));

        assert_eq!(app.send_due().await, 1);
        let requests = app.api_requests(SW_MESSAGES).await;
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method.as_str(), "POST");
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{PROJECT}:{API_TOKEN}"));
        assert_eq!(request.headers.get("authorization").unwrap().to_str().unwrap(), format!("Basic {basic}"));
        let form: BTreeMap<String, String> = form_urlencoded::parse(&request.body).into_owned().collect();
        assert_eq!(form.keys().map(String::as_str).collect::<Vec<_>>(), ["Body", "From", "StatusCallback", "To"]);
        assert_eq!(form["To"], neighbour);
        assert_eq!(form["From"], SW_LINE);
        assert!(form["Body"].contains("Reply 1 for English"), "{}", form["Body"]);
        assert_eq!(form["StatusCallback"], app.url("/webhooks/signalwire/status"));
        assert!(app.sent().await.is_empty(), "nothing went through the Twilio line");

        let (state, sid, _) = outbound(&app).await;
        assert_eq!(state, "sent");
        assert!(sid.unwrap().starts_with("5c7a0000-"));
    }

    async fn a_text_signed_under_the_legacy_twilio_header_name_is_taken_in_too(db) {
        let app = spawn(db).await;
        let params = inbound("+15557657102", "hi", &app.new_sid());
        let response = post_signed(&app, "/webhooks/signalwire/sms", &params, SIGNING_KEY, "X-Twilio-Signature").await;
        assert_eq!(response.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE gateway = 'signalwire'").await, 1);
    }

    async fn a_delivery_report_from_signalwire_moves_the_text_to_delivered(db) {
        let app = spawn(db).await;
        text(&app, "+15557657103", "hi").await;
        app.send_due().await;
        let (_, sid, _) = outbound(&app).await;
        let sid = sid.unwrap();
        assert_eq!(report(&app, &sid, "sent", None).await, 200);
        assert_eq!(report(&app, &sid, "delivered", None).await, 200);
        assert_eq!(outbound(&app).await.0, "delivered");
    }

    async fn signalwire_refusing_an_unsubscribed_recipient_opts_them_out(db) {
        let app = spawn(db).await;
        fail_next_send(&app, ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400
        }))).await;
        text(&app, "+15557657104", "hi").await;
        app.send_due().await;
        let (state, _, code) = outbound(&app).await;
        assert_eq!((state.as_str(), code.as_deref()), ("failed", Some("21610")));
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
    }

    async fn a_forged_or_altered_signalwire_webhook_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let path = "/webhooks/signalwire/sms";
        let params = inbound("+15557657105", "hi", &app.new_sid());
        let sign = |key: &str| Some(twilio::signature(key, &app.url(path), &params));
        let mut tampered = params.clone();
        tampered.iter_mut().find(|(k, _)| k == "Body").unwrap().1 = "STOP".into();
        let cases = [
            ("a bad signature", Some("c2lnbmVkIGJ5IG5vYm9keQ==".to_string()), &params),
            ("a tampered body", sign(SIGNING_KEY), &tampered),
            ("the wrong key", sign("PSK_someone-else"), &params),
            ("the API token as key", sign(API_TOKEN), &params),
            ("no signature", None, &params),
        ];
        for (case, signature, body) in cases {
            let headers: Vec<_> = signature.map(|s| ("X-SignalWire-Signature", s)).into_iter().collect();
            let response = app.post_raw(path, &headers, URL_ENCODED, encoded(body)).await;
            assert_eq!(response.status(), 403, "{case}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_malformed_signalwire_payload_gets_400_naming_the_field(db) {
        let app = spawn(db).await;
        let mut params = inbound("+15557657106", "hi", &app.new_sid());
        params.retain(|(k, _)| k != "From");
        let response = post_signed(&app, "/webhooks/signalwire/sms", &params, SIGNING_KEY, "X-SignalWire-Signature").await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`From`"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_reply_that_meets_a_signalwire_outage_is_sent_on_retry(db) {
        let app = spawn(db).await;
        fail_next_send(&app, ResponseTemplate::new(503)).await;
        text(&app, "+15557657107", "hi").await;
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound(&app).await.0, "queued");
        app.clock.advance(Duration::from_secs(2));
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound(&app).await.0, "sent");
        assert_eq!(app.api_requests(SW_MESSAGES).await.len(), 2);
    }
}
