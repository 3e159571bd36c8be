//! Sending: retries when Twilio stumbles, and giving up when retrying cannot help.

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_databases;

async fn fail_next_send(app: &TestApp, status: u16, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.api)
        .await;
}

async fn outbound_state(app: &TestApp) -> (String, i64, Option<String>) {
    sqlx::query_as(
        "SELECT state, attempts, error_code FROM outbound_messages ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// Everything logged on this thread while the guard lives (the test's own future is polled here).
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let log = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || log.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

on_both_databases! {
    async fn a_providers_error_message_is_kept_with_numbers_masked_and_never_logged(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557653007";
        app.text(neighbour, "hi").await;
        let words = format!("The 'To' number {neighbour} cannot receive 'bring oat milk'");
        fail_next_send(&app, 400, serde_json::json!({"code": 21614, "message": words})).await;
        let log = Log::default();
        {
            let _capturing = log.capture();
            assert_eq!(app.send_due().await, 1);
        }
        let logged = log.text();
        assert!(logged.contains("text failed permanently"), "{logged}");
        assert!(logged.contains("400") && logged.contains("21614"), "{logged}");
        assert!(!logged.contains("7653007") && !logged.contains("oat milk"), "{logged}");

        let detail: String = sqlx::query_scalar("SELECT error_detail FROM outbound_messages")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(
            detail,
            "Twilio answered 400: The 'To' number +1******3007 cannot receive 'bring oat milk'"
        );
    }

    async fn a_reply_that_meets_a_twilio_outage_waits_and_is_sent_on_retry(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557653001";
        fail_next_send(&app, 500, serde_json::json!({"message": "oops"})).await;
        app.text(neighbour, "hi").await;

        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound_state(&app).await, ("queued".into(), 1, None));
        // Not due again until the back-off has passed.
        assert_eq!(app.send_due().await, 0);

        app.clock.advance(Duration::from_secs(2));
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound_state(&app).await.0, "sent");
        // Two calls reached Twilio: the failed one and the retry.
        assert_eq!(app.sent_to(neighbour).await.len(), 2);
    }

    async fn a_retry_after_from_twilio_is_honoured(db) {
        let app = TestApp::spawn(db).await;
        Mock::given(method("POST"))
            .and(path(MESSAGES_PATH))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30").set_body_json(serde_json::json!({"code": 20429, "message": "Too Many Requests"})))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&app.api)
            .await;
        app.text("+15557653002", "hi").await;
        app.send_due().await;
        app.clock.advance(Duration::from_secs(10));
        assert_eq!(app.send_due().await, 0, "Twilio asked for 30 seconds");
        app.clock.advance(Duration::from_secs(21));
        assert_eq!(app.send_due().await, 1);
        assert_eq!(outbound_state(&app).await.0, "sent");
    }

    async fn a_text_that_keeps_failing_ends_failed_after_its_last_attempt(db) {
        let app = TestApp::spawn(db).await;
        for _ in 0..3 {
            fail_next_send(&app, 503, serde_json::json!({})).await;
        }
        app.text("+15557653003", "hi").await;
        for _ in 0..3 {
            app.send_due().await;
            app.clock.advance(Duration::from_secs(120));
        }
        assert_eq!(outbound_state(&app).await, ("failed".into(), 3, None));
        assert_eq!(app.send_due().await, 0);
    }

    async fn twilio_saying_the_recipient_unsubscribed_ends_the_text_and_opts_them_out(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557653004";
        fail_next_send(&app, 400, serde_json::json!({
            "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400
        })).await;
        app.text(neighbour, "hi").await;
        app.send_due().await;
        assert_eq!(outbound_state(&app).await, ("failed".into(), 1, Some("21610".into())));
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM opt_events WHERE source = 'gateway:21610'").await, 1);

        // Nothing is tried again, and their next text gets no reply.
        app.clock.advance(Duration::from_secs(3600));
        app.text(neighbour, "1").await;
        assert_eq!(app.send_due().await, 0);
        assert_eq!(app.sent_to(neighbour).await.len(), 1);
    }

    async fn an_invalid_number_fails_at_once_without_opting_anyone_out(db) {
        let app = TestApp::spawn(db).await;
        fail_next_send(&app, 400, serde_json::json!({"code": 21211, "message": "Invalid 'To' Phone Number"})).await;
        app.text("+15557653005", "hi").await;
        app.send_due().await;
        assert_eq!(outbound_state(&app).await, ("failed".into(), 1, Some("21211".into())));
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 0);
    }

    async fn what_we_send_twilio_is_a_signed_in_form_with_a_status_callback(db) {
        let app = TestApp::spawn(db).await;
        app.text("+15557653006", "hi").await;
        app.send_due().await;
        let requests = app.api.received_requests().await.unwrap();
        let request = requests.iter().find(|r| r.url.path() == MESSAGES_PATH).unwrap();
        let auth = request.headers.get("authorization").unwrap().to_str().unwrap();
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
        assert_eq!(auth, format!("Basic {expected}"));
        let form: std::collections::BTreeMap<String, String> =
            form_urlencoded::parse(&request.body).into_owned().collect();
        assert_eq!(form["To"], "+15557653006");
        assert_eq!(form["From"], LINE);
        assert_eq!(form["StatusCallback"], app.url("/webhooks/twilio/status"));
    }
}

on_both_databases! {
    async fn a_text_left_queued_for_a_line_taken_out_of_the_settings_ends_failed_when_the_worker_starts(db) {
        let app = TestApp::spawn(db).await;
        app.text("+15557653011", "hi").await;
        let worker = |lines: &[aidline::line::Line]| {
            aidline::outbox::Outbox::new(
                app.db.clone(),
                app.clock.clone(),
                app.settings.outbox.clone(),
                lines,
                app.settings.public_url.clone(),
                std::sync::Arc::new(tokio::sync::Notify::new()),
            )
        };
        // A worker that still has the line leaves its text waiting to be sent.
        assert_eq!(worker(&app.settings.lines).end_orphans().await.unwrap(), 0);
        assert_eq!(outbound_state(&app).await.0, "queued");

        // Restarted without the line, nothing could ever send the text: it ends, where the
        // problems page shows it.
        assert_eq!(worker(&[]).end_orphans().await.unwrap(), 1);
        let detail: Option<String> = sqlx::query_scalar("SELECT error_detail FROM outbound_messages")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(outbound_state(&app).await.0, "failed");
        assert_eq!(detail.as_deref(), Some("line no longer configured"));
        assert_eq!(app.send_due().await, 0);
    }
}

on_both_databases! {
    async fn one_pass_sends_a_queue_longer_than_a_batch_and_stops_when_it_is_empty(db) {
        let app = TestApp::spawn(db).await;
        let phones: Vec<String> = (0..100).map(|i| format!("+1555766{:04}", 5000 + i)).collect();
        futures::future::join_all(phones.iter().map(|p| app.text(p, "hi"))).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages WHERE state = 'queued'").await, 100);
        assert_eq!(app.send_due().await, 100, "a full batch, then the rest");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages WHERE state = 'sent'").await, 100);
        assert_eq!(app.send_due().await, 0);
    }
}
