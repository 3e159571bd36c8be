use serde_json::{Value, json};

use super::write;
use crate::voice::documents::testing::line::{menu, say, voicemail};
use crate::voice::{Script, Speech, Step};

fn ncco(steps: Vec<Step>) -> Vec<Value> {
    let document = write(&Script { steps });
    assert_eq!(document.content_type, "application/json");
    match serde_json::from_str(&document.body).expect("an NCCO is JSON") {
        Value::Array(actions) => actions,
        other => panic!("an NCCO is an array of actions, got {other}"),
    }
}

/// Each published action and the keys it takes, from Vonage's NCCO reference (and the SDKs that
/// mirror it, for keys added after the stored copy: `style`, `premium`, `mode`, `transcription`).
#[rustfmt::skip]
const ACTIONS: &[(&str, &[&str])] = &[
    ("talk", &["action", "text", "bargeIn", "loop", "level", "language", "style", "premium"]),
    ("stream", &["action", "streamUrl", "level", "bargeIn", "loop"]),
    ("input", &["action", "type", "dtmf", "speech", "eventUrl", "eventMethod", "mode"]),
    ("record", &[
        "action", "format", "split", "channels", "endOnSilence", "endOnKey", "timeOut",
        "beepStart", "eventUrl", "eventMethod", "transcription",
    ]),
    ("notify", &["action", "payload", "eventUrl", "eventMethod"]),
    ("wait", &["action", "timeout"]),
    ("connect", &[
        "action", "endpoint", "from", "randomFromNumber", "eventType", "timeout", "limit",
        "machineDetection", "advancedMachineDetection", "eventUrl", "eventMethod", "ringbackTone",
    ]),
    ("conversation", &[
        "action", "name", "musicOnHoldUrl", "startOnEnter", "endOnExit", "record", "canSpeak",
        "canHear", "mute",
    ]),
];

/// The objects nested in an action, by the key that holds them.
#[rustfmt::skip]
const NESTED: &[(&str, &[&str])] = &[
    ("dtmf", &["timeOut", "maxDigits", "submitOnHash"]),
    ("speech", &[
        "uuid", "endOnSilence", "language", "context", "startTimeout", "maxDuration", "saveAudio",
        "sensitivity",
    ]),
    ("transcription", &["language", "eventUrl", "eventMethod", "sentimentAnalysis"]),
];

fn assert_published(action: &Value) {
    let name = action["action"]
        .as_str()
        .expect("every action names itself");
    let (_, allowed) = ACTIONS
        .iter()
        .find(|(published, _)| *published == name)
        .unwrap_or_else(|| panic!("`{name}` is not an NCCO action"));
    let object = action.as_object().expect("an action is an object");
    for (key, value) in object {
        assert!(allowed.contains(&key.as_str()), "`{name}` takes no `{key}`");
        if let Some((_, nested_allowed)) = NESTED.iter().find(|(nested, _)| nested == key) {
            for nested_key in value
                .as_object()
                .expect("a nested setting is an object")
                .keys()
            {
                assert!(
                    nested_allowed.contains(&nested_key.as_str()),
                    "`{name}.{key}` takes no `{nested_key}`"
                );
            }
        }
    }
}

#[test]
fn an_intake_turn_greets_then_asks_a_question_the_caller_can_answer_by_key_or_voice() {
    let actions = ncco(vec![
        say("Welcome to the aid line.", "en-US"),
        Step::Listen(menu()),
    ]);
    assert_eq!(
        Value::Array(actions),
        json!([
            {"action": "talk", "text": "Welcome to the aid line.", "language": "en-US"},
            {
                "action": "talk",
                "text": "Press 1 for food, 2 for a ride.",
                "language": "en-US",
                "bargeIn": true
            },
            {
                "action": "input",
                "type": ["dtmf", "speech"],
                "dtmf": {"maxDigits": 1, "timeOut": 5},
                "speech": {"language": "en-US", "context": ["food", "ride"], "startTimeout": 5},
                "eventUrl": ["https://line.example/voice/answer?turn=1"],
                "eventMethod": "POST"
            }
        ])
    );
}

#[test]
fn a_voicemail_turn_records_after_a_beep_then_thanks_the_caller_and_ends() {
    let actions = ncco(vec![
        say("Leave a message after the beep.", "es-MX"),
        Step::Record(voicemail()),
        say("Gracias.", "es-MX"),
        Step::Hangup,
    ]);
    assert_eq!(
        Value::Array(actions),
        json!([
            {"action": "talk", "text": "Leave a message after the beep.", "language": "es-MX"},
            {
                "action": "record",
                "format": "mp3",
                "endOnSilence": 5,
                "endOnKey": "#",
                "timeOut": 120,
                "beepStart": true,
                "eventUrl": ["https://line.example/voice/recording"],
                "eventMethod": "POST",
                "transcription": {
                    "eventUrl": ["https://line.example/voice/transcript"],
                    "eventMethod": "POST",
                    "language": "es-MX"
                }
            },
            {"action": "talk", "text": "Gracias.", "language": "es-MX"}
        ])
    );
}

#[test]
fn every_action_and_setting_the_line_writes_is_one_vonage_publishes() {
    let mut keys_only = menu();
    keys_only.speech = false;
    keys_only.max_keys = None;
    keys_only.end_key = Some('#');
    keys_only.prompt.push(Step::Play {
        url: "https://line.example/audio/menu.mp3".to_owned(),
    });
    let mut speech_only = menu();
    speech_only.keys = false;
    let mut untranscribed = voicemail();
    untranscribed.transcription_callback = None;
    let styled = Step::Say(Speech {
        text: "Hello".to_owned(),
        language: "en-GB".to_owned(),
        voice: Some("3".to_owned()),
    });
    let scripts = vec![
        vec![
            styled,
            Step::Play {
                url: "https://line.example/audio/hi.mp3".to_owned(),
            },
        ],
        vec![
            Step::Listen(menu()),
            Step::Listen(keys_only),
            Step::Listen(speech_only),
        ],
        vec![Step::Record(voicemail()), Step::Record(untranscribed)],
        vec![Step::Redirect {
            url: "https://line.example/voice/next".to_owned(),
        }],
    ];
    let mut seen = 0;
    for steps in scripts {
        for action in ncco(steps) {
            assert_published(&action);
            seen += 1;
        }
    }
    assert_eq!(seen, 12, "every step above writes at least one action");
}

#[test]
fn a_caller_on_a_vonage_line_can_press_a_key_before_the_question_ends() {
    let mut listen = menu();
    listen.prompt.push(Step::Play {
        url: "https://line.example/audio/options.mp3".to_owned(),
    });
    let actions = ncco(vec![say("Hello.", "en-US"), Step::Listen(listen)]);
    assert_eq!(
        actions[0].get("bargeIn"),
        None,
        "a greeting outside a question plays whole"
    );
    assert_eq!(actions[1]["bargeIn"], json!(true));
    assert_eq!(actions[2]["action"], "stream");
    assert_eq!(actions[2]["bargeIn"], json!(true));
    assert_eq!(
        actions[3]["action"], "input",
        "a barging-in prompt must be followed by an input"
    );
}

#[test]
fn timings_out_of_vonages_ranges_are_brought_within_them() {
    let mut slow = menu();
    slow.timeout_seconds = 30;
    slow.max_keys = Some(64);
    let mut instant = menu();
    instant.timeout_seconds = 0;
    instant.max_keys = Some(0);
    let mut long = voicemail();
    long.silence_seconds = 60;
    long.max_seconds = 10_000;
    let mut short = voicemail();
    short.silence_seconds = 1;
    short.max_seconds = 1;
    let actions = ncco(vec![
        Step::Listen(slow),
        Step::Listen(instant),
        Step::Record(long),
        Step::Record(short),
    ]);
    let inputs: Vec<&Value> = actions.iter().filter(|a| a["action"] == "input").collect();
    assert_eq!(inputs[0]["dtmf"], json!({"maxDigits": 20, "timeOut": 10}));
    assert_eq!(inputs[0]["speech"]["startTimeout"], 10);
    assert_eq!(inputs[1]["dtmf"], json!({"maxDigits": 1, "timeOut": 0}));
    assert_eq!(inputs[1]["speech"]["startTimeout"], 1);
    let records: Vec<&Value> = actions.iter().filter(|a| a["action"] == "record").collect();
    assert_eq!(
        (&records[0]["endOnSilence"], &records[0]["timeOut"]),
        (&json!(10), &json!(7200))
    );
    assert_eq!(
        (&records[1]["endOnSilence"], &records[1]["timeOut"]),
        (&json!(3), &json!(3))
    );
}

#[test]
fn a_typed_answer_of_any_length_is_not_cut_off_at_vonages_default_of_four_keys() {
    let mut listen = menu();
    listen.speech = false;
    listen.max_keys = None;
    listen.end_key = Some('#');
    let actions = ncco(vec![Step::Listen(listen)]);
    let input = actions.last().expect("an input");
    assert_eq!(input["type"], json!(["dtmf"]));
    assert_eq!(
        input["dtmf"],
        json!({"maxDigits": 20, "submitOnHash": true, "timeOut": 5})
    );
    assert_eq!(input.get("speech"), None);
}

#[test]
fn a_spoken_only_question_on_vonage_listens_for_speech_alone() {
    let mut listen = menu();
    listen.keys = false;
    let actions = ncco(vec![Step::Listen(listen)]);
    let input = actions.last().expect("an input");
    assert_eq!(input["type"], json!(["speech"]));
    assert_eq!(input.get("dtmf"), None);
}

#[test]
fn a_numbered_voice_picks_a_vonage_style_and_a_named_one_keeps_the_default() {
    let voiced = |voice: &str| {
        Step::Say(Speech {
            text: "Hi".to_owned(),
            language: "en-US".to_owned(),
            voice: Some(voice.to_owned()),
        })
    };
    let actions = ncco(vec![voiced("6"), voiced("Polly.Joanna")]);
    assert_eq!(actions[0]["style"], 6);
    assert_eq!(actions[1].get("style"), None);
}

#[test]
fn nothing_is_said_after_the_line_hangs_up_on_a_vonage_call() {
    let actions = ncco(vec![
        say("Goodbye.", "en-US"),
        Step::Hangup,
        say("Unheard.", "en-US"),
    ]);
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["text"], "Goodbye.");
}

#[test]
fn a_vonage_line_cannot_refuse_a_call_unanswered_so_rejecting_ends_it_with_an_empty_ncco() {
    let document = write(&Script {
        steps: vec![Step::Reject],
    });
    assert_eq!(document.body, "[]");
}

#[test]
fn moving_a_vonage_call_on_asks_our_server_for_the_next_ncco_and_says_nothing_more() {
    let actions = ncco(vec![
        Step::Redirect {
            url: "https://line.example/voice/next".to_owned(),
        },
        say("Unheard.", "en-US"),
    ]);
    assert_eq!(
        Value::Array(actions),
        json!([{
            "action": "notify",
            "payload": {"reason": "redirect"},
            "eventUrl": ["https://line.example/voice/next"],
            "eventMethod": "POST"
        }])
    );
}

#[test]
fn a_message_is_not_sent_for_transcription_unless_the_line_asks() {
    let mut record = voicemail();
    record.transcription_callback = None;
    let actions = ncco(vec![Step::Record(record)]);
    assert_eq!(actions[0].get("transcription"), None);
}
