//! One turn of a call in the flow's terms: what the caller's keys mean as an answer, and what the
//! line does next: say its replies, then wait on the question the caller is at, or hang up when
//! the conversation is over.

use super::{Listen, Record, Script, Speech, Step, VoiceSettings};
use crate::flow::Words;
use crate::flow::key_of;
use crate::flow::text::render;
use crate::flow::{Flow, Input, State};
use crate::gateway::Heard;

/// The key that skips an optional question on a call, as SKIP does in a text.
pub const SKIP_KEY: &str = "*";

/// What a caller's keys answer to `state`, as the words a text would use: a choice's key is
/// one of its words already, 1 and 2 are yes and no, `*` skips, and digits ended by `#` are the
/// number typed.
pub fn keys_as_answer(state: &State, words: &Words, keys: &str) -> String {
    let keys = keys.trim_end_matches('#');
    let first = |list: &[String]| list.first().cloned().unwrap_or_else(|| keys.to_string());
    match (&state.input, keys) {
        (_, SKIP_KEY) => first(&words.skip),
        (Input::YesNo, "1") => first(&words.yes),
        (Input::YesNo, "2") => first(&words.no),
        _ => keys.to_string(),
    }
}

/// What a caller gave, as the words a text would have carried, for the question of `asked` (the
/// flow and state the caller was at, if any).
pub fn heard_as_text(heard: &Heard, asked: Option<(&Flow, &State)>) -> String {
    match heard {
        Heard::Nothing => String::new(),
        Heard::Keys(keys) => match asked {
            Some((flow, state)) => keys_as_answer(state, &flow.words, keys),
            None => keys.clone(),
        },
        Heard::Speech { text, .. } => text.clone(),
    }
}

/// What to say back first when `heard` is a free answer to `asked` that the recogniser was unsure
/// of: the caller hears what was taken down.
pub fn read_back(
    settings: &VoiceSettings,
    heard: &Heard,
    asked: Option<&State>,
    language: &str,
) -> Option<String> {
    let Heard::Speech {
        text,
        confidence: Some(confidence),
    } = heard
    else {
        return None;
    };
    let free = matches!(asked?.input, Input::Text { .. } | Input::Message { .. });
    if !free || *confidence >= settings.read_back_below {
        return None;
    }
    let template = &settings.texts(language)?.heard;
    // The template ends the sentence; a recogniser often ends it too.
    let words = text.trim_end_matches(['.', '!', '?', ' ']);
    Some(render(template, |k| (k == "words").then_some(words)))
}

/// One reply on a call: its words, and the address of the organiser's recording of them, which
/// is played instead where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub text: String,
    pub recording: Option<String>,
}

impl From<String> for Said {
    fn from(text: String) -> Said {
        Said {
            text,
            recording: None,
        }
    }
}

/// What the line answers on this turn.
pub struct Turn<'a> {
    /// What the line said back, in order.
    pub replies: &'a [Said],
    /// The question the caller is now at; `None` when the conversation is over.
    pub waiting: Option<&'a State>,
    /// The conversation's language, or the caller's.
    pub language: &'a str,
    /// The absolute address the answer to the question goes to.
    pub action: String,
}

/// The call's next moves. `hears_speech` is false for a provider that takes keys only.
pub fn compose(turn: &Turn<'_>, settings: &VoiceSettings, hears_speech: bool) -> Script {
    let prompt = speak_all(settings, turn.language, turn.replies);
    let Some(state) = turn.waiting else {
        let mut steps = prompt;
        steps.push(Step::Hangup);
        return Script { steps };
    };
    let spoken = settings.spoken(turn.language);
    // A free answer is said, and a key there is only ever one: star to skip, 0 for a message.
    let (max_keys, end_key) = match &state.input {
        Input::Choice(_) | Input::YesNo | Input::Text { .. } | Input::Message { .. } => {
            (Some(1), None)
        }
        _ => (None, Some('#')),
    };
    let hints = match &state.input {
        Input::Choice(choices) => choices
            .iter()
            .flat_map(|c| c.words.iter().filter(|w| Some(w.as_str()) != key_of(c)))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    Script {
        steps: vec![Step::Listen(Listen {
            prompt,
            keys: true,
            speech: hears_speech,
            max_keys,
            end_key,
            timeout_seconds: settings.listen_seconds,
            language: spoken.speech,
            hints,
            action: turn.action.clone(),
        })],
    }
}

/// Where the provider posts about a message being left: when recording ends (the call goes on
/// from its answer), when the audio is ready, and with its transcription if asked for.
pub struct MessageAddresses {
    pub done: String,
    pub recording: String,
    pub transcription: Option<String>,
}

/// Records a message: `prompt` (what to do), the tone, and thanks if the caller stays on the
/// line.
pub fn message(
    settings: &VoiceSettings,
    language: &str,
    prompt: &[Said],
    to: MessageAddresses,
) -> Script {
    let Some(texts) = settings.texts(language) else {
        return Script::default();
    };
    let prompt = speak_all(settings, language, prompt);
    Script {
        steps: prompt
            .into_iter()
            .chain([
                Step::Record(Record {
                    max_seconds: settings.max_message_seconds,
                    silence_seconds: 5,
                    end_key: '#',
                    action: to.done,
                    recording_callback: to.recording,
                    transcription_callback: to.transcription,
                }),
                say(settings, language, &texts.message_thanks),
                Step::Hangup,
            ])
            .collect(),
    }
}

/// Each of `replies`: played where it is recorded, else said.
fn speak_all(settings: &VoiceSettings, language: &str, replies: &[Said]) -> Vec<Step> {
    replies
        .iter()
        .map(|said| match &said.recording {
            Some(url) => Step::Play { url: url.clone() },
            None => say(settings, language, &said.text),
        })
        .collect()
}

/// Says one of the call texts in every language the line speaks, the main one first, each in its
/// own voice, and hangs up: for a caller whose language nothing tells.
pub fn in_every_language(
    settings: &VoiceSettings,
    text: impl Fn(&super::CallTexts) -> &String,
) -> Script {
    let said: Vec<(&str, &str)> = settings
        .texts_main_first()
        .map(|(language, texts)| (language.as_str(), text(texts).as_str()))
        .collect();
    say_each(settings, &said)
}

/// Says each (language, words) in its language's voice, and hangs up.
pub fn say_each(settings: &VoiceSettings, said: &[(&str, &str)]) -> Script {
    let mut steps: Vec<Step> = said
        .iter()
        .map(|(language, text)| say(settings, language, text))
        .collect();
    steps.push(Step::Hangup);
    Script { steps }
}

/// Says `text` and hangs up.
pub fn farewell(settings: &VoiceSettings, language: &str, text: &str) -> Script {
    Script {
        steps: vec![say(settings, language, text), Step::Hangup],
    }
}

fn say(settings: &VoiceSettings, language: &str, text: &str) -> Step {
    let spoken = settings.spoken(language);
    Step::Say(Speech {
        text: text.to_string(),
        language: spoken.speech,
        voice: spoken.voice,
    })
}

#[cfg(test)]
mod tests;
