//! Delivery reports from Twilio.

use crate::helpers::*;
use crate::on_both_databases;

async fn sent_sid(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT gateway_id FROM outbound_messages WHERE state = 'sent' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

async fn report(app: &TestApp, sid: &str, status: &str, error: Option<&str>) -> u16 {
    let mut params = vec![
        ("MessageSid".to_string(), sid.to_string()),
        ("MessageStatus".to_string(), status.to_string()),
        ("AccountSid".to_string(), ACCOUNT.to_string()),
    ];
    if let Some(code) = error {
        params.push(("ErrorCode".to_string(), code.to_string()));
    }
    app.post_signed("/webhooks/twilio/status", &params)
        .await
        .status()
        .as_u16()
}

async fn state_of(app: &TestApp, sid: &str) -> String {
    sqlx::query_scalar("SELECT state FROM outbound_messages WHERE gateway_id = $1")
        .bind(sid)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn a_delivery_report_moves_a_text_forward_and_late_or_repeated_ones_do_no_harm(db) {
        let app = TestApp::spawn(db).await;
        app.text("+15557654001", "hi").await;
        app.send_due().await;
        let sid = sent_sid(&app).await;

        assert_eq!(report(&app, &sid, "delivered", None).await, 200);
        assert_eq!(state_of(&app, &sid).await, "delivered");
        assert_eq!(report(&app, &sid, "delivered", None).await, 200);
        // "sent" arriving after "delivered" does not move it back.
        assert_eq!(report(&app, &sid, "sent", None).await, 200);
        assert_eq!(state_of(&app, &sid).await, "delivered");
        // A report for a text we never sent is acknowledged and ignored.
        assert_eq!(report(&app, "SMunknown", "delivered", None).await, 200);
    }

    async fn a_failed_report_saying_unsubscribed_opts_the_neighbour_out(db) {
        let app = TestApp::spawn(db).await;
        app.text("+15557654002", "hi").await;
        app.send_due().await;
        let sid = sent_sid(&app).await;
        assert_eq!(report(&app, &sid, "failed", Some("21610")).await, 200);
        assert_eq!(state_of(&app, &sid).await, "failed");
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
    }

    async fn an_unsigned_delivery_report_is_refused(db) {
        let app = TestApp::spawn(db).await;
        app.text("+15557654003", "hi").await;
        app.send_due().await;
        let sid = sent_sid(&app).await;
        let response = app.http.post(app.url("/webhooks/twilio/status"))
            .form(&[("MessageSid", sid.as_str()), ("MessageStatus", "failed")])
            .send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(state_of(&app, &sid).await, "sent");
    }
}
