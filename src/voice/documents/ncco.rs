//! Vonage's NCCO: a JSON array of actions.
//!
//! Names and ranges follow Vonage's NCCO reference (developer.vonage.com/voice/voice-api/
//! ncco-reference) and the bounds its SDKs enforce (vonage-python-sdk `Dtmf`, `Speech`, `Record`
//! models; vonage-java-sdk `TranscriptionSettings`).

use serde::Serialize;

use super::Document;
use crate::voice::{Listen, Record, Script, Speech, Step};

pub(super) fn write(script: &Script) -> Document {
    let body = serde_json::to_string(&actions(script))
        .expect("an NCCO is plain strings, numbers and flags, which always serialize");
    Document {
        content_type: "application/json",
        body,
    }
}

/// One NCCO action, tagged by its `action` name.
#[derive(Debug, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
enum Action {
    Talk(Talk),
    Stream(Stream),
    Input(Input),
    Record(RecordAction),
    Notify(Notify),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Talk {
    text: String,
    language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    style: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    barge_in: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Stream {
    stream_url: [String; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    barge_in: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    #[serde(rename = "type")]
    kinds: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtmf: Option<Dtmf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    speech: Option<SpeechSettings>,
    event_url: [String; 1],
    event_method: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Dtmf {
    max_digits: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    submit_on_hash: Option<bool>,
    time_out: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpeechSettings {
    language: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    context: Vec<String>,
    start_timeout: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordAction {
    format: &'static str,
    end_on_silence: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_on_key: Option<String>,
    time_out: u32,
    beep_start: bool,
    event_url: [String; 1],
    event_method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcription: Option<Transcription>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Transcription {
    event_url: [String; 1],
    event_method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Notify {
    payload: NotifyPayload,
    event_url: [String; 1],
    event_method: &'static str,
}

#[derive(Debug, Serialize)]
struct NotifyPayload {
    reason: &'static str,
}

// Bounds from the NCCO reference and the SDKs' validators: dtmf `timeOut` 0–10 s and
// `maxDigits` 1–20; speech `startTimeout` is 1–10 s in the reference (the SDKs allow 60, so 10 is
// safe for both); record `endOnSilence` 3–10 s and `timeOut` 3–7200 s.
const DTMF_TIMEOUT: (u32, u32) = (0, 10);
const DTMF_MAX_DIGITS: (u32, u32) = (1, 20);
const SPEECH_START_TIMEOUT: (u32, u32) = (1, 10);
const RECORD_END_ON_SILENCE: (u32, u32) = (3, 10);
const RECORD_TIME_OUT: (u32, u32) = (3, 7200);

fn clamp(value: u32, (low, high): (u32, u32)) -> u32 {
    value.clamp(low, high)
}

fn actions(script: &Script) -> Vec<Action> {
    let mut out = Vec::new();
    // The transcription object wants a language and a Record step carries none: the message is
    // most likely in the language the line was just speaking.
    let mut last_language: Option<&str> = None;
    for step in &script.steps {
        match step {
            Step::Say(speech) => {
                last_language = Some(&speech.language);
                out.push(talk(speech, false));
            }
            Step::Play { url } => out.push(stream(url, false)),
            Step::Listen(listen) => {
                last_language = Some(&listen.language);
                write_listen(&mut out, listen);
            }
            // The record action has no address to post to when it ends: once the caller stops,
            // Vonage simply runs the next actions of this NCCO, so `record.action` goes unused and
            // the script's following steps are what the caller hears.
            Step::Record(record) => out.push(Action::Record(record_action(record, last_language))),
            // NCCO has no redirect. A `notify` action posts to its eventUrl, and "if you return an
            // NCCO when you receive a notification, it will replace the current NCCO" (NCCO
            // reference, Notify) — the same hand-over as another provider's redirect. Nothing after
            // it is written: the new NCCO takes over, as after a redirect.
            Step::Redirect { url } => {
                out.push(Action::Notify(Notify {
                    payload: NotifyPayload { reason: "redirect" },
                    event_url: [url.clone()],
                    event_method: "POST",
                }));
                break;
            }
            // A call ends when its NCCO runs out of actions, so hanging up is writing no more.
            Step::Hangup => break,
            // Vonage asks for an NCCO only once it has answered the call (`Dialect::can_reject` is
            // false), so a call can no longer be refused for free; an empty NCCO ends it at once,
            // which is the nearest thing.
            Step::Reject => break,
        }
    }
    out
}

/// A prompt's talk and stream actions barge in so a key press cuts them short; the reference
/// requires the next action after a barging-in one to be an `input`, which is what follows.
fn write_listen(out: &mut Vec<Action>, listen: &Listen) {
    for step in &listen.prompt {
        match step {
            Step::Say(speech) => out.push(talk(speech, true)),
            Step::Play { url } => out.push(stream(url, true)),
            // A prompt is only what is said or played while listening; anything else inside one
            // has no meaning in an NCCO (nor in the model) and is left out.
            _ => {}
        }
    }
    out.push(Action::Input(input(listen)));
}

fn talk(speech: &Speech, barge_in: bool) -> Action {
    Action::Talk(Talk {
        text: speech.text.clone(),
        language: speech.language.clone(),
        // Vonage picks a voice by language and a numbered style; a named voice (`Polly.Joanna`)
        // means nothing here and is left to the language's default style.
        style: speech
            .voice
            .as_deref()
            .and_then(|voice| voice.trim().parse().ok()),
        barge_in: barge_in.then_some(true),
    })
}

fn stream(url: &str, barge_in: bool) -> Action {
    Action::Stream(Stream {
        stream_url: [url.to_owned()],
        barge_in: barge_in.then_some(true),
    })
}

fn input(listen: &Listen) -> Input {
    // An input must enable dtmf or speech; a question that asks for neither still takes keys
    // rather than making an NCCO Vonage would refuse.
    let keys = listen.keys || !listen.speech;
    let mut kinds = Vec::new();
    if keys {
        kinds.push("dtmf");
    }
    if listen.speech {
        kinds.push("speech");
    }
    Input {
        kinds,
        dtmf: keys.then(|| Dtmf {
            // Left out, maxDigits defaults to 4, which would cut off a longer typed answer; "as
            // many as come" is the most Vonage takes.
            max_digits: clamp(listen.max_keys.unwrap_or(u32::MAX), DTMF_MAX_DIGITS),
            // Only `#` can end DTMF input early in an NCCO; any other end key cannot be honoured
            // and the answer is sent after `timeOut` or `maxDigits` instead.
            submit_on_hash: (listen.end_key == Some('#')).then_some(true),
            time_out: clamp(listen.timeout_seconds, DTMF_TIMEOUT),
        }),
        speech: listen.speech.then(|| SpeechSettings {
            language: listen.language.clone(),
            context: listen.hints.clone(),
            start_timeout: clamp(listen.timeout_seconds, SPEECH_START_TIMEOUT),
        }),
        event_url: [listen.action.clone()],
        event_method: "POST",
    }
}

fn record_action(record: &Record, language: Option<&str>) -> RecordAction {
    RecordAction {
        format: "mp3",
        end_on_silence: clamp(record.silence_seconds, RECORD_END_ON_SILENCE),
        // The reference accepts `*`, `#` or a single digit; another key would make the NCCO
        // invalid, so the message then ends on silence or time only.
        end_on_key: matches!(record.end_key, '0'..='9' | '*' | '#')
            .then(|| record.end_key.to_string()),
        time_out: clamp(record.max_seconds, RECORD_TIME_OUT),
        beep_start: true,
        event_url: [record.recording_callback.clone()],
        event_method: "POST",
        transcription: record
            .transcription_callback
            .as_ref()
            .map(|callback| Transcription {
                event_url: [callback.clone()],
                event_method: "POST",
                language: language.map(str::to_owned),
            }),
    }
}

#[cfg(test)]
mod tests;
