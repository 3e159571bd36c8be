//! What the webhooks do with requests that are forged, repeated, broken or too big.

use crate::helpers::*;
use crate::on_both_databases;

on_both_databases! {
    async fn a_webhook_with_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(db) {
        let app = TestApp::spawn(db).await;
        let params = app.inbound_params("+15557652001", "hi", &app.new_sid());
        let url = app.url("/webhooks/twilio/sms");

        let forged = aidline::gateway::twilio::signature("not-our-token", &url, &params);
        let response = app.http.post(&url).header("X-Twilio-Signature", forged).form(&params).send().await.unwrap();
        assert_eq!(response.status(), 403);

        let response = app.http.post(&url).form(&params).send().await.unwrap();
        assert_eq!(response.status(), 403);

        // Signed, then the body changed on the way.
        let signature = aidline::gateway::twilio::signature(TOKEN, &url, &params);
        let mut tampered = params.clone();
        tampered.iter_mut().find(|(k, _)| k == "Body").unwrap().1 = "STOP".into();
        let response = app.http.post(&url).header("X-Twilio-Signature", signature).form(&tampered).send().await.unwrap();
        assert_eq!(response.status(), 403);

        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }

    async fn a_retried_webhook_is_acknowledged_and_changes_nothing(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557652002";
        app.text(neighbour, "hi").await;
        let sid = app.new_sid();
        for _ in 0..3 {
            let response = app.text_with_sid(neighbour, "1", &sid).await;
            assert_eq!(response.status(), 200);
            assert!(response.text().await.unwrap().contains("<Response/>"));
        }
        app.send_due().await;
        assert_eq!(app.sent_to(neighbour).await.len(), 2, "one reply per distinct text");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 2);
        // Had the retry advanced the conversation, "1" would have been read as a need too.
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE state = 'need'").await, 1);
    }

    async fn a_malformed_payload_gets_400_naming_the_field(db) {
        let app = TestApp::spawn(db).await;
        let mut params = app.inbound_params("+15557652003", "hi", &app.new_sid());
        params.retain(|(k, _)| k != "From");
        let response = app.post_signed("/webhooks/twilio/sms", &params).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`From`"));

        let mut params = app.inbound_params("not a number", "hi", &app.new_sid());
        let response = app.post_signed("/webhooks/twilio/sms", &params).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`From`"));

        params = app.inbound_params("+15557652003", "hi", &app.new_sid());
        params.iter_mut().find(|(k, _)| k == "To").unwrap().1 = "+15550000000".into();
        let response = app.post_signed("/webhooks/twilio/sms", &params).await;
        assert_eq!(response.status(), 404);
        assert!(response.text().await.unwrap().contains("is not a twilio line"));

        let response = app.http.post(app.url("/webhooks/console/sms")).form(&[("from", "+15557652003")]).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`body`"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }

    async fn an_oversized_body_gets_413(db) {
        let app = TestApp::spawn(db).await;
        let huge = "x".repeat(app.settings.max_body_bytes + 1);
        let params = app.inbound_params("+15557652004", &huge, &app.new_sid());
        let response = app.post_signed("/webhooks/twilio/sms", &params).await;
        assert_eq!(response.status(), 413);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }
}
