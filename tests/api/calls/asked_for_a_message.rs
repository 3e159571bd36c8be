//! A flow can send a question that gives up, or any state, to a message in the neighbour's own
//! words: recorded on a call, typed in a text, and handed to a person either way.

use super::messages::{recording_callback, twilio_holds_the_recording};
use super::{CALLER, Call};
use crate::helpers::*;
use crate::on_both_databases;

fn asks_for_a_message() -> Options {
    Options {
        flows_dir: "tests/flows".into(),
        flow: "message",
        ..Options::default()
    }
}

on_both_databases! {
    async fn a_caller_the_menu_does_not_fit_leaves_a_message_that_goes_to_a_person(db) {
        let app = TestApp::spawn_with(db, asks_for_a_message()).await;
        twilio_holds_the_recording(&app).await;
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().starts_with("For groceries, press 1."), "{heard:?}");
        call.press("9").await;
        let heard = call.press("9").await;
        assert!(
            heard.said().starts_with("After the tone, tell us in your own words"),
            "the give-up asks for a message, as spoken: {heard:?}"
        );
        assert!(heard.record("action").is_some(), "the line records: {heard:?}");
        assert!(heard.listen.is_none());

        let ready = recording_callback(&call, "completed");
        let response = app.post_signed("/webhooks/twilio/recording", &ready).await;
        assert_eq!(response.status(), 204);
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].queue, "handoff");
        assert_eq!(requests[0].fields["handoff_reason"], "left a message on a call");
        assert_eq!(app.copy_recordings().await, 1);

        // Hanging up after the message is no call cut short: nothing is texted.
        let over: Vec<(String, String)> = [
            ("CallSid", call.id.as_str()),
            ("AccountSid", ACCOUNT),
            ("From", CALLER),
            ("To", LINE),
            ("CallStatus", "completed"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let response = app.post_signed("/webhooks/twilio/ended", &over).await;
        assert_eq!(response.status(), 204);
        app.send_due().await;
        assert!(app.sent_to(CALLER).await.is_empty());
    }

    async fn a_neighbour_who_texts_off_the_menu_is_asked_for_a_message_in_their_own_words(db) {
        let app = TestApp::spawn_with(db, asks_for_a_message()).await;
        app.text(CALLER, "hello").await;
        app.text(CALLER, "pizza").await;
        app.text(CALLER, "pizza").await;
        app.send_due().await;
        let texts = app.sent_to(CALLER).await;
        assert_eq!(
            texts.last().unwrap(),
            "Tell us in your own words what you need.",
            "no give-up text: the conversation goes on: {texts:?}"
        );
        app.text(CALLER, "My fridge broke and I have no food for the kids").await;
        app.send_due().await;
        let texts = app.sent_to(CALLER).await;
        assert_eq!(texts.last().unwrap(), "Thank you. A person will read it and text you back.");
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].queue, "handoff");
        assert_eq!(requests[0].fields["tell_us"], "My fridge broke and I have no food for the kids");
        assert_eq!(requests[0].fields["handoff_reason"], "left a message");
    }
}
