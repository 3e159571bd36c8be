//! A line that does not answer calls: each call is refused unanswered, so it costs the caller
//! nothing, and the caller is texted the line's flow as if they had texted it.

use crate::helpers::*;
use crate::on_both_databases;
use crate::providers::FIRST_QUESTION;

const CALLER: &str = "+15557650201";

fn call_start(sid: &str) -> Vec<(String, String)> {
    [
        ("CallSid", sid),
        ("AccountSid", ACCOUNT),
        ("From", CALLER),
        ("To", LINE),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn not_answering() -> Options {
    Options {
        extra_line_settings: "answer_calls = false".into(),
        ..Default::default()
    }
}

on_both_databases! {
    async fn a_call_to_a_line_that_does_not_answer_is_refused_free_and_texted_back(db) {
        let app = TestApp::spawn_with(db, not_answering()).await;
        let response = app.post_signed("/webhooks/twilio/voice", &call_start("CAmissed1")).await;
        assert_eq!(response.status(), 200);
        let twiml = response.text().await.unwrap();
        assert!(
            twiml.contains("<Response><Reject reason=\"rejected\"/></Response>"),
            "refused before it is answered: {twiml}"
        );
        app.send_due().await;
        assert_eq!(app.sent_to(CALLER).await, [FIRST_QUESTION]);
        let missed = app
            .count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'missed_call'")
            .await;
        assert_eq!(missed, 1);
    }

    async fn a_second_missed_call_asks_the_question_they_are_at_again_by_text(db) {
        let app = TestApp::spawn_with(db, not_answering()).await;
        app.post_signed("/webhooks/twilio/voice", &call_start("CAmissed2")).await;
        app.text(CALLER, "2").await;
        // Twilio retrying the first call changes nothing; a new call re-asks the question.
        app.post_signed("/webhooks/twilio/voice", &call_start("CAmissed2")).await;
        app.post_signed("/webhooks/twilio/voice", &call_start("CAmissed3")).await;
        app.send_due().await;
        let texts = app.sent_to(CALLER).await;
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[1].starts_with("¿Qué necesita?"), "{texts:?}");
        assert_eq!(texts[2], texts[1]);
    }
}
