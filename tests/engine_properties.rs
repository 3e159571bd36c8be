//! Properties of the conversation engine on the shipped flows, for any text at all.

use std::path::Path;

use aidline::flow::{Effect, Flow, Flows, load_dir};
use proptest::prelude::*;

fn shipped() -> Flows {
    let region = "US".parse().unwrap();
    load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("flows"), region).unwrap()
}

/// What people text: real answers, keywords, digits in other scripts, emoji, and anything.
fn a_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1",
            "2",
            "3",
            "skip",
            "SALTAR",
            "yes",
            "no",
            "sí",
            "02139",
            "sur",
            "٢",
            "4",
            "0",
            "99",
            "hola",
            "Rosa",
            "STOP",
            "",
            " ",
            "👋",
            "(415) 555-0100",
        ])
        .prop_map(str::to_string),
        any::<String>(),
        "[0-9]{1,6}",
        "\\PC{0,40}",
    ]
}

/// Walks `flow` from the start with `texts`, checking every step.
fn check_walk(flow: &Flow, texts: &[String]) -> Result<(), TestCaseError> {
    let mut step = flow.start(None, None);
    prop_assert!(step.effects.iter().any(|e| matches!(e, Effect::Reply(_))));
    for text in texts {
        if step.ended.is_some() {
            step = flow.start(Some(&step.session.language), None);
        }
        step = flow.advance(step.session, text, None);
        let replied = step.effects.iter().any(|e| matches!(e, Effect::Reply(_)));
        prop_assert!(
            replied || step.ended.is_some(),
            "no reply and no end after {text:?}"
        );
        // One answer read, then at most one pass through the states that wait for nothing.
        prop_assert!(
            step.effects.len() <= 3 * flow.states.len() + 2,
            "{} effects",
            step.effects.len()
        );
        prop_assert!(flow.states.contains_key(&step.session.state));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_intake_never_panics_and_always_answers_or_ends(texts in prop::collection::vec(a_text(), 1..40)) {
        check_walk(shipped().get("intake").unwrap(), &texts)?;
    }

    #[test]
    fn the_volunteer_sign_up_never_panics_and_always_answers_or_ends(texts in prop::collection::vec(a_text(), 1..30)) {
        check_walk(shipped().get("volunteer").unwrap(), &texts)?;
    }
}
