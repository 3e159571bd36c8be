//! `[voice]` in the settings: how the line speaks and hears each language on a call, how long it
//! listens, and what it says that no flow does.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::dispatch::MAIN_LANGUAGE;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSettings {
    /// By the flows' language code (`es`).
    pub languages: BTreeMap<String, Spoken>,
    /// Seconds of quiet before a question counts as unanswered.
    pub listen_seconds: u32,
    /// Unanswered questions in a row before the line says goodbye.
    pub silences: u32,
    /// The longest message a caller may leave, in seconds.
    pub max_message_seconds: u32,
    /// Whether the provider is asked to write messages down (it may charge for it); the words
    /// are shown beside the recording.
    pub transcribe: bool,
    /// A free answer heard with less confidence than this (0 to 1) is read back to the caller.
    pub read_back_below: f32,
    /// What the line says on a call that no flow says, by language.
    pub texts: BTreeMap<String, CallTexts>,
}

/// How one language sounds on a call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spoken {
    /// The provider's tag for the language, for its speech and its recogniser (BCP 47: `es-MX`).
    pub speech: String,
    /// One of the provider's voices (`Polly.Mia`); without one, the provider's default.
    #[serde(default)]
    pub voice: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallTexts {
    /// Said before hanging up on a caller who said nothing.
    pub goodbye: String,
    /// Said once, after the first question: how to leave a message instead.
    pub message_offer: String,
    /// Said before recording a message.
    pub message_prompt: String,
    /// Said once the message is recorded.
    pub message_thanks: String,
    /// Texted, before the question they were at, to a caller who hung up mid-way.
    pub carry_on: String,
    /// Said back when a free answer was heard with little confidence; `{words}` is what was heard.
    pub heard: String,
    /// Said, in every language, to a caller who hid their number: without it the line can
    /// neither text them nor call them back.
    pub hidden_number: String,
}

impl VoiceSettings {
    /// How `language` is spoken, else the main language's way, else US English.
    pub fn spoken(&self, language: &str) -> Spoken {
        self.languages
            .get(language)
            .or_else(|| self.languages.get(MAIN_LANGUAGE))
            .cloned()
            .unwrap_or_else(|| Spoken {
                speech: "en-US".into(),
                voice: None,
            })
    }

    /// The call texts of every language, the main language's first.
    pub fn texts_main_first(&self) -> impl Iterator<Item = (&String, &CallTexts)> {
        let main = self.texts.get_key_value(MAIN_LANGUAGE);
        let others = self.texts.iter().filter(|(l, _)| *l != MAIN_LANGUAGE);
        main.into_iter().chain(others)
    }

    /// The call texts in `language`, else the main language's.
    pub fn texts(&self, language: &str) -> Option<&CallTexts> {
        self.texts
            .get(language)
            .or_else(|| self.texts.get(MAIN_LANGUAGE))
    }
}
