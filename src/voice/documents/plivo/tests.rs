use crate::voice::documents::Dialect;
use crate::voice::documents::testing::turns::{self, ANSWER, RECORDING_READY, TRANSCRIBED};
use crate::voice::documents::testing::{
    Element, Published, assert_absent, assert_published, assert_spoken_as_written, element, text,
};
use crate::voice::{Listen, Script, Step};

/// Plivo's elements and their attributes (plivo.com/docs/voice/xml: speak, play, getinput,
/// record, redirect, hangup).
const PLIVO: &Published = &[
    ("Response", &[]),
    ("Speak", &["voice", "language", "loop"]),
    ("Play", &["loop"]),
    ("Wait", &["length", "silence", "minSilence", "beep"]),
    (
        "GetInput",
        &[
            "action",
            "method",
            "inputType",
            "executionTimeout",
            "digitEndTimeout",
            "speechEndTimeout",
            "finishOnKey",
            "numDigits",
            "speechModel",
            "hints",
            "language",
            "interimSpeechResultsCallback",
            "interimSpeechResultsCallbackMethod",
            "log",
            "redirect",
            "profanityFilter",
        ],
    ),
    (
        "Record",
        &[
            "action",
            "method",
            "fileFormat",
            "redirect",
            "timeout",
            "maxLength",
            "playBeep",
            "finishOnKey",
            "recordSession",
            "startOnDialAnswer",
            "transcriptionType",
            "transcriptionUrl",
            "callbackUrl",
            "callbackMethod",
            "recordChannelType",
        ],
    ),
    ("Redirect", &["method"]),
    ("Hangup", &["reason", "schedule"]),
];

fn written(script: &Script) -> Element {
    crate::voice::documents::testing::written(Dialect::Plivo, script)
}

fn spoken(line: &str) -> Element {
    text("Speak", &[("language", "en-US")], line)
}

#[test]
fn a_caller_on_a_plivo_line_hears_the_question_and_can_press_a_key_while_it_is_spoken() {
    let get_input = element(
        "GetInput",
        &[
            ("action", ANSWER),
            ("method", "POST"),
            ("inputType", "dtmf speech"),
            ("executionTimeout", "6"),
            ("digitEndTimeout", "5"),
            ("numDigits", "1"),
            ("finishOnKey", "#"),
            ("language", "en-US"),
            ("hints", "food,ride"),
            ("redirect", "true"),
        ],
        vec![spoken(
            "Press 1 for food, 2 for a ride, or say what you need.",
        )],
    );
    assert_eq!(
        written(&turns::intake()),
        element(
            "Response",
            &[],
            vec![
                text(
                    "Speak",
                    &[("language", "en-US"), ("voice", "Polly.Joanna")],
                    "This is the Eastside aid line.",
                ),
                get_input,
                // Silence falls through to here, so it too reaches the answer address.
                text("Redirect", &[("method", "POST")], ANSWER),
            ],
        )
    );
}

#[test]
fn a_caller_who_leaves_a_plivo_message_hears_the_beep_and_is_thanked_after_it() {
    let mut attributes = turns::RECORDED_AS.to_vec();
    attributes.extend([
        ("fileFormat", "mp3"),
        ("callbackUrl", RECORDING_READY),
        ("callbackMethod", "POST"),
        ("transcriptionType", "auto"),
        ("transcriptionUrl", TRANSCRIBED),
    ]);
    let record = element("Record", &attributes, Vec::new());
    assert_eq!(
        written(&turns::voicemail()),
        element(
            "Response",
            &[],
            vec![
                spoken("Leave a message after the beep."),
                record,
                spoken("Thank you. A neighbour will call back."),
                element("Hangup", &[], Vec::new()),
            ],
        )
    );
}

#[test]
fn every_element_and_attribute_the_line_writes_is_one_plivo_documents() {
    let mut everything = turns::everything();
    everything.push(Step::Reject);
    assert_published(&written(&Script { steps: everything }), PLIVO);
}

#[test]
fn a_call_the_plivo_line_refuses_is_hung_up_on_before_it_is_answered() {
    let script = Script {
        steps: vec![Step::Reject],
    };
    assert_eq!(
        written(&script),
        element(
            "Response",
            &[],
            vec![element("Hangup", &[("reason", "rejected")], Vec::new())],
        )
    );
}

#[test]
fn what_a_neighbour_types_is_spoken_on_plivo_exactly_as_written() {
    assert_spoken_as_written(Dialect::Plivo, r#"WOMAN "es" & <x>"#);
}

#[test]
fn a_keypad_only_plivo_question_asks_for_no_speech_settings() {
    let get_input = &written(&turns::keypad_only()).children[0];
    assert_eq!(get_input.attributes["inputType"], "dtmf");
    let absent = ["language", "hints", "numDigits", "finishOnKey"];
    assert_absent(get_input, &absent, Dialect::Plivo);
}

#[test]
fn a_spoken_only_plivo_question_waits_for_no_keys() {
    let get_input = &written(&turns::spoken_only()).children[0];
    assert_eq!(get_input.attributes["inputType"], "speech");
    assert!(!get_input.attributes.contains_key("digitEndTimeout"));
    assert!(!get_input.attributes.contains_key("hints"));
}

#[test]
fn plivo_is_never_asked_to_wait_outside_the_five_to_sixty_seconds_it_allows() {
    for (asked, sent) in [(1, "5"), (5, "5"), (30, "30"), (60, "60"), (300, "60")] {
        let script = Script {
            steps: vec![Step::Listen(Listen {
                timeout_seconds: asked,
                ..turns::question()
            })],
        };
        assert_eq!(
            written(&script).children[0].attributes["executionTimeout"],
            sent,
            "asked for {asked}"
        );
    }
}

#[test]
fn a_plivo_message_without_a_transcript_asks_for_none() {
    let record = &written(&turns::untranscribed()).children[0];
    assert!(!record.attributes.contains_key("transcriptionType"));
    assert!(!record.attributes.contains_key("transcriptionUrl"));
    assert_eq!(record.attributes["callbackUrl"], RECORDING_READY);
}
