use super::write;
use crate::voice::documents::testing::line::{say, voicemail};
use crate::voice::documents::testing::{
    Element, Published, assert_published, element, parse, text,
};
use crate::voice::{Listen, Script, Speech, Step};

fn bxml(steps: Vec<Step>) -> Element {
    let document = write(&Script { steps });
    assert_eq!(document.content_type, "application/xml");
    let response = parse(&document.body);
    assert_eq!(response.name, "Response");
    response
}

fn spoken(line: &str) -> Element {
    text("SpeakSentence", &[("locale", "en_US")], line)
}

/// A menu for keys only, whose answer address carries an `&`.
fn menu() -> Listen {
    Listen {
        speech: false,
        hints: vec![],
        action: "https://line.example/voice/answer?turn=1&lang=en".to_owned(),
        ..crate::voice::documents::testing::line::menu()
    }
}

/// Each BXML verb and its attributes, from Bandwidth's BXML reference (Bandwidth/api-docs
/// `site/docs/voice/bxml/*.mdx`), for the verbs a turn can be written with.
#[rustfmt::skip]
const VERBS: &Published = &[
    ("Response", &[]),
    ("SpeakSentence", &["voice", "gender", "locale"]),
    ("PlayAudio", &["username", "password"]),
    ("Gather", &[
        "gatherUrl", "gatherMethod", "gatherFallbackUrl", "gatherFallbackMethod", "username",
        "password", "fallbackUsername", "fallbackPassword", "tag", "terminatingDigits",
        "maxDigits", "interDigitTimeout", "firstDigitTimeout", "repeatCount",
    ]),
    ("Record", &[
        "recordCompleteUrl", "recordCompleteMethod", "recordCompleteFallbackUrl",
        "recordCompleteFallbackMethod", "recordingAvailableUrl", "recordingAvailableMethod",
        "transcribe", "transcriptionAvailableUrl", "transcriptionAvailableMethod", "username",
        "password", "fallbackUsername", "fallbackPassword", "tag", "terminatingDigits",
        "maxDuration", "silenceTimeout", "fileFormat",
    ]),
    ("Redirect", &[
        "redirectUrl", "redirectMethod", "redirectFallbackUrl", "redirectFallbackMethod",
        "username", "password", "fallbackUsername", "fallbackPassword", "tag",
    ]),
    ("Hangup", &[]),
    ("Pause", &["duration"]),
];

#[test]
fn an_intake_turn_greets_then_asks_a_question_inside_a_gather() {
    let response = bxml(vec![
        say("Welcome to the aid line.", "en-US"),
        Step::Listen(menu()),
    ]);
    let prompt = spoken("Press 1 for food, 2 for a ride.");
    assert_eq!(
        response.children,
        vec![
            spoken("Welcome to the aid line."),
            element(
                "Gather",
                &[
                    (
                        "gatherUrl",
                        "https://line.example/voice/answer?turn=1&lang=en"
                    ),
                    ("gatherMethod", "POST"),
                    ("maxDigits", "1"),
                    ("firstDigitTimeout", "5"),
                    ("interDigitTimeout", "5"),
                    ("repeatCount", "1"),
                ],
                vec![prompt],
            ),
        ]
    );
}

#[test]
fn a_voicemail_turn_records_then_thanks_the_caller_and_hangs_up() {
    let response = bxml(vec![
        say("Leave a message after the tone.", "en-US"),
        Step::Record(voicemail()),
        say("Thank you.", "en-US"),
        Step::Hangup,
    ]);
    assert_eq!(
        response.children,
        vec![
            spoken("Leave a message after the tone."),
            element(
                "Record",
                &[
                    ("recordCompleteUrl", "https://line.example/voice/recorded"),
                    ("recordCompleteMethod", "POST"),
                    (
                        "recordingAvailableUrl",
                        "https://line.example/voice/recording"
                    ),
                    ("recordingAvailableMethod", "POST"),
                    ("maxDuration", "120"),
                    ("silenceTimeout", "5"),
                    ("terminatingDigits", "#"),
                    ("fileFormat", "mp3"),
                    ("transcribe", "true"),
                    (
                        "transcriptionAvailableUrl",
                        "https://line.example/voice/transcript"
                    ),
                    ("transcriptionAvailableMethod", "POST"),
                ],
                vec![],
            ),
            spoken("Thank you."),
            element("Hangup", &[], vec![]),
        ]
    );
}

#[test]
fn every_verb_and_attribute_the_line_writes_is_one_bandwidth_publishes() {
    let mut typed = menu();
    typed.max_keys = None;
    typed.end_key = Some('#');
    typed.prompt.push(Step::Play {
        url: "https://line.example/audio/menu.mp3".to_owned(),
    });
    let voiced = Step::Say(Speech {
        text: "Hola".to_owned(),
        language: "es-MX".to_owned(),
        voice: Some("rosa".to_owned()),
    });
    let scripts = vec![
        vec![
            voiced,
            Step::Play {
                url: "https://line.example/audio/hi.mp3".to_owned(),
            },
        ],
        vec![
            Step::Listen(menu()),
            Step::Listen(typed),
            Step::Record(voicemail()),
        ],
        vec![Step::Redirect {
            url: "https://line.example/voice/next".to_owned(),
        }],
        vec![Step::Reject],
    ];
    let mut seen = 0;
    for steps in scripts {
        let response = bxml(steps);
        let mut elements = Vec::new();
        response.walk(&mut elements);
        assert_published(&response, VERBS);
        seen += elements.len();
    }
    assert_eq!(seen, 14, "every step above writes at least one verb");
}

#[test]
fn a_spoken_language_tag_becomes_a_bandwidth_locale() {
    let response = bxml(vec![
        say("Hello", "en-US"),
        say("Hello", "en-GB"),
        say("Hola", "es-MX"),
        say("Hola", "es-US"),
        say("Bonjour", "fr-CA"),
    ]);
    let locales: Vec<_> = response
        .children
        .iter()
        .map(|verb| verb.attribute("locale"))
        .collect();
    assert_eq!(
        locales,
        vec![
            Some("en_US"),
            Some("en_UK"),
            Some("es_MX"),
            Some("es"),
            Some("fr")
        ]
    );
}

#[test]
fn what_the_line_says_reaches_the_caller_unchanged_whatever_its_characters() {
    let text = r#"Café & "comida" <gratis> a las 5 — ¿sí? it's año nuevo"#;
    let mut listen = menu();
    listen.action = r#"https://line.example/voice/answer?a=1&b="2"&c=<3>"#.to_owned();
    let response = bxml(vec![say(text, "es-MX"), Step::Listen(listen)]);
    assert_eq!(response.children[0].text, text);
    assert_eq!(
        response.children[1].attribute("gatherUrl"),
        Some(r#"https://line.example/voice/answer?a=1&b="2"&c=<3>"#)
    );
}

#[test]
fn attributes_the_line_did_not_ask_for_are_left_out() {
    let mut open_ended = menu();
    open_ended.max_keys = None;
    open_ended.end_key = None;
    let mut untranscribed = voicemail();
    untranscribed.transcription_callback = None;
    let response = bxml(vec![Step::Listen(open_ended), Step::Record(untranscribed)]);
    let gather = &response.children[0];
    assert_eq!(gather.attribute("maxDigits"), None);
    assert_eq!(gather.attribute("terminatingDigits"), None);
    let spoken = &gather.children[0];
    assert_eq!(spoken.attribute("voice"), None);
    let record = &response.children[1];
    for absent in [
        "transcribe",
        "transcriptionAvailableUrl",
        "transcriptionAvailableMethod",
    ] {
        assert_eq!(record.attribute(absent), None, "{absent}");
    }
}

#[test]
fn a_bandwidth_line_refuses_a_call_by_hanging_up_before_answering() {
    let response = bxml(vec![Step::Reject, say("Unheard.", "en-US")]);
    assert_eq!(response.children, vec![element("Hangup", &[], vec![])]);
}

#[test]
fn a_bandwidth_call_moved_to_another_address_says_nothing_more_here() {
    let response = bxml(vec![
        Step::Redirect {
            url: "https://line.example/voice/next".to_owned(),
        },
        say("Unheard.", "en-US"),
    ]);
    assert_eq!(
        response.children,
        vec![element(
            "Redirect",
            &[
                ("redirectUrl", "https://line.example/voice/next"),
                ("redirectMethod", "POST")
            ],
            vec![],
        )]
    );
}

#[test]
fn a_spoken_only_question_on_bandwidth_still_takes_keys() {
    let mut listen = menu();
    listen.keys = false;
    listen.speech = true;
    let response = bxml(vec![Step::Listen(listen)]);
    assert_eq!(response.children[0].name, "Gather");
}

#[test]
fn timings_out_of_bandwidths_ranges_are_brought_within_them() {
    let mut listen = menu();
    listen.max_keys = Some(99);
    listen.timeout_seconds = 600;
    let mut record = voicemail();
    record.max_seconds = 20_000;
    record.silence_seconds = 30_000;
    let response = bxml(vec![Step::Listen(listen), Step::Record(record)]);
    assert_eq!(response.children[0].attribute("maxDigits"), Some("50"));
    assert_eq!(
        response.children[0].attribute("firstDigitTimeout"),
        Some("60")
    );
    assert_eq!(response.children[1].attribute("maxDuration"), Some("10800"));
    assert_eq!(
        response.children[1].attribute("silenceTimeout"),
        Some("10800")
    );
}
