//! Turning a parsed file into a checked flow, with every check an organiser needs: references
//! that lead nowhere, states nothing leads to, loops with no way out, missing translations,
//! answers that overlap, templates naming answers no state saves, carrier words, and texts that
//! cost more SMS segments than the flow's budget. This file walks a flow's header and states;
//! each kind of check lives in the module named for it.

mod audio;
mod calls;
mod graph;
mod idle;
mod input;
mod keywords;
mod states;
mod texts;
mod zones;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;

use super::load::FileCtx;
use super::model::{Flow, GiveUp, Texts, Zones};
use super::raw::{self, RawState};
use super::text::fold;
use super::words;
use crate::compliance;
use crate::phone::Region;

pub use calls::{MESSAGE_KEY, key_of};
use graph::graph;
use idle::idle;
pub(super) use keywords::keywords;
pub use texts::as_sent;
pub(super) use zones::zones;

const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_MAX_TEXT: usize = 500;
/// A message in someone's own words may run to several texts; ten segments' worth.
const DEFAULT_MAX_MESSAGE: usize = 1600;
const DEFAULT_SEGMENT_BUDGET: usize = 1;
/// Template names that are not answers: filled in from the contact and the request.
pub const CONTACT_NAME: &str = "contact.name";
pub const REQUEST_CODE: &str = "request.code";

type RawStates = BTreeMap<String, Spanned<RawState>>;

/// Checks one file's flow; `None` when the file holds no flow or the flow cannot be built.
pub(super) fn flow(
    ctx: &mut FileCtx<'_>,
    file: raw::File,
    zones: &Arc<Zones>,
    region: Region,
) -> Option<(Flow, Range<usize>)> {
    let Some(header) = file.flow else {
        if let Some((name, state)) = file.states.iter().next() {
            ctx.error(
                &state.span(),
                format!("state `{name}` is in a file with no [flow] table"),
            );
        }
        return None;
    };
    let header_span = header.span();
    let header = header.into_inner();
    let languages = header.languages.get_ref().clone();
    if languages.is_empty() {
        ctx.error(
            &header.languages.span(),
            "list at least one language, the default first".into(),
        );
        return None;
    }
    let known = known_answers(&file.states);
    let checker = Checker {
        languages: &languages,
        own_words: &header.words,
        known: &known,
        states: &file.states,
        zones,
        budget: header.segment_budget.unwrap_or(DEFAULT_SEGMENT_BUDGET),
    };
    let segment_budget = checker.budget;
    let flow_give_up = header.on_give_up.as_ref().map_or(GiveUp::Handoff, |g| {
        checker.give_up(ctx, g, &GiveUp::Handoff)
    });
    checker.texts(ctx, &header.give_up, &header_span, "`give_up`");
    let mut triggers = Vec::new();
    if let Some(listed) = &header.triggers {
        let span = listed.span();
        for (t, language) in listed.get_ref().words() {
            let word = fold(t);
            if compliance::is_carrier_word(&word) {
                ctx.error(&span, format!("the trigger `{t}` is a carrier word (STOP, HELP and the like) and would never reach this flow"));
            }
            if let Some(lang) = language.filter(|l| !languages.contains(l)) {
                ctx.error(&span, format!("the trigger `{t}` is listed under `{lang}`, which is not one of the flow's languages"));
            }
            triggers.push((word, language.cloned()));
        }
    }
    for lang in header.words.keys().filter(|l| !languages.contains(l)) {
        ctx.error(
            &header_span,
            format!("[flow.words.{lang}] is for a language the flow does not list"),
        );
    }
    let idle = idle(ctx, &checker, &header, &header_span);
    let mut states = HashMap::new();
    for (name, raw) in &file.states {
        states.insert(name.clone(), checker.state(ctx, name, raw, &flow_give_up));
    }
    if !file.states.contains_key(header.start.get_ref()) {
        let message = format!(
            "the start state `{}` is not defined under [states]",
            header.start.get_ref()
        );
        ctx.error(&header.start.span(), message);
        return None;
    }
    graph(ctx, header.start.get_ref(), &states, &file.states);
    let flow = Flow {
        id: header.id.get_ref().clone(),
        start: header.start.into_inner(),
        words: Arc::new(words::for_languages(&languages, &header.words)),
        languages,
        states,
        give_up: Texts(header.give_up),
        triggers,
        zones: zones.clone(),
        region,
        idle,
        segment_budget,
    };
    Some((flow, header.id.span()))
}

/// Every answer some state saves, plus the language.
fn known_answers(states: &RawStates) -> BTreeSet<String> {
    let mut known = BTreeSet::from(["lang".to_string()]);
    for (name, s) in states {
        let s = s.get_ref();
        // A choice saves only what its `set` says; every other question saves its answer.
        let kind = s.expect.as_ref().map(|e| e.get_ref().as_str());
        if kind.is_some_and(|k| k != "choice") {
            known.insert(s.save.clone().unwrap_or_else(|| name.clone()));
        }
        for c in &s.choices {
            known.extend(c.get_ref().set.keys().cloned());
        }
    }
    known
}

/// What the checks of one flow share: its languages and words, the answers its states save, its
/// states by name (for references), the zones and its SMS budget.
struct Checker<'a> {
    languages: &'a [String],
    own_words: &'a BTreeMap<String, raw::RawWords>,
    known: &'a BTreeSet<String>,
    states: &'a RawStates,
    zones: &'a Zones,
    budget: usize,
}
