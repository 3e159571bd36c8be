//! Texts that are not plain words from a provider with ids: pictures, and repeats from a line
//! whose texts carry no id.

use std::time::Duration;

use crate::helpers::*;
use crate::on_both_databases;

/// Types a text on the console line, as the demo does; returns the line's replies.
async fn console(app: &TestApp, from: &str, body: &str) -> String {
    let response = app
        .http
        .post(app.url("/webhooks/console/sms"))
        .form(&[("from", from), ("body", body)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn with_picture(mut params: Vec<(String, String)>, url: &str) -> Vec<(String, String)> {
    params.retain(|(k, _)| k != "NumMedia");
    for (k, v) in [
        ("NumMedia", "1"),
        ("MediaUrl0", url),
        ("MediaContentType0", "image/jpeg"),
    ] {
        params.push((k.into(), v.into()));
    }
    params
}

on_both_databases! {
    async fn a_picture_is_kept_for_a_dispatcher_and_the_neighbour_is_asked_for_words(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557655001";
        let picture = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
        let params = with_picture(app.inbound_params(neighbour, "", &app.new_sid()), picture);
        let response = app.post_signed("/webhooks/twilio/sms", &params).await;
        assert_eq!(response.status(), 200);
        app.send_due().await;

        assert_eq!(app.sent_to(neighbour).await, ["This line can't read pictures. Please tell us in words what you need."]);
        let kept: (String, Option<String>) = sqlx::query_as("SELECT url, content_type FROM inbound_media")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(kept, (picture.to_string(), Some("image/jpeg".to_string())));
        // A picture alone starts no conversation.
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    }

    async fn a_picture_with_words_gets_the_notice_and_the_conversation_goes_on(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557655002";
        let params = with_picture(app.inbound_params(neighbour, "I need food", &app.new_sid()), "https://example.com/p.jpg");
        app.post_signed("/webhooks/twilio/sms", &params).await;
        app.send_due().await;
        let sent = app.sent_to(neighbour).await;
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(sent[0].contains("can't read pictures"));
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    }

    async fn a_repeated_post_without_an_id_is_taken_once_until_the_line_has_answered(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557655003";
        // Opted out, so the line answers nothing and a repeat stays a repeat.
        console(&app, neighbour, "STOP").await;
        // The time moves on past the STOP's answer, as a person's next text always comes later.
        app.clock.advance(Duration::from_secs(1));
        console(&app, neighbour, "hello?").await;
        app.clock.advance(Duration::from_secs(1));
        console(&app, neighbour, "hello?").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE body = 'hello?'").await, 1);
    }

    async fn a_second_yes_after_the_lines_answer_counts(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557655004";
        let first = console(&app, neighbour, "yes").await;
        let second = console(&app, neighbour, "yes").await;
        assert!(!first.trim().is_empty() && !second.trim().is_empty());
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE body = 'yes'").await, 2);
    }
}
