//! A caller walks the shipped intake by keypad and by speech, in English and in Spanish, into the
//! same requests texts make.

use super::{CALLER, Call, Heard};
use crate::helpers::*;
use crate::on_both_databases;

on_both_databases! {
    async fn a_caller_presses_and_speaks_their_way_through_the_intake_into_a_request(db) {
        let app = TestApp::spawn(db).await;
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().contains("For English, press 1"), "{heard:?}");
        assert_eq!(heard.gather("numDigits"), Some("1"));
        assert!(heard.gather("input").unwrap().contains("dtmf"));

        let heard = call.press("1").await;
        assert!(heard.said().contains("For groceries, press 1"), "{heard:?}");
        assert_eq!(heard.says[0].1, "en-US");
        let heard = call.press("1").await;
        assert!(heard.said().starts_with("What should we bring? Say a short list"), "{heard:?}");
        assert_eq!(heard.gather("input"), Some("speech"), "a list is said, not typed");
        let heard = call.say("Milk, bread and rice.").await;
        assert!(heard.said().contains("Type the number, then press pound"), "{heard:?}");
        assert_eq!(heard.gather("finishOnKey"), Some("#"));
        let heard = call.press("3#").await;
        assert!(heard.said().contains("zip code"), "{heard:?}");
        call.press("02139#").await;
        call.say("Corner of Main and 3rd").await;
        call.press("*").await; // when: skipped
        call.press("*").await; // notes: skipped
        let heard = call.say("Rosa").await;
        assert!(heard.said().starts_with("Thank you, Rosa! Your request is "), "{heard:?}");
        assert!(heard.hangup && heard.gather.is_none(), "{heard:?}");

        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        let fields = &requests[0].fields;
        assert_eq!(fields["need"], "groceries");
        assert_eq!(fields["items"], "Milk, bread and rice.");
        assert_eq!(fields["household"], "3");
        assert_eq!(fields["zone"], "northside");
        assert_eq!(fields["cross_streets"], "Corner of Main and 3rd");
        assert!(!fields.contains_key("when"));
        app.send_due().await;
        assert!(
            app.sent_to(CALLER).await.is_empty(),
            "what was said on the call is not texted as well"
        );
    }

    async fn a_spanish_speaker_hears_the_questions_in_spanish_and_answers_by_voice(db) {
        let app = TestApp::spawn(db).await;
        let (mut call, _) = Call::dial(&app, CALLER).await;
        let heard = call.press("2").await;
        assert!(heard.said().contains("Para comida, oprima 1"), "{heard:?}");
        assert_eq!(heard.says[0].1, "es-MX");
        assert_eq!(heard.gather("language"), Some("es-MX"));
        let heard = call.say("Medicinas").await;
        assert!(heard.said().starts_with("¿Qué farmacia"), "{heard:?}");
        call.say("La farmacia de la calle Main, a nombre de Ana").await;
        let heard = call.say("dos").await;
        // "dos" is no number a keypad typed: the question is asked again, as spoken.
        assert!(heard.said().contains("Marque el número"), "{heard:?}");
        call.press("2#").await;
        call.say("Northside").await;
        for _ in 0..4 {
            call.press("*").await;
        }
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].fields["need"], "prescription");
        assert_eq!(requests[0].fields["pharmacy"], "La farmacia de la calle Main, a nombre de Ana");
        assert_eq!(requests[0].fields["zone"], "northside");
        let language = app.count("SELECT COUNT(*) FROM contacts WHERE language = 'es'").await;
        assert_eq!(language, 1, "the caller's language is kept for their texts too");
    }

    async fn a_call_picks_up_the_conversation_a_text_began_and_texts_carry_on_after(db) {
        let app = TestApp::spawn(db).await;
        app.text(CALLER, "hola").await;
        app.text(CALLER, "2").await; // español, by text
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().contains("Para comida, oprima 1"), "the question they are at: {heard:?}");
        call.press("1").await;
        app.text(CALLER, "arroz y frijoles").await;
        let conversations = app.count("SELECT COUNT(*) FROM sessions").await;
        assert_eq!(conversations, 1, "one conversation across the call and the texts");
        app.send_due().await;
        let texts = app.sent_to(CALLER).await;
        assert!(texts.last().unwrap().starts_with("¿Para cuántas personas"), "{texts:?}");
    }

    async fn a_retried_call_webhook_gets_the_same_answer_and_is_taken_once(db) {
        let app = TestApp::spawn(db).await;
        let (call, _) = Call::dial(&app, CALLER).await;
        let first = call.post_raw(&[("Digits", "1")]).await.text().await.unwrap();
        let again = call.post_raw(&[("Digits", "1")]).await.text().await.unwrap();
        assert_eq!(first, again);
        let heard = Heard::parse(&again);
        assert!(heard.said().contains("For groceries"), "{heard:?}");
        let turns = app.count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'voice'").await;
        assert_eq!(turns, 2, "the call's start and one answer");
    }

    async fn a_forged_call_is_refused_and_leaves_nothing_behind(db) {
        let app = TestApp::spawn(db).await;
        let params = [("CallSid", "CAforged"), ("From", CALLER), ("To", LINE)];
        let response = app
            .http
            .post(app.url("/webhooks/twilio/voice"))
            .header("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl")
            .form(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }

    async fn a_caller_who_says_nothing_is_asked_again_then_told_goodbye(db) {
        let app = TestApp::spawn(db).await;
        let (mut call, first) = Call::dial(&app, CALLER).await;
        let again = call.stay_silent().await;
        // The first time, how to leave a message follows the question.
        assert!(first.said().starts_with(&again.said()), "the question is asked again: {again:?}");
        assert!(first.said().ends_with("press 0 at any time. Para dejar un mensaje, oprima 0 en cualquier momento."), "{first:?}");
        call.stay_silent().await;
        let last = call.stay_silent().await;
        assert!(last.said().starts_with("We did not hear anything"), "{last:?}");
        assert!(last.hangup);
        assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
    }
}
