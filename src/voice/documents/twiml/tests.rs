use crate::voice::documents::Dialect;
use crate::voice::documents::testing::turns::{self, ANSWER, RECORDING_READY, TRANSCRIBED};
use crate::voice::documents::testing::{
    Element, Published, assert_absent, assert_published, assert_spoken_as_written, element, text,
    written,
};
use crate::voice::{Listen, Script, Step};

/// Twilio's verbs and their attributes (twilio.com/docs/voice/twiml: say, play, gather,
/// record, redirect, hangup, reject).
const TWILIO: &Published = &[
    ("Response", &[]),
    ("Say", &["voice", "language", "loop"]),
    ("Play", &["loop", "digits"]),
    ("Pause", &["length"]),
    (
        "Gather",
        &[
            "action",
            "actionOnEmptyResult",
            "enhanced",
            "finishOnKey",
            "hints",
            "input",
            "language",
            "method",
            "numDigits",
            "partialResultCallback",
            "partialResultCallbackMethod",
            "profanityFilter",
            "speechModel",
            "speechTimeout",
            "timeout",
        ],
    ),
    (
        "Record",
        &[
            "action",
            "method",
            "timeout",
            "finishOnKey",
            "maxLength",
            "playBeep",
            "trim",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "recordingStatusCallbackEvent",
            "storageUrl",
            "storageUrlMethod",
            "transcribe",
            "transcribeCallback",
        ],
    ),
    ("Redirect", &["method"]),
    ("Hangup", &[]),
    ("Reject", &["reason"]),
];

/// SignalWire's cXML (developer.signalwire.com/compatibility-api/cxml/voice): Twilio's names.
const SIGNALWIRE: &Published = TWILIO;

/// Telnyx's TeXML (developers.telnyx.com/docs/voice/programmable-voice/texml-verbs).
const TELNYX: &Published = &[
    ("Response", &[]),
    ("Say", &["voice", "language", "loop"]),
    ("Play", &["loop"]),
    ("Pause", &["length"]),
    (
        "Gather",
        &[
            "action",
            "timeout",
            "input",
            "speechTimeout",
            "partialResultCallback",
            "partialResultCallbackMethod",
            "profanityFilter",
            "useEnhanced",
            "hints",
            "transcriptionEngine",
            "apiKeyRef",
            "region",
            "finishOnKey",
            "numDigits",
            "language",
            "validDigits",
            "invalidDigitsAction",
            "minDigits",
            "maxDigits",
        ],
    ),
    (
        "Record",
        &[
            "action",
            "method",
            "finishOnKey",
            "timeout",
            "maxLength",
            "playBeep",
            "trim",
            "channels",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "transcription",
            "transcriptionCallback",
            "transcriptionEngine",
        ],
    ),
    ("Redirect", &[]),
    ("Hangup", &[]),
    ("Reject", &["reason"]),
];

fn response(children: Vec<Element>) -> Element {
    element("Response", &[], children)
}

fn greeting() -> Element {
    text(
        "Say",
        &[("language", "en-US"), ("voice", "Polly.Joanna")],
        "This is the Eastside aid line.",
    )
}

fn question_prompt() -> Vec<Element> {
    vec![text(
        "Say",
        &[("language", "en-US")],
        "Press 1 for food, 2 for a ride, or say what you need.",
    )]
}

fn said(line: &str) -> Element {
    text("Say", &[("language", "en-US")], line)
}

#[test]
fn a_caller_on_a_twilio_line_hears_the_question_and_can_press_a_key_while_it_is_spoken() {
    for dialect in [Dialect::Twilio, Dialect::SignalWire] {
        let gather = element(
            "Gather",
            &[
                ("input", "dtmf speech"),
                ("action", ANSWER),
                ("method", "POST"),
                ("timeout", "6"),
                ("numDigits", "1"),
                ("finishOnKey", "#"),
                ("language", "en-US"),
                ("hints", "food, ride"),
                ("speechTimeout", "auto"),
                ("actionOnEmptyResult", "true"),
            ],
            question_prompt(),
        );
        assert_eq!(
            written(dialect, &turns::intake()),
            response(vec![greeting(), gather]),
            "{dialect:?}"
        );
    }
}

#[test]
fn a_caller_on_a_telnyx_line_who_says_nothing_still_reaches_the_answer_address() {
    let gather = element(
        "Gather",
        &[
            ("input", "dtmf speech"),
            ("action", ANSWER),
            ("timeout", "6"),
            ("numDigits", "1"),
            ("finishOnKey", "#"),
            ("language", "en-US"),
            ("hints", "food, ride"),
        ],
        question_prompt(),
    );
    let redirect = text("Redirect", &[], ANSWER);
    assert_eq!(
        written(Dialect::Telnyx, &turns::intake()),
        response(vec![greeting(), gather, redirect])
    );
}

fn voicemail_record(dialect: Dialect) -> Element {
    let mut attributes = turns::RECORDED_AS.to_vec();
    attributes.push(("recordingStatusCallback", RECORDING_READY));
    if dialect == Dialect::Telnyx {
        attributes.extend([
            ("transcription", "true"),
            ("transcriptionCallback", TRANSCRIBED),
        ]);
    } else {
        attributes.extend([
            ("recordingStatusCallbackEvent", "completed"),
            ("recordingStatusCallbackMethod", "POST"),
            ("transcribe", "true"),
            ("transcribeCallback", TRANSCRIBED),
        ]);
    }
    element("Record", &attributes, Vec::new())
}

#[test]
fn a_caller_who_leaves_a_message_hears_the_beep_and_is_thanked_after_it() {
    for dialect in [Dialect::Twilio, Dialect::SignalWire, Dialect::Telnyx] {
        assert_eq!(
            written(dialect, &turns::voicemail()),
            response(vec![
                said("Leave a message after the beep."),
                voicemail_record(dialect),
                said("Thank you. A neighbour will call back."),
                element("Hangup", &[], Vec::new()),
            ]),
            "{dialect:?}"
        );
    }
}

#[test]
fn telnyx_is_asked_for_a_transcript_in_its_own_words_and_twilio_in_its() {
    let record = |dialect| written(dialect, &turns::voicemail()).children[1].clone();
    let telnyx = record(Dialect::Telnyx);
    assert_eq!(telnyx.attributes["transcription"], "true");
    assert_eq!(telnyx.attributes["transcriptionCallback"], TRANSCRIBED);
    assert!(!telnyx.attributes.contains_key("transcribe"));
    let twilio = record(Dialect::Twilio);
    assert_eq!(twilio.attributes["transcribe"], "true");
    assert_eq!(twilio.attributes["transcribeCallback"], TRANSCRIBED);
    assert!(!twilio.attributes.contains_key("transcription"));

    let gather = written(Dialect::Telnyx, &turns::intake()).children[1].clone();
    assert_eq!(gather.name, "Gather");
    assert!(!gather.attributes.contains_key("method"));
}

#[test]
fn every_verb_and_attribute_the_line_writes_is_one_the_provider_documents() {
    let everything = Script {
        steps: turns::everything(),
    };
    let rejected = Script {
        steps: vec![Step::Reject],
    };
    for (dialect, published) in [
        (Dialect::Twilio, TWILIO),
        (Dialect::SignalWire, SIGNALWIRE),
        (Dialect::Telnyx, TELNYX),
    ] {
        assert_published(&written(dialect, &everything), published);
        assert_published(&written(dialect, &rejected), published);
    }
}

#[test]
fn what_a_neighbour_types_is_spoken_exactly_as_written() {
    for dialect in [Dialect::Twilio, Dialect::SignalWire, Dialect::Telnyx] {
        assert_spoken_as_written(dialect, r#"Polly.Mia "es" & <x>"#);
    }
}

#[test]
fn a_call_the_line_refuses_is_rejected_before_it_is_answered() {
    let script = Script {
        steps: vec![Step::Reject],
    };
    for dialect in [Dialect::Twilio, Dialect::SignalWire, Dialect::Telnyx] {
        assert_eq!(
            written(dialect, &script),
            response(vec![element(
                "Reject",
                &[("reason", "rejected")],
                Vec::new()
            )]),
            "{dialect:?}"
        );
    }
}

#[test]
fn a_keypad_only_question_asks_for_no_speech_settings() {
    for dialect in [Dialect::Twilio, Dialect::SignalWire, Dialect::Telnyx] {
        let gather = &written(dialect, &turns::keypad_only()).children[0];
        assert_eq!(gather.attributes["input"], "dtmf", "{dialect:?}");
        let absent = [
            "language",
            "hints",
            "speechTimeout",
            "numDigits",
            "finishOnKey",
        ];
        assert_absent(gather, &absent, dialect);
    }
}

#[test]
fn a_spoken_only_question_without_hints_sends_no_empty_hints() {
    let gather = &written(Dialect::Twilio, &turns::spoken_only()).children[0];
    assert_eq!(gather.attributes["input"], "speech");
    assert_eq!(gather.attributes["language"], "en-US");
    assert!(!gather.attributes.contains_key("hints"));
}

#[test]
fn a_message_without_a_transcript_asks_for_none() {
    for dialect in [Dialect::Twilio, Dialect::SignalWire, Dialect::Telnyx] {
        let record = &written(dialect, &turns::untranscribed()).children[0];
        let absent = [
            "transcribe",
            "transcribeCallback",
            "transcription",
            "transcriptionCallback",
        ];
        assert_absent(record, &absent, dialect);
    }
}

#[test]
fn a_recording_played_while_listening_is_nested_in_the_question() {
    let script = Script {
        steps: vec![Step::Listen(Listen {
            prompt: vec![Step::Play {
                url: "https://aid.example/audio/menu.mp3?lang=es&v=2".to_owned(),
            }],
            ..turns::question()
        })],
    };
    let gather = &written(Dialect::Twilio, &script).children[0];
    assert_eq!(
        gather.children,
        vec![text(
            "Play",
            &[],
            "https://aid.example/audio/menu.mp3?lang=es&v=2"
        )]
    );
}
