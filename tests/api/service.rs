//! The service as a whole: health, metrics, restarts and shutdown.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use aidline::phone::{Phone, Region};
use aidline::store::inbound;

use crate::helpers::*;
use crate::on_both_databases;

on_both_databases! {
    async fn a_text_stored_but_not_handled_before_a_crash_is_handled_after_restart(db) {
        let app = TestApp::spawn(db).await;
        let (db, twilio) = app.stop().await;

        // What a crash between storing and handling leaves behind.
        {
            let store = aidline::store::Db::connect(&db.url).await.unwrap();
            let region: Region = "US".parse().unwrap();
            let phone = Phone::parse("+15557656001", region).unwrap();
            let mut tx = store.begin().await.unwrap();
            inbound::insert_many(&mut tx, &[inbound::NewInbound {
                gateway: "twilio", gateway_id: "SMleftover", line: LINE, from: phone.as_str(),
                body: "hi", num_media: 0, channel: Default::default(),
            }], 1).await.unwrap();
            tx.commit().await.unwrap();
            store.close().await;
        }

        let app = TestApp::start(db, Options::default(), twilio).await;
        // Recovery runs before the server takes requests, so once it answers, the text is handled.
        let health = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE handled_at IS NULL").await, 0);
        app.send_due().await;
        assert!(app.sent_to("+15557656001").await[0].contains("Reply 1 for English"));
    }

    async fn metrics_count_texts_outbox_states_and_open_requests(db) {
        let app = TestApp::spawn(db).await;
        for text in ["hi", "1", "1", "rice", "skip", "skip", "Pine and 9th", "noon", "skip", "Lee"] {
            app.text("+15557656002", text).await;
        }
        app.send_due().await;
        let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("aidline_inbound_messages{gateway=\"twilio\"} 10"), "{metrics}");
        assert!(metrics.contains("aidline_outbound_messages{state=\"sent\"} 10"), "{metrics}");
        assert!(metrics.contains("aidline_open_requests{queue=\"groceries\"} 1"), "{metrics}");
        assert!(!metrics.contains("5557656002"), "no phone numbers in metrics");
    }

    async fn metrics_are_served_to_this_machine_or_with_the_metrics_token_and_not_to_what_a_proxy_relays(db) {
        let app = TestApp::spawn_with(db, Options {
            behind_proxy: true,
            top_settings: "metrics_token = \"the metrics token of this service\"".into(),
            ..Options::default()
        }).await;
        let scrape = |relayed: bool, token: Option<&'static str>| {
            let mut request = app.http.get(app.url("/metrics"));
            if relayed {
                request = request.header("x-forwarded-for", "203.0.113.9");
            }
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            async move { request.send().await.unwrap().status() }
        };
        assert_eq!(scrape(false, None).await, 200, "this machine");
        assert_eq!(scrape(true, None).await, 403, "a proxy on this machine relays someone else");
        assert_eq!(scrape(true, Some("a guessed token of some length")).await, 403);
        assert_eq!(scrape(true, Some("the metrics token of this service")).await, 200);
    }

    async fn with_its_own_worker_the_service_sends_replies_without_being_asked(db) {
        let app = TestApp::spawn_with(db, Options { background_worker: true, ..Options::default() }).await;
        // The mock API says when the worker sends, so nothing here waits by the clock.
        let (sending, mut sent) = tokio::sync::mpsc::unbounded_channel();
        let answer = move |_: &Request| {
            let _ = sending.send(());
            ResponseTemplate::new(201).set_body_json(serde_json::json!({
                "sid": "SM00000000000000000000000000056003", "status": "queued", "num_segments": "1"
            }))
        };
        Mock::given(method("POST")).and(path(MESSAGES_PATH)).respond_with(answer)
            .with_priority(1).mount(&app.api).await;
        app.text("+15557656003", "hi").await;
        // A guard against hanging, not a measurement.
        let told = tokio::time::timeout(Duration::from_secs(20), sent.recv()).await;
        assert!(told.is_ok(), "the worker never sent the reply");
        assert!(app.sent_to("+15557656003").await[0].contains("Reply 1 for English"));
    }

    async fn shutdown_lets_a_webhook_in_flight_finish_and_then_stops_listening(db) {
        let app = TestApp::spawn(db).await;
        let params = app.inbound_params("+15557656004", "hi", &app.new_sid());
        let url = app.url("/webhooks/twilio/sms");
        let signature = aidline::gateway::twilio::signature(TOKEN, &url, &params);
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        let addr = app.base.trim_start_matches("http://").to_string();

        // Send the head only, asking to continue: the server answers "100 Continue" once the
        // handler is reading the body, so the request is provably in flight.
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /webhooks/twilio/sms HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {signature}\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("100 Continue\r\n\r\n") {
            let mut buf = [0u8; 256];
            let n = conn.read(&mut buf).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            seen.extend_from_slice(&buf[..n]);
        }

        let stopping = tokio::spawn(app.stop());
        conn.write_all(body.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&response).contains("</Response>") && !String::from_utf8_lossy(&response).contains("<Response/>") {
            let n = conn.read(&mut buf).await.unwrap();
            assert!(n > 0, "the connection closed before the answer: {}", String::from_utf8_lossy(&response));
            response.extend_from_slice(&buf[..n]);
        }
        assert!(String::from_utf8_lossy(&response).starts_with("HTTP/1.1 200"));

        let (db, _twilio) = stopping.await.unwrap();
        assert!(TcpStream::connect(&addr).await.is_err(), "the server no longer listens");
        let store = aidline::store::Db::connect(&db.url).await.unwrap();
        let handled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbound_messages WHERE handled_at IS NOT NULL")
            .fetch_one(store.pool()).await.unwrap();
        assert_eq!(handled, 1);
        store.close().await;
    }
}
