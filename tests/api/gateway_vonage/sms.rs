//! The SMS API: signed fields by GET, form or JSON, long texts in parts, receipts.

use std::time::Duration;

use aidline::gateway::vonage::sms::{SignatureMethod, signature};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::*;
use crate::on_both_databases;

fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An inbound text as the SMS API sends it, before signing.
fn inbound(from: &str, text: &str, message_id: &str) -> Vec<(String, String)> {
    fields(&[
        ("msisdn", from.trim_start_matches('+')),
        ("to", SMS_LINE.trim_start_matches('+')),
        ("messageId", message_id),
        ("text", text),
        ("type", "text"),
        (
            "keyword",
            &text.split(' ').next().unwrap_or_default().to_uppercase(),
        ),
        ("message-timestamp", "2025-02-03 12:14:25"),
        ("api-key", "vonage-key"),
    ])
}

/// Signs `fields` the way Vonage does, with `secret`, as of `at` (seconds).
fn signed_with(secret: &str, at: i64, mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    fields.push(("timestamp".into(), at.to_string()));
    fields.push(("nonce".into(), format!("{:032x}", rand::random::<u128>())));
    let sig = signature(SignatureMethod::Sha256, secret, &fields);
    fields.push(("sig".into(), sig.to_uppercase()));
    fields
}

/// Part `n` of a long text, signed.
fn long_part(
    app: &TestApp,
    from: &str,
    words: &str,
    reference: &str,
    (n, total): (usize, usize),
    id: &str,
) -> Vec<(String, String)> {
    let mut part = inbound(from, words, id);
    part.extend(fields(&[
        ("concat", "true"),
        ("concat-ref", reference),
        ("concat-total", &total.to_string()),
        ("concat-part", &n.to_string()),
    ]));
    signed(app, part)
}

fn now_s(app: &TestApp) -> i64 {
    app.clock.now_ms() / 1000
}

fn signed(app: &TestApp, fields: Vec<(String, String)>) -> Vec<(String, String)> {
    signed_with(SIGNATURE_SECRET, now_s(app), fields)
}

async fn post_form(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn get_query(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    app.http
        .get(app.url(&format!("{path}?{query}")))
        .send()
        .await
        .unwrap()
}

on_both_databases! {

    async fn a_signed_vonage_text_by_get_is_answered_with_the_documented_request(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657001";
        let response = get_query(&app, "/webhooks/vonage/sms", &signed(&app, inbound(neighbour, "hi", "0A0000000123ABCD"))).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);

        assert_eq!(app.send_due().await, 1);
        let sent = app.api_requests(SMS_API).await;
        assert_eq!(sent.len(), 1);
        let (id, body, gateway_id) = replies(&app).await.remove(0);
        assert_eq!(body, FIRST_QUESTION);
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode("vonage-key:vonage-secret");
        assert_eq!(sent[0].headers["authorization"], format!("Basic {basic}").as_str());
        let expected: BTreeMap<String, String> = fields(&[
            ("from", "15550007401"),
            ("to", "15557657001"),
            ("text", FIRST_QUESTION),
            ("type", "text"),
            ("status-report-req", "1"),
            ("callback", &app.url("/webhooks/vonage/status")),
            ("client-ref", &id.to_string()),
        ]).into_iter().collect();
        assert_eq!(form_of(&sent[0]), expected);
        assert_eq!(gateway_id, Some(format!("0B0000{id}")));
    }

    async fn a_signed_vonage_text_by_form_or_json_post_is_taken_in(db) {
        let app = spawn(db).await;
        let by_form = signed(&app, inbound("+15557657002", "hi", "0A0000000123ABCE"));
        assert_eq!(post_form(&app, "/webhooks/vonage/sms", &by_form).await.status(), 200);

        let by_json: serde_json::Map<String, Value> = signed(&app, inbound("+15557657003", "hi", "0A0000000123ABCF"))
            .into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let response = app.post_raw("/webhooks/vonage/sms", &[], "application/json", Value::Object(by_json).to_string()).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 2);
        assert_eq!(app.send_due().await, 2);
        let mut to: Vec<String> = app.api_requests(SMS_API).await.iter().map(|r| form_of(r)["to"].clone()).collect();
        to.sort();
        assert_eq!(to, ["15557657002", "15557657003"]);
    }

    async fn a_long_vonage_text_in_three_parts_reaches_the_flow_as_one_text(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657004";
        let pieces = ["I need groceries for my mum, ", "who cannot get out ", "this week."];
        let part = |n: usize| long_part(&app, neighbour, pieces[n - 1], "7A", (n, 3), &format!("0A00000001{n:06}"));
        for n in [3, 1] {
            assert_eq!(post_form(&app, "/webhooks/vonage/sms", &part(n)).await.status(), 200);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0, "not whole yet");
        assert_eq!(post_form(&app, "/webhooks/vonage/sms", &part(2)).await.status(), 200);

        let stored: Vec<(String, String)> = sqlx::query_as("SELECT gateway_id, body FROM inbound_messages")
            .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(stored, [("0A00000001000001".to_string(), pieces.concat())]);

        // Vonage retries a part, then the whole text, when an answer went astray.
        for n in [2, 3, 1, 2] {
            assert_eq!(post_form(&app, "/webhooks/vonage/sms", &part(n)).await.status(), 200);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);
        assert_eq!(app.send_due().await, 1, "one reply to one text");
    }

    async fn a_part_retried_after_its_text_was_in_does_not_leak_into_the_next_text_with_its_reference(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657014";
        let send = |words: [&'static str; 3], ids: &'static str, order: &'static [usize]| {
            let app = &app;
            async move {
                for &n in order {
                    let part = long_part(app, neighbour, words[n - 1], "2F", (n, 3), &format!("{ids}{n:06}"));
                    assert_eq!(post_form(app, "/webhooks/vonage/sms", &part).await.status(), 200);
                }
            }
        };
        send(["old1 ", "old2 ", "old3"], "0B00000001", &[1, 2, 3, 2]).await;
        send(["new1 ", "new2 ", "new3"], "0B00000002", &[1, 2, 3]).await;
        let stored: Vec<String> = sqlx::query_scalar("SELECT body FROM inbound_messages ORDER BY id")
            .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(stored, ["old1 old2 old3", "new1 new2 new3"]);
    }

    async fn a_long_text_whose_last_part_never_comes_is_taken_in_after_ten_minutes(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657015";
        for n in [1, 2] {
            let part = long_part(&app, neighbour, ["Need food ", "for three "][n - 1], "91", (n, 3), &format!("0C00000001{n:06}"));
            assert_eq!(post_form(&app, "/webhooks/vonage/sms", &part).await.status(), 200);
        }
        app.intake.recover().await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0, "still waiting for part 3");
        app.clock.advance(Duration::from_secs(11 * 60));
        app.intake.recover().await.unwrap();
        let stored: Vec<String> = sqlx::query_scalar("SELECT body FROM inbound_messages")
            .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(stored, ["Need food for three "]);
        assert_eq!(app.send_due().await, 1, "the neighbour is answered");
    }

    async fn the_parts_of_a_long_vonage_text_arriving_at_once_make_one_text(db) {
        let app = spawn(db).await;
        let neighbour = "+15557657013";
        let pieces = ["Prescription pickup ", "at the corner ", "pharmacy please"];
        let parts: Vec<Vec<(String, String)>> = (1..=3)
            .map(|n: usize| long_part(&app, neighbour, pieces[n - 1], "C3", (n, 3), &format!("0A00000002{n:06}")))
            .collect();
        // Each part twice, all at once, as a retrying Vonage might.
        let posts = parts.iter().chain(&parts).map(|part| post_form(&app, "/webhooks/vonage/sms", part));
        for response in futures::future::join_all(posts).await {
            assert_eq!(response.status(), 200);
        }
        let stored: Vec<String> = sqlx::query_scalar("SELECT body FROM inbound_messages")
            .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(stored, [pieces.concat()]);
    }

    async fn delivery_receipts_move_a_vonage_text_forward_and_a_refusal_opts_out(db) {
        let app = spawn(db).await;
        for (neighbour, id) in [("+15557657005", "0A0000000123AB01"), ("+15557657006", "0A0000000123AB02")] {
            let text = signed(&app, inbound(neighbour, "hi", id));
            assert_eq!(post_form(&app, "/webhooks/vonage/sms", &text).await.status(), 200);
        }
        app.send_due().await;
        let sent: Vec<String> = replies(&app).await.into_iter().filter_map(|(_, _, id)| id).collect();
        let receipt = |message_id: &str, status: &str, code: &str| signed(&app, fields(&[
            ("msisdn", "15557657005"),
            ("to", "15550007401"),
            ("network-code", "310260"),
            ("messageId", message_id),
            ("price", "0.00790000"),
            ("status", status),
            ("scts", "2502031215"),
            ("err-code", code),
            ("api-key", "vonage-key"),
            ("message-timestamp", "2025-02-03 12:15:02"),
        ]));

        assert_eq!(post_form(&app, "/webhooks/vonage/status", &receipt(&sent[0], "accepted", "0")).await.status(), 200);
        assert_eq!(state_of(&app, &sent[0]).await, "sent");
        assert_eq!(get_query(&app, "/webhooks/vonage/status", &receipt(&sent[0], "delivered", "0")).await.status(), 200);
        assert_eq!(state_of(&app, &sent[0]).await, "delivered");

        // "The user has requested not to receive messages from a specific service."
        assert_eq!(post_form(&app, "/webhooks/vonage/status", &receipt(&sent[1], "failed", "9")).await.status(), 200);
        assert_eq!(state_of(&app, &sent[1]).await, "undelivered");
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
    }

    async fn a_forged_tampered_or_stale_vonage_webhook_is_refused_and_nothing_is_stored(db) {
        let app = spawn(db).await;
        let text = || inbound("+15557657007", "hi", "0A0000000123AB03");
        let mut forged = signed(&app, text());
        forged.last_mut().unwrap().1 = "0".repeat(64);
        let mut tampered = signed(&app, text());
        tampered.iter_mut().find(|(k, _)| k == "text").unwrap().1 = "STOP".into();
        let refused = [
            ("unsigned", text()),
            ("forged", forged),
            ("tampered", tampered),
            ("wrong secret", signed_with("not-our-secret", now_s(&app), text())),
            ("stale", signed_with(SIGNATURE_SECRET, now_s(&app) - 301, text())),
        ];
        for (why, fields) in refused {
            let response = post_form(&app, "/webhooks/vonage/sms", &fields).await;
            assert_eq!(response.status(), 403, "{why}");
            assert_eq!(get_query(&app, "/webhooks/vonage/sms", &fields).await.status(), 403, "{why}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }

    async fn a_malformed_vonage_webhook_gets_400_naming_the_field(db) {
        let app = spawn(db).await;
        let mut without_sender = inbound("+15557657008", "hi", "0A0000000123AB04");
        without_sender.retain(|(k, _)| k != "msisdn");
        let response = post_form(&app, "/webhooks/vonage/sms", &signed(&app, without_sender)).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`msisdn`"));

        let mut beyond = inbound("+15557657008", "hi", "0A0000000123AB05");
        beyond.extend(fields(&[("concat", "true"), ("concat-ref", "1"), ("concat-total", "2"), ("concat-part", "3")]));
        let response = post_form(&app, "/webhooks/vonage/sms", &signed(&app, beyond)).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`concat-part`"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_throttled_vonage_send_is_retried_later(db) {
        let app = spawn(db).await;
        Mock::given(method("POST"))
            .and(path(SMS_API))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "message-count": "1",
                "messages": [{"status": "1", "error-text": "Throughput Rate Exceeded - please wait [ 10 ] and retry"}]
            })))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&app.api)
            .await;
        let text = signed(&app, inbound("+15557657009", "hi", "0A0000000123AB06"));
        assert_eq!(post_form(&app, "/webhooks/vonage/sms", &text).await.status(), 200);

        assert_eq!(app.send_due().await, 1);
        let (state, attempts): (String, i64) = sqlx::query_as("SELECT state, attempts FROM outbound_messages")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!((state.as_str(), attempts), ("queued", 1));
        assert_eq!(app.send_due().await, 0, "not before the back-off");

        app.clock.advance(Duration::from_secs(2));
        assert_eq!(app.send_due().await, 1);
        let (id, _, gateway_id) = replies(&app).await.remove(0);
        assert_eq!(gateway_id, Some(format!("0B0000{id}")));
        assert_eq!(app.api_requests(SMS_API).await.len(), 2);
    }
}
