use std::path::PathBuf;

use super::*;
use crate::config::Settings;
use crate::flow::{Flow, load_dir};

fn intake() -> (Flow, VoiceSettings) {
    let settings = Settings::from_toml("").unwrap();
    let flows = load_dir(&PathBuf::from("flows"), settings.default_region).unwrap();
    (flows.get("intake").unwrap().clone(), settings.voice)
}

fn turn<'a>(replies: &'a [Said], waiting: Option<&'a State>, language: &'a str) -> Turn<'a> {
    Turn {
        replies,
        waiting,
        language,
        action: "https://aid.example/webhooks/twilio/voice?turn=2&quiet=0".into(),
    }
}

fn listen(script: &Script) -> &Listen {
    match script.steps.as_slice() {
        [Step::Listen(listen)] => listen,
        other => panic!("not one question: {other:?}"),
    }
}

#[test]
fn a_menu_takes_one_key_or_the_choices_words_said_in_the_callers_language() {
    let (flow, voice) = intake();
    let replies = vec![Said::from(
        "¿Qué necesita? Para comida, oprima 1.".to_string(),
    )];
    let script = compose(
        &turn(&replies, Some(&flow.states["need"]), "es"),
        &voice,
        true,
    );
    let listen = listen(&script);
    assert!(listen.keys && listen.speech);
    assert_eq!((listen.max_keys, listen.end_key), (Some(1), None));
    assert_eq!(listen.language, "es-MX");
    assert!(
        listen.hints.contains(&"comida".to_string()),
        "{:?}",
        listen.hints
    );
    assert!(
        !listen.hints.contains(&"1".to_string()),
        "a key is pressed, not said"
    );
    assert_eq!(
        listen.prompt,
        [Step::Say(Speech {
            text: replies[0].text.clone(),
            language: "es-MX".into(),
            voice: None
        })]
    );
}

#[test]
fn a_number_is_typed_and_ended_with_pound_and_a_free_answer_is_said_or_skipped_with_one_key() {
    let (flow, voice) = intake();
    let number = compose(
        &turn(&[], Some(&flow.states["household"]), "en"),
        &voice,
        true,
    );
    let number = listen(&number);
    assert_eq!((number.max_keys, number.end_key), (None, Some('#')));
    let words = compose(&turn(&[], Some(&flow.states["items"]), "en"), &voice, true);
    let words = listen(&words);
    // Said, or one key: star to skip, 0 for a message.
    assert!(words.keys && words.speech);
    assert_eq!((words.max_keys, words.end_key), (Some(1), None));
    // A provider that hears no speech still takes keys, so star can skip the question.
    let keys_only = compose(&turn(&[], Some(&flow.states["items"]), "en"), &voice, false);
    assert!(listen(&keys_only).keys && !listen(&keys_only).speech);
}

#[test]
fn a_finished_conversation_says_its_last_words_and_hangs_up() {
    let (_, voice) = intake();
    let replies = vec![Said::from("Thank you! Your request is K42.".to_string())];
    let script = compose(&turn(&replies, None, "en"), &voice, true);
    assert!(
        matches!(script.steps.as_slice(), [Step::Say(s), Step::Hangup] if s.text == replies[0].text)
    );
}

#[test]
fn a_reply_the_organiser_recorded_is_played_and_the_others_are_spoken() {
    let (flow, voice) = intake();
    let recorded = "https://aid.example/audio/intake/need/en/0123abcd.mp3";
    let replies = vec![
        Said::from("Thanks.".to_string()),
        Said {
            text: "What do you need?".into(),
            recording: Some(recorded.into()),
        },
    ];
    let script = compose(
        &turn(&replies, Some(&flow.states["need"]), "en"),
        &voice,
        true,
    );
    assert!(matches!(
        listen(&script).prompt.as_slice(),
        [Step::Say(s), Step::Play { url }] if s.text == "Thanks." && url == recorded
    ));
}

#[test]
fn keys_become_the_words_a_text_would_use() {
    let (flow, _) = intake();
    let words = &flow.words;
    assert_eq!(keys_as_answer(&flow.states["household"], words, "3#"), "3");
    assert_eq!(
        keys_as_answer(&flow.states["area"], words, "02139#"),
        "02139"
    );
    assert_eq!(keys_as_answer(&flow.states["need"], words, "2"), "2");
    assert_eq!(
        keys_as_answer(&flow.states["notes"], words, "*"),
        words.skip[0]
    );
}

#[test]
fn a_free_answer_heard_with_doubt_is_read_back_and_a_sure_or_chosen_one_is_not() {
    let (flow, voice) = intake();
    let heard = |confidence| Heard::Speech {
        text: "milk and bread".into(),
        confidence: Some(confidence),
    };
    let items = Some(&flow.states["items"]);
    assert_eq!(
        read_back(&voice, &heard(0.3), items, "en").as_deref(),
        Some("I heard: milk and bread.")
    );
    assert_eq!(
        read_back(&voice, &heard(0.3), items, "es").as_deref(),
        Some("Entendí: milk and bread.")
    );
    assert_eq!(read_back(&voice, &heard(0.9), items, "en"), None);
    assert_eq!(
        read_back(&voice, &heard(0.3), Some(&flow.states["need"]), "en"),
        None
    );
}
