//! A checked flow, ready for the engine. The TOML it is read from is described in `raw`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::phone::Region;

/// Texts in several languages; a missing translation falls back to the flow's default language
/// (the checker reports missing ones, so this is a safety net).
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

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(l, t)| (l.as_str(), t.as_str()))
    }
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    pub start: String,
    /// The first is the default.
    pub languages: Vec<String>,
    pub states: HashMap<String, State>,
    /// Said when someone runs out of attempts.
    pub give_up: Texts,
    /// Folded words that start this flow when no conversation is going on.
    pub triggers: Vec<String>,
    pub words: Arc<Words>,
    pub zones: Arc<Zones>,
    /// For `expect = "phone"` answers written without a country code.
    pub region: Region,
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
    /// The answer's name; the state's own name unless `save` says otherwise.
    pub save_as: String,
    /// A skip word moves on without an answer.
    pub optional: bool,
    pub next: Option<String>,
    /// Checked in order after an answer (or on arrival, for a state that waits for nothing).
    pub branches: Vec<Branch>,
    pub invalid: Texts,
    pub max_attempts: u32,
    pub on_give_up: GiveUp,
    pub actions: Actions,
    pub end: bool,
}

/// What a state waits for before moving on.
#[derive(Debug, Clone)]
pub enum Input {
    /// Nothing: the state says its text and moves on (or ends).
    None,
    Choice(Vec<Choice>),
    Text {
        max_length: usize,
    },
    Number {
        min: i64,
        max: i64,
    },
    YesNo,
    Phone,
    Zone,
}

#[derive(Debug, Clone)]
pub struct Choice {
    /// Folded with [`crate::flow::text::fold`]; every language's words are accepted.
    pub words: Vec<String>,
    /// Answers to save; the key `lang` also switches the conversation's language.
    pub set: BTreeMap<String, String>,
    pub next: Option<String>,
}

/// Go to `next` when every answer named in `when` has the given value.
#[derive(Debug, Clone)]
pub struct Branch {
    pub when: BTreeMap<String, String>,
    pub next: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// A person takes over: the conversation lands on the `handoff` queue.
    Handoff,
    /// The conversation just ends.
    End,
}

/// What happens on arriving in a state, after its text is said.
#[derive(Debug, Clone, Default)]
pub struct Actions {
    pub create_request: Option<CreateRequest>,
    /// Remember a name to use for the contact (a template, e.g. `"{name}"`).
    pub set_name: Option<String>,
    /// Hand the conversation to a person, with this reason.
    pub handoff: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// May name answers, e.g. `"{need}"`.
    pub queue: String,
    /// The answers copied onto the request; the rest stay with the conversation.
    pub fields: Vec<String>,
    pub priority: i64,
}

/// Yes, no and skip, folded, across the flow's languages.
#[derive(Debug, Clone, Default)]
pub struct Words {
    pub yes: Vec<String>,
    pub no: Vec<String>,
    pub skip: Vec<String>,
}

/// Areas a neighbour can be in, recognised by postal code or by name.
#[derive(Debug, Clone, Default)]
pub struct Zones(pub(crate) Vec<Zone>);

#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    /// Exact codes, or prefixes ending in `*` (`021*`).
    pub postal_codes: Vec<String>,
    /// Folded names people may text instead of a code.
    pub names: Vec<String>,
}

impl Zones {
    /// The zone a folded answer names, by postal code or by name.
    pub fn find(&self, folded: &str) -> Option<&Zone> {
        let compact: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
        self.0.iter().find(|z| {
            z.names.iter().any(|n| n == folded)
                || z.postal_codes
                    .iter()
                    .any(|code| match code.strip_suffix('*') {
                        Some(prefix) => compact.starts_with(prefix),
                        None => &compact == code,
                    })
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
