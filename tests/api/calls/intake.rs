//! A caller walks the shipped intake by keypad and by speech, in English and in Spanish, into the
//! same requests texts make.

use super::{CALLER, Call, Twilio};
use crate::call_harness::{
    a_forged_call_leaves_nothing_behind, a_hidden_caller_is_told_to_call_showing_their_number,
    a_retried_turn_is_answered_alike_and_taken_once, finish_the_groceries_intake_as_rosa,
    finish_the_prescription_intake,
};
use crate::helpers::*;
use crate::on_both_databases;
use crate::providers::{Signed, form};

on_both_databases! {
    async fn a_caller_presses_and_speaks_their_way_through_the_intake_into_a_request(db) {
        let app = TestApp::spawn(db).await;
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().contains("For English, press 1"), "{heard:?}");
        assert_eq!(heard.listen("numDigits"), Some("1"));
        assert!(heard.listen("input").unwrap().contains("dtmf"));

        let heard = call.press("1").await;
        assert!(heard.said().contains("For groceries, press 1"), "{heard:?}");
        assert_eq!(heard.says[0].1, "en-US");
        let heard = call.press("1").await;
        assert!(heard.said().starts_with("What should we bring? Say a short list"), "{heard:?}");
        // A list is said; the one key it takes is star to skip (or 0 for a message).
        assert_eq!(heard.listen("input"), Some("dtmf speech"));
        assert_eq!(heard.listen("numDigits"), Some("1"));
        // The recogniser was unsure: the caller hears what was taken down.
        let heard = call
            .post(vec![("SpeechResult", "Milk, bread and rice.".into()), ("Confidence", "0.42".into())])
            .await;
        assert!(heard.said().starts_with("I heard: Milk, bread and rice. How many"), "{heard:?}");
        assert!(heard.said().contains("Type the number, then press pound"), "{heard:?}");
        assert_eq!(heard.listen("finishOnKey"), Some("#"));
        let heard = call.press("3#").await;
        assert!(heard.said().contains("zip code"), "{heard:?}");
        let fields = finish_the_groceries_intake_as_rosa(&app, &mut call).await;
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
        assert_eq!(heard.listen("language"), Some("es-MX"));
        let heard = call.say("Medicinas").await;
        assert!(heard.said().starts_with("¿Qué farmacia"), "{heard:?}");
        call.say("La farmacia de la calle Main, a nombre de Ana").await;
        let heard = call.say("dos").await;
        // "dos" is no number a keypad typed: the question is asked again, as spoken.
        assert!(heard.said().contains("Marque el número"), "{heard:?}");
        finish_the_prescription_intake(&app, &mut call).await;
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
        a_retried_turn_is_answered_alike_and_taken_once::<Twilio>(&app).await;
    }

    async fn a_forged_call_is_refused_and_leaves_nothing_behind(db) {
        let app = TestApp::spawn(db).await;
        let forged = Signed {
            headers: vec![("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl".to_string())],
            body: form(&[("CallSid", "CAforged"), ("From", CALLER), ("To", LINE)]),
        };
        a_forged_call_leaves_nothing_behind::<Twilio>(&app, forged).await;
    }

    async fn a_caller_who_hides_their_number_is_told_nobody_could_call_them_back(db) {
        let app = TestApp::spawn(db).await;
        // Twilio's stand-in for a hidden number spells ANONYMOUS on a keypad.
        a_hidden_caller_is_told_to_call_showing_their_number::<Twilio>(&app, "+266696687").await;
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
