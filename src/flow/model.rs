//! A checked flow, ready for the engine. The TOML it is read from is described in `raw`.

use crate::lifecycle::RequestStatus;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use std::time::Duration;

use super::audio::Recording;
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
    /// Folded words that start this flow when no conversation is going on, each with the
    /// language it starts in, if it is a word of one.
    pub triggers: Vec<(String, Option<String>)>,
    pub words: Arc<Words>,
    pub zones: Arc<Zones>,
    /// For `expect = "phone"` answers written without a country code.
    pub region: Region,
    /// What happens when someone goes quiet mid-conversation.
    pub idle: Idle,
    /// How many SMS segments one of its texts may cost before the check warns.
    pub segment_budget: usize,
}

/// What a quiet conversation's timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    Remind,
    Expire,
}

/// Reminding someone who went quiet, and ending the conversation if they stay quiet.
#[derive(Debug, Clone, Default)]
pub struct Idle {
    pub remind_after: Option<Duration>,
    pub remind: Texts,
    pub expire_after: Option<Duration>,
    pub expired: Texts,
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

impl Idle {
    /// The first thing to do if someone last heard from at `last` stays quiet, and when.
    pub fn first_timer(&self, last: i64) -> Option<(TimerKind, i64)> {
        match (self.remind_after, self.expire_after) {
            (Some(remind), _) => Some((TimerKind::Remind, last + millis(remind))),
            (None, Some(expire)) => Some((TimerKind::Expire, last + millis(expire))),
            (None, None) => None,
        }
    }

    /// After a reminder meant for `reminded_at`, when the conversation ends, if it does.
    pub fn expiry_after_reminder(&self, reminded_at: i64) -> Option<i64> {
        let last = reminded_at - millis(self.remind_after?);
        Some(last + millis(self.expire_after?))
    }
}

impl Flow {
    pub fn default_language(&self) -> &str {
        &self.languages[0]
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub say: Texts,
    /// How `say` is worded on a call, where it differs ("Press 1"); else `say` is spoken.
    pub speak: Texts,
    /// Played on a call instead of speaking the words, per language, where the organiser
    /// recorded them.
    pub audio: BTreeMap<String, Recording>,
    pub input: Input,
    /// The answer's name; the state's own name unless `save` says otherwise.
    pub save_as: String,
    /// A skip word moves on without an answer.
    pub optional: bool,
    pub next: Option<String>,
    /// Checked in order after an answer (or on arrival, for a state that waits for nothing).
    pub branches: Vec<Branch>,
    pub invalid: Texts,
    /// Said once a message is left, in a state that takes one.
    pub thanks: Texts,
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
    /// A message in the contact's own words, for a person: typed in a text, recorded on a call.
    /// Once it is left the conversation goes to a person.
    Message {
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveUp {
    /// A person takes over: the conversation lands on the `handoff` queue.
    Handoff,
    /// The conversation just ends.
    End,
    /// The conversation goes on at another state (one that takes a message, typically).
    GoTo(String),
}

/// What happens on arriving in a state: the name is remembered and the request created before
/// its text is said (so the text can use them), the hand-off after.
#[derive(Debug, Clone, Default)]
pub struct Actions {
    pub create_request: Option<CreateRequest>,
    /// Remember a name to use for the contact (a template, e.g. `"{name}"`).
    pub set_name: Option<String>,
    /// Hand the conversation to a person, with this reason (after the message, in a state that
    /// takes one).
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
    /// The zone a folded answer names: an exact postal code or a name first, else the zone with
    /// the longest matching prefix, so `02118` can belong to one zone while `0211*` covers the
    /// rest of its neighbours.
    pub fn find(&self, folded: &str) -> Option<&Zone> {
        let compact: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
        let exact = self.0.iter().find(|z| {
            z.names.iter().any(|n| n == folded) || z.postal_codes.iter().any(|c| c == &compact)
        });
        exact.or_else(|| {
            self.0
                .iter()
                .filter_map(|z| {
                    let longest = z
                        .postal_codes
                        .iter()
                        .filter_map(|c| c.strip_suffix('*'))
                        .filter(|prefix| compact.starts_with(prefix))
                        .map(str::len)
                        .max()?;
                    Some((longest, z))
                })
                .max_by_key(|(len, _)| *len)
                .map(|(_, z)| z)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a global keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// How is my request doing?
    Status,
    /// Cancel my open request (never a bare CANCEL: carriers read that as STOP).
    Cancel,
    /// Let me talk to a person.
    Person,
    /// Start the conversation again.
    Restart,
    /// Thanks, outside a conversation: answered briefly, never taken for a new request.
    Thanks,
}

/// The words by which someone asks the line to forget their number: first the ask, then, to
/// be sure, a reply that confirms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forget {
    Ask,
    Confirm,
}

/// Global keywords, folded, each with the language it is a word of, if listed under one; their
/// replies; and how request statuses read in each language.
#[derive(Debug, Clone, Default)]
pub struct Keywords {
    pub words: Vec<(String, Keyword, Option<String>)>,
    /// The words to be forgotten by, kept apart: they are heard before a volunteer's commands
    /// and never on a call.
    pub forget: Vec<(String, Forget, Option<String>)>,
    pub languages: Vec<String>,
    pub say: BTreeMap<String, Texts>,
    pub statuses: BTreeMap<String, BTreeMap<RequestStatus, String>>,
}

impl Keywords {
    pub fn classify(&self, folded: &str) -> Option<Keyword> {
        self.words
            .iter()
            .find(|(w, _, _)| w == folded)
            .map(|(_, k, _)| *k)
    }

    /// The language `folded` is a keyword of, if it is listed under one (ESTADO: Spanish).
    pub fn language_of(&self, folded: &str) -> Option<&str> {
        let words = self.words.iter().map(|(w, _, l)| (w, l));
        let forget = self.forget.iter().map(|(w, _, l)| (w, l));
        words
            .chain(forget)
            .find(|(w, _)| *w == folded)
            .and_then(|(_, language)| language.as_deref())
    }

    /// Whether `folded` asks to be forgotten, or confirms it.
    pub fn forget_word(&self, folded: &str) -> Option<Forget> {
        self.forget
            .iter()
            .find(|(w, _, _)| w == folded)
            .map(|(_, f, _)| *f)
    }

    /// How `status` reads in `language`: the group's word for it, else its own name.
    pub fn status<'a>(&'a self, status: RequestStatus, language: &str) -> &'a str {
        self.statuses
            .get(language)
            .and_then(|words| words.get(&status))
            .map_or(status.as_str(), String::as_str)
    }

    /// The reply called `name` in `language`, if the keywords file gives one.
    pub fn reply(&self, name: &str, language: &str) -> Option<&str> {
        let default = self.languages.first().map_or("en", String::as_str);
        self.say.get(name)?.get(language, default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str, codes: &[&str], names: &[&str]) -> Zone {
        Zone {
            name: name.into(),
            postal_codes: codes.iter().map(|c| c.to_string()).collect(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn an_exact_code_beats_a_prefix_and_the_longest_prefix_wins() {
        let zones = Zones(vec![
            zone("downtown", &["0211*"], &["downtown"]),
            zone("southside", &["02118"], &[]),
            zone("harbour", &["02110*"], &[]),
        ]);
        assert_eq!(zones.find("02118").unwrap().name, "southside");
        assert_eq!(zones.find("02115").unwrap().name, "downtown");
        assert_eq!(zones.find("021104").unwrap().name, "harbour");
        assert_eq!(zones.find("downtown").unwrap().name, "downtown");
        assert!(zones.find("90210").is_none());
    }
}
