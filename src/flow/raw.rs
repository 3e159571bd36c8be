//! The TOML shape of a flow file, as written by organisers. `check` turns it into the model.
//! Every key is documented in docs/flows.md.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::word_list::WordList;
use toml::Spanned;

/// One file: a flow (`[flow]` and `[states.*]`), shared zones (`[zones.*]`), or both.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub flow: Option<Spanned<Header>>,
    #[serde(default)]
    pub states: BTreeMap<String, Spanned<RawState>>,
    #[serde(default)]
    pub zones: BTreeMap<String, Spanned<RawZone>>,
    pub keywords: Option<Spanned<RawKeywords>>,
}

/// Words that work at any point of any conversation, with their replies.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeywords {
    pub languages: Vec<String>,
    pub status: Option<WordList>,
    pub cancel: Option<WordList>,
    pub person: Option<WordList>,
    pub restart: Option<WordList>,
    pub thanks: Option<WordList>,
    /// Asking to be forgotten, and the reply that confirms it (`forget_ask`, `forget_done` and
    /// `forget_nothing` are what the line says).
    pub forget: Option<WordList>,
    pub forget_confirm: Option<WordList>,
    /// How `{request.status}` reads, per language and status (`[keywords.statuses.es] new =
    /// "nuevo"`); a status left out reads as its own name.
    #[serde(default)]
    pub statuses: BTreeMap<String, BTreeMap<String, String>>,
    /// Replies by name (`status`, `status_none`, `cancelled`, `cancel_none`, `person`, `thanks`,
    /// `pictures`), each a text per language.
    #[serde(default)]
    pub say: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub id: Spanned<String>,
    pub start: Spanned<String>,
    pub languages: Spanned<Vec<String>>,
    #[serde(default)]
    pub give_up: BTreeMap<String, String>,
    #[serde(default)]
    pub on_give_up: Option<Spanned<String>>,
    #[serde(default)]
    pub triggers: Option<Spanned<WordList>>,
    /// Extra yes / no / skip words per language, on top of the built-in ones.
    #[serde(default)]
    pub words: BTreeMap<String, RawWords>,
    /// Warn about any prompt longer than this many SMS segments.
    pub segment_budget: Option<usize>,
    /// After this long without a text ("2h"), send `remind`.
    pub remind_after: Option<Spanned<String>>,
    #[serde(default)]
    pub remind: BTreeMap<String, String>,
    /// After this long without a text ("24h"), the conversation ends; `expired` is sent if given.
    pub expire_after: Option<Spanned<String>>,
    #[serde(default)]
    pub expired: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawWords {
    #[serde(default)]
    pub yes: Vec<String>,
    #[serde(default)]
    pub no: Vec<String>,
    #[serde(default)]
    pub skip: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    #[serde(default)]
    pub say: BTreeMap<String, String>,
    #[serde(default)]
    pub speak: BTreeMap<String, String>,
    /// The organiser's recording of the spoken wording, per language: a file under the flows
    /// folder (`audio.en = "audio/en/need.mp3"`).
    #[serde(default)]
    pub audio: BTreeMap<String, Spanned<String>>,
    pub expect: Option<Spanned<String>>,
    #[serde(default)]
    pub choices: Vec<Spanned<RawChoice>>,
    pub next: Option<Spanned<String>>,
    #[serde(default)]
    pub branches: Vec<RawBranch>,
    pub save: Option<String>,
    #[serde(default)]
    pub optional: bool,
    pub max_length: Option<usize>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    #[serde(default)]
    pub invalid: BTreeMap<String, String>,
    /// Said once a message is left, in a state that takes one.
    #[serde(default)]
    pub thanks: BTreeMap<String, String>,
    pub max_attempts: Option<u32>,
    pub on_give_up: Option<Spanned<String>>,
    pub action: Option<Spanned<RawAction>>,
    #[serde(default)]
    pub end: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    #[serde(rename = "match")]
    pub words: WordList,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    pub next: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBranch {
    pub when: Spanned<BTreeMap<String, String>>,
    pub next: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    pub create_request: Option<RawCreateRequest>,
    pub set_name: Option<String>,
    pub handoff: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCreateRequest {
    pub queue: String,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub priority: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZone {
    #[serde(default)]
    pub postal_codes: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
}
