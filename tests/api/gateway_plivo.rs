//! A Plivo line: its webhooks signed with Plivo's V3 scheme, its replies sent as JSON to the
//! Message API, its numbers written without the `+`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aidline::gateway::plivo;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_databases;

pub(crate) const PLIVO_LINE: &str = "+15550007002";
const AUTH_ID: &str = "MAPLIVOTESTAUTHID001";
const AUTH_TOKEN: &str = "plivo-test-auth-token";
const PLIVO_MESSAGES: &str = "/v1/Account/MAPLIVOTESTAUTHID001/Message/";
const URL_ENCODED: &str = "application/x-www-form-urlencoded";

/// This provider's test line, as `Options::extra_lines`.
pub(crate) fn lines() -> String {
    format!(
        r#"
        [[lines]]
        number = "{PLIVO_LINE}"
        gateway = "plivo"
        flow = "intake"
        segments_per_second = "unlimited"
        [lines.plivo]
        auth_id = "{AUTH_ID}"
        auth_token = "{AUTH_TOKEN}"
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

/// The Message API queueing every text with 202 and a fresh message UUID, as Plivo does.
async fn accept_sends(app: &TestApp) {
    static UUID: AtomicU64 = AtomicU64::new(1);
    app.answer_sends(PLIVO_MESSAGES, |_: &Request| {
        let uuid = format!(
            "db3ce55a-7f1d-11e1-8ea7-{:012x}",
            UUID.fetch_add(1, Ordering::Relaxed)
        );
        ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "message": "message(s) queued",
            "message_uuid": [uuid],
            "api_id": "db342550-7f1d-11e1-8ea7-1231380bc196"
        }))
    })
    .await;
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An inbound text as Plivo posts it: `from` is written, as Plivo writes it, without its `+`.
fn inbound(from: &str, text: &str, uuid: &str) -> Vec<(String, String)> {
    pairs(&[
        ("To", PLIVO_LINE.trim_start_matches('+')),
        ("From", from),
        ("TotalRate", "0"),
        ("Units", "1"),
        ("Text", text),
        ("TotalAmount", "0"),
        ("Type", "sms"),
        ("MessageUUID", uuid),
        ("MessageIntent", ""),
    ])
}

fn new_uuid() -> String {
    let n = rand::random::<u64>();
    format!("7a242edc-2f57-11e7-98c9-{:012x}", n & 0xffff_ffff_ffff)
}

fn encoded(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

fn v3_headers(signature: String, nonce: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-Plivo-Signature-V3", signature),
        ("X-Plivo-Signature-V3-Nonce", nonce.to_string()),
    ]
}

/// Posts `params` to `path` as Plivo does, signed with `token` under a fresh nonce.
async fn post_signed(
    app: &TestApp,
    path: &str,
    params: &[(String, String)],
    token: &str,
) -> reqwest::Response {
    let nonce = format!("{:020}", rand::random::<u64>());
    let signature = plivo::signature(token, &nonce, &app.url(path), Some(params));
    let headers = v3_headers(signature, &nonce);
    app.post_raw(path, &headers, URL_ENCODED, encoded(params))
        .await
}

async fn text(app: &TestApp, from: &str, body: &str) -> reqwest::Response {
    post_signed(
        app,
        "/webhooks/plivo/sms",
        &inbound(from, body, &new_uuid()),
        AUTH_TOKEN,
    )
    .await
}

async fn report(app: &TestApp, params: &[(&str, &str)]) -> u16 {
    post_signed(app, "/webhooks/plivo/status", &pairs(params), AUTH_TOKEN)
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

async fn sent_uuid(app: &TestApp) -> String {
    outbound(app).await.1.expect("a message UUID")
}

on_both_databases! {
    async fn a_signed_plivo_text_is_taken_in_and_the_reply_goes_out_as_plivo_documents(db) {
        let app = spawn(db).await;
        let response = text(&app, "15557657201", "hi").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "");

        assert_eq!(app.send_due().await, 1);
        let requests = app.api_requests(PLIVO_MESSAGES).await;
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method.as_str(), "POST");
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{AUTH_ID}:{AUTH_TOKEN}"));
        assert_eq!(request.headers.get("authorization").unwrap().to_str().unwrap(), format!("Basic {basic}"));
        assert!(request.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"));
        let mut sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let reply = sent["text"].take();
        assert!(reply.as_str().unwrap().contains("Reply 1 for English"), "{reply}");
        assert_eq!(sent, serde_json::json!({
            "src": PLIVO_LINE,
            "dst": "+15557657201",
            "text": null,
            "url": app.url("/webhooks/plivo/status"),
            "method": "POST",
        }));

        let (state, uuid, _) = outbound(&app).await;
        assert_eq!(state, "sent");
        assert!(uuid.unwrap().starts_with("db3ce55a-7f1d-11e1-8ea7-"));
        let contact: String = sqlx::query_scalar("SELECT phone FROM contacts").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(contact, "+15557657201", "kept in E.164 with its +");
    }

    async fn a_signed_plivo_text_sent_by_get_is_taken_in_too(db) {
        let app = spawn(db).await;
        let query = encoded(&inbound("15557657202", "hi", &new_uuid()));
        let url = app.url(&format!("/webhooks/plivo/sms?{query}"));
        let nonce = "12345678901234567890";
        let signature = plivo::signature(AUTH_TOKEN, nonce, &url, None);
        let mut request = app.http.get(&url);
        for (name, value) in v3_headers(signature, nonce) {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE gateway = 'plivo'").await, 1);
    }

    async fn a_delivery_report_from_plivo_moves_the_text_to_delivered_even_from_a_later_part(db) {
        let app = spawn(db).await;
        text(&app, "15557657203", "hi").await;
        app.send_due().await;
        let uuid = sent_uuid(&app).await;
        // Each part of a long text is reported on its own, naming the first part as its parent.
        let status = report(&app, &[
            ("Status", "delivered"), ("From", "15550007002"), ("To", "15557657203"),
            ("MessageUUID", "0f1e2d3c-0000-4000-8000-000000000002"), ("ParentMessageUUID", &uuid),
            ("PartInfo", "2 of 2"), ("ErrorCode", ""), ("Units", "1"),
        ]).await;
        assert_eq!(status, 200);
        assert_eq!(outbound(&app).await.0, "delivered");
    }

    async fn a_report_that_plivo_blocked_an_opted_out_recipient_opts_them_out(db) {
        let app = spawn(db).await;
        text(&app, "15557657204", "hi").await;
        app.send_due().await;
        let uuid = sent_uuid(&app).await;
        let status = report(&app, &[
            ("Status", "failed"), ("MessageUUID", &uuid), ("ParentMessageUUID", &uuid), ("ErrorCode", "200"),
        ]).await;
        assert_eq!(status, 200);
        let (state, _, code) = outbound(&app).await;
        assert_eq!((state.as_str(), code.as_deref()), ("failed", Some("200")));
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
    }

    async fn a_forged_or_altered_plivo_webhook_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let path = "/webhooks/plivo/sms";
        let url = app.url(path);
        let params = inbound("15557657205", "hi", &new_uuid());
        let mut tampered = params.clone();
        tampered.iter_mut().find(|(k, _)| k == "Text").unwrap().1 = "STOP".into();
        let nonce = "98765432109876543210";
        let sign = |token: &str| plivo::signature(token, nonce, &url, Some(&params));
        let cases = [
            ("a bad signature", v3_headers("c2lnbmVkIGJ5IG5vYm9keQ==".into(), nonce), &params),
            ("a tampered body", v3_headers(sign(AUTH_TOKEN), nonce), &tampered),
            ("the wrong key", v3_headers(sign("someone-elses-token"), nonce), &params),
            ("another nonce", v3_headers(sign(AUTH_TOKEN), "98765432109876543211"), &params),
            ("no signature", vec![], &params),
        ];
        for (case, headers, body) in cases {
            let response = app.post_raw(path, &headers, URL_ENCODED, encoded(body)).await;
            assert_eq!(response.status(), 403, "{case}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_malformed_plivo_payload_gets_400_naming_the_field(db) {
        let app = spawn(db).await;
        for field in ["From", "To", "MessageUUID"] {
            let mut params = inbound("15557657206", "hi", &new_uuid());
            params.retain(|(k, _)| k != field);
            let response = post_signed(&app, "/webhooks/plivo/sms", &params, AUTH_TOKEN).await;
            assert_eq!(response.status(), 400, "{field}");
            assert!(response.text().await.unwrap().contains(&format!("`{field}`")));
        }
        // Digits a number cannot be: answered as malformed, and nobody is texted back.
        let params = inbound("12345", "hi", &new_uuid());
        let response = post_signed(&app, "/webhooks/plivo/sms", &params, AUTH_TOKEN).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`From`"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 0);
    }

    async fn a_reply_that_meets_a_plivo_outage_waits_as_asked_and_is_sent_on_retry(db) {
        let app = spawn(db).await;
        Mock::given(method("POST"))
            .and(path(PLIVO_MESSAGES))
            .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "30"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&app.api)
            .await;
        text(&app, "15557657207", "hi").await;
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound(&app).await.0, "queued");
        app.clock.advance(Duration::from_secs(10));
        assert_eq!(app.send_due().await, 0, "Plivo asked for 30 seconds");
        app.clock.advance(Duration::from_secs(21));
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound(&app).await.0, "sent");
        assert_eq!(app.api_requests(PLIVO_MESSAGES).await.len(), 2);
    }
}
