//! The Vonage SMS API: flat fields signed in among themselves, by GET, form or JSON; long texts in
//! parts; replies out as forms under Basic auth, answered 200 whatever became of them.

use std::time::Duration;

use aidline::gateway::vonage::sms::{SignatureMethod, signature};
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::*;
use crate::on_both_databases;

pub struct VonageSms;

pub const SIGNATURE_SECRET: &str = "vonage-signature-secret";
const API_KEY: &str = "vonage-key";
const API_SECRET: &str = "vonage-secret";

pub fn digits(number: &str) -> &str {
    number.trim_start_matches('+')
}

/// `body`'s fields signed the way Vonage does, with `secret`, as of `at` (seconds).
fn signed_at(secret: &str, at: i64, body: &str) -> String {
    let mut fields = form_pairs(body);
    fields.push(("timestamp".into(), at.to_string()));
    fields.push(("nonce".into(), format!("{:032x}", rand::random::<u128>())));
    let sig = signature(SignatureMethod::Sha256, secret, &fields);
    fields.push(("sig".into(), sig.to_uppercase()));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

impl Provider for VonageSms {
    const GATEWAY: &'static str = "vonage";
    const LINE: &'static str = "+15550007401";
    const TEXTS: &'static str = "/webhooks/vonage/sms";
    const REPORTS: &'static str = "/webhooks/vonage/status";
    const POSTS: &'static str = "application/x-www-form-urlencoded";
    const SEND_PATH: &'static str = "/sms/json";
    const SENDS_JSON: bool = false;
    /// "Absent Subscriber - Permanent".
    const FAILURE_CODE: &'static str = "3";
    // The carrier tried and gave up.
    const FAILED: &'static str = "undelivered";

    fn settings() -> String {
        format!(
            r#"
            api_key = "{API_KEY}"
            api_secret = "{API_SECRET}"
            signature_secret = "{SIGNATURE_SECRET}"
            signature_method = "sha256"
            api_base = "{{api}}"
            redact_base = "{{api}}"
            "#
        )
    }

    fn inbound(from: &str, text: &str, id: &str) -> String {
        let keyword = text.split(' ').next().unwrap_or_default().to_uppercase();
        form(&[
            ("msisdn", digits(from)),
            ("to", digits(Self::LINE)),
            ("messageId", id),
            ("text", text),
            ("type", "text"),
            ("keyword", &keyword),
            ("message-timestamp", "2025-02-03 12:14:25"),
            ("api-key", API_KEY),
        ])
    }

    fn report(id: &str, to: &str, report: Report) -> String {
        let (status, code) = match report {
            Report::Sent => ("accepted", "0"),
            Report::Delivered => ("delivered", "0"),
            Report::Failed(code) => ("failed", code),
        };
        form(&[
            ("msisdn", digits(to)),
            ("to", digits(Self::LINE)),
            ("network-code", "310260"),
            ("messageId", id),
            ("price", "0.00790000"),
            ("status", status),
            ("scts", "2502031215"),
            ("err-code", code),
            ("api-key", API_KEY),
            ("message-timestamp", "2025-02-03 12:15:02"),
        ])
    }

    fn sign(app: &TestApp, _: &str, body: &str, signer: Signer) -> Signed {
        let secret = match signer {
            Signer::Line => SIGNATURE_SECRET,
            Signer::Stranger => "not-our-secret",
        };
        Signed::unsigned(&signed_at(secret, now_s(app), body))
    }

    /// Made from our reference, so a test can tell which text it is.
    fn message_id(request: &Request, _: u64) -> String {
        let reference = read_send::<Self>(request)["client-ref"].clone();
        format!("0B0000{}", reference.as_str().unwrap())
    }

    fn accepted(request: &Request, id: &str) -> ResponseTemplate {
        let signed_in = request
            .headers
            .get("authorization")
            .is_some_and(|auth| auth == basic(API_KEY, API_SECRET).as_str());
        let message = match signed_in {
            true => json!({
                "to": read_send::<Self>(request)["to"], "message-id": id, "status": "0",
                "remaining-balance": "38.07243628", "message-price": "0.04120000", "network": "23420"
            }),
            false => json!({"status": "4", "error-text": "Bad Credentials"}),
        };
        ResponseTemplate::new(200)
            .set_body_json(json!({"message-count": "1", "messages": [message]}))
    }

    fn assert_authenticated(request: &Request) {
        assert_eq!(
            request.headers["authorization"],
            basic(API_KEY, API_SECRET).as_str()
        );
    }

    /// The key and secret are in the Basic auth alone, never in the form.
    fn expected_send(app: &TestApp, to: &str, text: &str, reference: i64) -> Value {
        json!({
            "from": digits(Self::LINE),
            "to": digits(to),
            "text": text,
            "type": "text",
            "status-report-req": "1",
            "callback": app.url(Self::REPORTS),
            "client-ref": reference.to_string(),
        })
    }

    /// Throttled: answered 200 like everything else, the refusal inside.
    fn outages() -> Vec<Outage> {
        let throttled = "Throughput Rate Exceeded - please wait [ 10 ] and retry";
        vec![Outage {
            status: 200,
            retry_after: None,
            body: json!({"message-count": "1", "messages": [{"status": "1", "error-text": throttled}]}),
        }]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let text = Self::inbound("+15557657008", "hi", "0A0000000123AB04");
        let beyond = format!("{text}&concat=true&concat-ref=1&concat-total=2&concat-part=3");
        vec![
            ("msisdn", form_without(&text, "msisdn")),
            ("concat-part", beyond),
        ]
    }

    fn forgeries(app: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        let signed = signed_at(SIGNATURE_SECRET, now_s(app), body);
        let (fields, _) = signed.rsplit_once("&sig=").unwrap();
        let zeros = format!("{fields}&sig={}", "0".repeat(64));
        vec![("a signature of zeros", Signed::unsigned(&zeros))]
    }
}

impl OptsOut for VonageSms {
    /// "The user has requested not to receive messages from a specific service."
    const OPT_OUT_CODE: &'static str = "9";
}

async fn post_form(app: &TestApp, body: String) -> u16 {
    let signed = Signed::unsigned(&body);
    let response = post(app, VonageSms::TEXTS, VonageSms::POSTS, signed).await;
    response.status().as_u16()
}

async fn get(app: &TestApp, path: &str, query: &str) -> u16 {
    let url = app.url(&format!("{path}?{query}"));
    app.http.get(url).send().await.unwrap().status().as_u16()
}

/// Part `n` of a long text, signed.
fn part(
    app: &TestApp,
    words: &str,
    reference: &str,
    (n, total): (usize, usize),
    id: &str,
) -> String {
    let text = VonageSms::inbound("+15557657004", words, id);
    let concat =
        format!("{text}&concat=true&concat-ref={reference}&concat-total={total}&concat-part={n}");
    signed_at(SIGNATURE_SECRET, now_s(app), &concat)
}

async fn stored(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT body FROM inbound_messages ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn a_vonage_webhook_by_get_is_checked_and_taken_as_by_post(db) {
        let app = spawn::<VonageSms>(db).await;
        let neighbour = "+15557657001";
        let text = VonageSms::inbound(neighbour, "hi", "0A0000000123ABCD");
        let now = now_s(&app);
        let mut changed = signed_at(SIGNATURE_SECRET, now, &text);
        changed = changed.replace("text=hi", "text=STOP");
        let mut refused = vec![
            ("unsigned", text.clone()),
            ("changed after signing", changed),
            ("wrong secret", signed_at("not-our-secret", now, &text)),
            ("stale", signed_at(SIGNATURE_SECRET, now - 301, &text)),
        ];
        refused.extend(VonageSms::forgeries(&app, &text).into_iter().map(|(why, hook)| (why, hook.body)));
        for (why, query) in refused {
            assert_eq!(get(&app, VonageSms::TEXTS, &query).await, 403, "{why}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);

        assert_eq!(get(&app, VonageSms::TEXTS, &signed_at(SIGNATURE_SECRET, now, &text)).await, 200);
        app.send_due().await;
        let id = outbound(&app).await.gateway_id.unwrap();
        let receipt = VonageSms::report(&id, neighbour, Report::Delivered);
        assert_eq!(get(&app, VonageSms::REPORTS, &signed_at(SIGNATURE_SECRET, now, &receipt)).await, 200);
        assert_eq!(outbound(&app).await.state, "delivered");
    }

    async fn a_vonage_webhook_signed_too_long_ago_is_refused(db) {
        let app = spawn::<VonageSms>(db).await;
        let text = VonageSms::inbound("+15557657007", "hi", "0A0000000123AB03");
        assert_eq!(post_form(&app, signed_at(SIGNATURE_SECRET, now_s(&app) - 301, &text)).await, 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn a_signed_vonage_text_by_json_post_is_taken_in(db) {
        let app = spawn::<VonageSms>(db).await;
        let text = VonageSms::inbound("+15557657003", "hi", "0A0000000123ABCF");
        let fields = form_pairs(&signed_at(SIGNATURE_SECRET, now_s(&app), &text));
        let by_json: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let response = app.post_raw(VonageSms::TEXTS, &[], "application/json", Value::Object(by_json).to_string()).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        assert_eq!(stored(&app).await, ["hi"]);
        assert_eq!(app.send_due().await, 1);
        let sent = sends::<VonageSms>(&app).await;
        assert_eq!(read_send::<VonageSms>(&sent[0])["to"], "15557657003");
    }

    async fn a_long_vonage_text_in_three_parts_reaches_the_flow_as_one_text(db) {
        let app = spawn::<VonageSms>(db).await;
        let pieces = ["I need groceries for my mum, ", "who cannot get out ", "this week."];
        let part = |n: usize| part(&app, pieces[n - 1], "7A", (n, 3), &format!("0A00000001{n:06}"));
        for n in [3, 1] {
            assert_eq!(post_form(&app, part(n)).await, 200);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0, "not whole yet");
        assert_eq!(post_form(&app, part(2)).await, 200);

        let ids: Vec<String> = sqlx::query_scalar("SELECT gateway_id FROM inbound_messages")
            .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(ids, ["0A00000001000001"]);
        assert_eq!(stored(&app).await, [pieces.concat()]);

        // Vonage retries a part, then the whole text, when an answer went astray.
        for n in [2, 3, 1, 2] {
            assert_eq!(post_form(&app, part(n)).await, 200);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);
        assert_eq!(app.send_due().await, 1, "one reply to one text");
    }

    async fn a_part_retried_after_its_text_was_in_does_not_leak_into_the_next_text_with_its_reference(db) {
        let app = spawn::<VonageSms>(db).await;
        let texts = [(["old1 ", "old2 ", "old3"], "0B00000001", &[1, 2, 3, 2][..]), (["new1 ", "new2 ", "new3"], "0B00000002", &[1, 2, 3])];
        for (words, ids, order) in texts {
            for &n in order {
                assert_eq!(post_form(&app, part(&app, words[n - 1], "2F", (n, 3), &format!("{ids}{n:06}"))).await, 200);
            }
        }
        assert_eq!(stored(&app).await, ["old1 old2 old3", "new1 new2 new3"]);
    }

    async fn a_long_text_whose_last_part_never_comes_is_taken_in_after_ten_minutes(db) {
        let app = spawn::<VonageSms>(db).await;
        for (n, words) in [(1, "Need food "), (2, "for three ")] {
            assert_eq!(post_form(&app, part(&app, words, "91", (n, 3), &format!("0C00000001{n:06}"))).await, 200);
        }
        app.intake.recover().await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0, "still waiting for part 3");
        app.clock.advance(Duration::from_secs(11 * 60));
        app.intake.recover().await.unwrap();
        assert_eq!(stored(&app).await, ["Need food for three "]);
        assert_eq!(app.send_due().await, 1, "the neighbour is answered");
    }

    async fn the_parts_of_a_long_vonage_text_arriving_at_once_make_one_text(db) {
        let app = spawn::<VonageSms>(db).await;
        let pieces = ["Prescription pickup ", "at the corner ", "pharmacy please"];
        let parts: Vec<String> = (1..=3)
            .map(|n: usize| part(&app, pieces[n - 1], "C3", (n, 3), &format!("0A00000002{n:06}")))
            .collect();
        // Each part twice, all at once, as a retrying Vonage might.
        let posts = parts.iter().chain(&parts).map(|part| post_form(&app, part.clone()));
        for status in futures::future::join_all(posts).await {
            assert_eq!(status, 200);
        }
        assert_eq!(stored(&app).await, [pieces.concat()]);
    }
}
