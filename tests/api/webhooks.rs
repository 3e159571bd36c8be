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

        let params = app.inbound_params("not a number", "hi", &app.new_sid());
        let response = app.post_signed("/webhooks/twilio/sms", &params).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`From`"));

        // Digits a number cannot be (`+12345`), or a number with an extension.
        for from in ["12345", "+14155550100 ext. 12"] {
            let params = app.inbound_params(from, "hi", &app.new_sid());
            let response = app.post_signed("/webhooks/twilio/sms", &params).await;
            assert_eq!(response.status(), 400, "{from}");
            assert!(response.text().await.unwrap().contains("`From`"), "{from}");
        }

        let response = app.http.post(app.url("/webhooks/console/sms")).form(&[("from", "+15557652003")]).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("`body`"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 0);
    }

    async fn a_provider_no_line_uses_is_answered_like_a_forged_signature(db) {
        let app = TestApp::spawn(db).await;
        let params = app.inbound_params("+15557652005", "hi", &app.new_sid());
        let forged = app.http.post(app.url("/webhooks/twilio/sms")).form(&params).send().await.unwrap();
        let unused = app.http.post(app.url("/webhooks/telnyx")).form(&params).send().await.unwrap();
        let unknown = app.http.post(app.url("/webhooks/carrier-pigeon/sms")).form(&params).send().await.unwrap();
        let forged = (forged.status(), forged.text().await.unwrap());
        assert_eq!(forged.0, 403);
        for other in [unused, unknown] {
            assert_eq!((other.status(), other.text().await.unwrap()), forged);
        }
        assert!(!forged.1.contains("twilio"), "{}", forged.1);
    }

    async fn a_text_signed_with_one_lines_credentials_is_refused_for_another_line(db) {
        let other_line = "+15550009998";
        let app = TestApp::spawn_with_lines(db, format!(
            "[[lines]]\nnumber = \"{other_line}\"\ngateway = \"twilio\"\nflow = \"intake\"\n\
             [lines.twilio]\naccount_sid = \"ACother\"\nauth_token = \"other-token\"\napi_base = \"{{api}}\""
        )).await;
        let url = app.url("/webhooks/twilio/sms");
        let post = |to: &str, token: &str| {
            let mut params = app.inbound_params("+15557652006", "STOP", &app.new_sid());
            params.iter_mut().find(|(k, _)| k == "To").unwrap().1 = to.into();
            let signature = aidline::gateway::twilio::signature(token, &url, &params);
            app.http.post(&url).header("X-Twilio-Signature", signature).form(&params).send()
        };
        for (to, token) in [(LINE, "other-token"), (other_line, TOKEN), ("+15550000000", TOKEN)] {
            let response = post(to, token).await.unwrap();
            assert_eq!(response.status(), 403, "to {to}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);

        assert_eq!(post(other_line, "other-token").await.unwrap().status(), 200);
        assert_eq!(post(LINE, TOKEN).await.unwrap().status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 2);
    }

    async fn a_text_with_nul_and_control_characters_is_stored_without_them(db) {
        let app = TestApp::spawn(db).await;
        app.text("+15557652007", "milk\0 and\u{1b} eggs\nplease").await;
        let body: String = sqlx::query_scalar("SELECT body FROM inbound_messages")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(body, "milk and eggs\nplease");
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
