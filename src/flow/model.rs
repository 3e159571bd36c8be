//! A checked flow, ready for the engine. The TOML shape it is read from lives in `load`.

use std::collections::{BTreeMap, HashMap};

/// Texts in several languages; a missing translation falls back to the flow's default language.
#[derive(Debug, Clone, Default)]
pub struct Texts(pub(crate) BTreeMap<String, String>);

impl Texts {
    pub fn get<'a>(&'a self, language: &str, default_language: &str) -> Option<&'a str> {
        self.0
            .get(language)
            .or_else(|| self.0.get(default_language))
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    pub start: String,
    /// The first is the default.
    pub languages: Vec<String>,
    pub states: HashMap<String, State>,
    /// Said when someone runs out of attempts and is handed to a person.
    pub give_up: Texts,
}

impl Flow {
    pub fn default_language(&self) -> &str {
        &self.languages[0]
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub say: Texts,
    pub input: Input,
    pub next: Option<String>,
    pub invalid: Texts,
    pub max_attempts: u32,
    pub create_request: Option<CreateRequest>,
    pub end: bool,
}

/// What a state waits for before moving on.
#[derive(Debug, Clone)]
pub enum Input {
    /// Nothing: the state says its text and moves on (or ends).
    None,
    Choice(Vec<Choice>),
    Text {
        save_as: String,
        max_length: usize,
    },
}

#[derive(Debug, Clone)]
pub struct Choice {
    /// Folded with [`crate::flow::text::fold`], so matching ignores case and accents.
    pub words: Vec<String>,
    /// Answers to save; the key `lang` also switches the conversation's language.
    pub set: BTreeMap<String, String>,
    pub next: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// May name answers, e.g. `"{need}"`.
    pub queue: String,
    /// The answers copied onto the request; the rest stay with the conversation.
    pub fields: Vec<String>,
}
