use std::path::PathBuf;

use super::*;
use crate::flow::load::parse_files;

const FLOW: &str = r#"
[flow]
id = "t"
start = "lang"
languages = ["en", "es"]
give_up.en = "A person will text you."
give_up.es = "Una persona le escribirá."

[states.lang]
say.en = "1 English, 2 Español"
say.es = "1 English, 2 Español"
expect = "choice"
choices = [
  { match = ["1"], set = { lang = "en" }, next = "name" },
  { match = { es = ["2", "español"] }, set = { lang = "es" }, next = "name" },
]
invalid.en = "Reply 1 or 2."
invalid.es = "Responda 1 o 2."
max_attempts = 2

[states.name]
say.en = "Your name?"
say.es = "¿Su nombre?"
expect = "text"
optional = true
max_length = 10
next = "people"

[states.people]
say.en = "How many, {name|friend}?"
say.es = "¿Cuántos, {name|amigo}?"
expect = "number"
min = 1
max = 9
next = "car"

[states.car]
say.en = "Car?"
say.es = "¿Coche?"
expect = "yes_no"
branches = [{ when = { car = "yes" }, next = "phone" }]
next = "thanks"

[states.phone]
say.en = "Your number?"
say.es = "¿Su número?"
expect = "phone"
next = "thanks"

[states.thanks]
say.en = "Thanks, {contact.name|friend}. Code {request.code}."
say.es = "Gracias, {contact.name|amigo}. Código {request.code}."
action = { set_name = "{name}", create_request = { queue = "general", fields = ["name", "people", "phone"], priority = 2 } }
end = true
"#;

fn flow() -> Flow {
    let region = "US".parse().unwrap();
    let flows = parse_files(&[(PathBuf::from("t.toml"), FLOW.to_string())], region).unwrap();
    flows.get("t").unwrap().clone()
}

fn replies(step: &Step) -> Vec<&str> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply(reply) => Some(reply.text.as_str()),
            _ => None,
        })
        .collect()
}

fn walk(flow: &Flow, inputs: &[&str]) -> Step {
    let mut step = flow.start(None, None);
    for input in inputs {
        step = flow.advance(step.session, input, None);
    }
    step
}

#[test]
fn a_whole_conversation_ends_in_a_request_with_the_saved_answers() {
    let flow = flow();
    let step = walk(&flow, &[" ESPAÑOL "]);
    assert_eq!(replies(&step), ["¿Su nombre?"]);
    assert!(step.effects.contains(&Effect::SetLanguage("es".into())));
    let step = flow.advance(step.session, "Rosa", None);
    assert_eq!(replies(&step), ["¿Cuántos, Rosa?"]);
    let step = flow.advance(step.session, "٣", None);
    let step = flow.advance(step.session, "si", None);
    assert_eq!(replies(&step), ["¿Su número?"]);
    let step = flow.advance(step.session, "(415) 555-0100", None);
    assert_eq!(replies(&step), ["Gracias, Rosa. Código {request.code}."]);
    assert_eq!(step.ended, Some(Ended::Completed));
    assert!(step.effects.contains(&Effect::SetName("Rosa".into())));
    let fields: BTreeMap<String, String> =
        [("name", "Rosa"), ("people", "3"), ("phone", "+14155550100")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    assert!(step.effects.contains(&Effect::CreateRequest {
        queue: "general".into(),
        fields,
        priority: 2
    }));
}

#[test]
fn an_optional_question_can_be_skipped_and_templates_fall_back() {
    let step = walk(&flow(), &["1", "skip"]);
    assert_eq!(replies(&step), ["How many, friend?"]);
    assert!(!step.session.answers.contains_key("name"));
}

#[test]
fn a_branch_is_taken_only_when_its_answers_match() {
    let step = walk(&flow(), &["1", "Al", "2", "no"]);
    assert_eq!(replies(&step), ["Thanks, Al. Code {request.code}."]);
    let step = walk(&flow(), &["1", "Al", "2", "yeah"]);
    assert_eq!(replies(&step), ["Your number?"]);
}

#[test]
fn a_number_out_of_range_or_a_word_is_asked_again() {
    let flow = flow();
    for bad in ["0", "10", "two", ""] {
        let step = walk(&flow, &["1", "Al", bad]);
        assert_eq!(step.session.state, "people", "{bad}");
        assert_eq!(step.session.attempts, 1);
    }
}

#[test]
fn a_remembered_language_and_name_are_used_from_the_first_text() {
    let flow = flow();
    let step = flow.start(Some("es"), Some("Ana"));
    assert_eq!(step.session.language, "es");
    assert_eq!(flow.start(Some("klingon"), None).session.language, "en");
}

#[test]
fn too_long_an_answer_is_asked_again() {
    let step = walk(&flow(), &["1", "a name far too long to fit"]);
    assert_eq!(replies(&step), ["Your name?"]);
    assert_eq!(step.session.attempts, 1);
}

#[test]
fn running_out_of_attempts_hands_the_conversation_to_a_person() {
    let flow = flow();
    let step = walk(&flow, &["9"]);
    assert_eq!(replies(&step), ["Reply 1 or 2."]);
    let step = flow.advance(step.session, "9", None);
    assert_eq!(replies(&step), ["A person will text you."]);
    assert_eq!(step.ended, Some(Ended::HandedOff));
    assert!(matches!(step.effects.last(), Some(Effect::Handoff { .. })));
}

#[test]
fn an_optional_question_that_cannot_place_an_answer_twice_moves_on_keeping_the_words() {
    let flow = flow();
    let step = walk(&flow, &["1", "far too long a name"]);
    assert_eq!(step.session.state, "name", "asked again once");
    let step = flow.advance(step.session, "still much too long", None);
    assert_eq!(step.session.state, "people");
    assert_eq!(replies(&step), ["How many, friend?"]);
    assert_eq!(
        step.session.answers[SAID],
        "far too long a name / still much too long"
    );
}

#[test]
fn a_first_sentence_is_kept_and_its_language_answers_the_language_question() {
    let flow = flow();
    let step = flow.start_with("hola necesito ayuda con mi familia", None, None);
    assert_eq!(step.session.state, "name");
    assert_eq!(step.session.language, "es");
    assert_eq!(replies(&step), ["¿Su nombre?"]);
    assert!(step.effects.contains(&Effect::SetLanguage("es".into())));
    assert_eq!(
        step.session.answers[SAID],
        "hola necesito ayuda con mi familia"
    );

    let greeting = flow.start_with("hola", None, None);
    assert_eq!(greeting.session.state, "lang", "a greeting is no answer");
    let unclear = flow.start_with("pizza pizza pizza", None, None);
    assert_eq!(
        unclear.session.state, "lang",
        "no guess, so the question is asked"
    );
    assert_eq!(unclear.session.answers[SAID], "pizza pizza pizza");
}

#[test]
fn a_session_in_a_state_that_was_removed_starts_over() {
    let flow = flow();
    let mut session = flow.start(None, None).session;
    session.state = "deleted".into();
    let step = flow.advance(session, "hello", None);
    assert_eq!(step.session.state, "lang");
    assert_eq!(replies(&step), ["1 English, 2 Español"]);
}

const GIVES_UP_TO_A_MESSAGE: &str = r#"
[flow]
id = "m"
start = "need"
languages = ["en"]
give_up.en = "A person will text you."
on_give_up = "message"

[states.need]
say.en = "Reply 1 for groceries, 2 for medicine."
expect = "choice"
choices = [{ match = ["1"], next = "done" }, { match = ["2"], next = "done" }]
max_attempts = 2

[states.message]
say.en = "Tell us in your own words what you need."
expect = "message"
thanks.en = "Thank you. A person will read it and text you."

[states.done]
say.en = "Noted."
end = true
"#;

#[test]
fn a_question_that_gives_up_asks_for_a_message_which_goes_to_a_person() {
    let region = "US".parse().unwrap();
    let files = [(PathBuf::from("m.toml"), GIVES_UP_TO_A_MESSAGE.to_string())];
    let flows = parse_files(&files, region).unwrap();
    let flow = flows.get("m").unwrap();
    let step = walk(flow, &["pizza", "pizza"]);
    assert_eq!(step.session.state, "message");
    assert_eq!(
        replies(&step),
        ["Tell us in your own words what you need."],
        "no give-up text: the conversation goes on"
    );
    assert_eq!(step.ended, None);

    let step = flow.advance(step.session, "My fridge broke and I have no food", None);
    assert_eq!(
        replies(&step),
        ["Thank you. A person will read it and text you."]
    );
    assert_eq!(step.ended, Some(Ended::HandedOff));
    assert!(step.effects.contains(&Effect::Handoff {
        reason: LEFT_A_MESSAGE.into()
    }));
    assert_eq!(
        step.session.answers["message"],
        "My fridge broke and I have no food"
    );
    assert_eq!(step.session.answers[SAID], "pizza / pizza");
}
