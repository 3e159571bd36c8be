//! Turning a parsed file into a checked flow, with every check an organiser needs: references
//! that lead nowhere, states nothing leads to, loops with no way out, missing translations,
//! answers that overlap, templates naming answers no state saves, carrier words, and texts that
//! cost more SMS segments than the flow's budget.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;

use super::load::FileCtx;
use super::model::{
    Actions, Branch, Choice, CreateRequest, Flow, GiveUp, Idle, Input, Keyword, Keywords, State,
    Texts, Zone, Zones,
};
use super::raw::{self, RawState};
use super::segments;
use super::text::{fold, placeholders, render};
use super::words;
use crate::compliance;
use crate::phone::Region;

const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_MAX_TEXT: usize = 500;
const DEFAULT_SEGMENT_BUDGET: usize = 1;
/// Template names that are not answers: filled in from the contact and the request.
pub const CONTACT_NAME: &str = "contact.name";
pub const REQUEST_CODE: &str = "request.code";

type RawStates = BTreeMap<String, Spanned<RawState>>;

/// Collects `[zones.*]`, refusing a name used twice or a zone nobody could name.
pub(super) fn zones(
    ctx: &mut FileCtx<'_>,
    raw: BTreeMap<String, Spanned<raw::RawZone>>,
    out: &mut Vec<Zone>,
) {
    for (name, zone) in raw {
        let span = zone.span();
        let zone = zone.into_inner();
        if out.iter().any(|z| z.name == name) {
            ctx.error(&span, format!("the zone `{name}` is defined twice"));
            continue;
        }
        if zone.postal_codes.is_empty() && zone.names.is_empty() {
            ctx.error(
                &span,
                format!("the zone `{name}` lists no postal_codes and no names"),
            );
        }
        out.push(Zone {
            name,
            postal_codes: zone.postal_codes.iter().map(|c| postal_code(c)).collect(),
            names: zone.names.iter().map(|n| fold(n)).collect(),
        });
    }
}

/// The replies a keywords table may give.
const KEYWORD_REPLIES: &[&str] = &[
    "status",
    "status_none",
    "cancelled",
    "cancel_none",
    "person",
    "pictures",
];

/// Checks the `[keywords]` table: no carrier words, no word with two meanings, replies known
/// and translated.
pub(super) fn keywords(ctx: &mut FileCtx<'_>, raw: Spanned<raw::RawKeywords>) -> Keywords {
    let span = raw.span();
    let raw = raw.into_inner();
    let mut words: Vec<(String, Keyword)> = Vec::new();
    let lists = [
        (&raw.status, Keyword::Status),
        (&raw.cancel, Keyword::Cancel),
        (&raw.person, Keyword::Person),
        (&raw.restart, Keyword::Restart),
    ];
    for (list, keyword) in lists {
        for word in list {
            let folded = fold(word);
            if compliance::is_carrier_word(&folded) {
                ctx.error(&span, format!("the keyword `{word}` is a carrier word (STOP, CANCEL, END, QUIT, HELP and the like): carriers act on it before we see it; use two words, such as \"cancel request\""));
            } else if words.iter().any(|(w, _)| w == &folded) {
                ctx.error(&span, format!("the keyword `{word}` is listed twice"));
            }
            words.push((folded, keyword));
        }
    }
    let known = BTreeSet::from(["request.status".to_string()]);
    let (no_states, no_words) = (BTreeMap::new(), BTreeMap::new());
    let replies = Checker {
        languages: &raw.languages,
        own_words: &no_words,
        known: &known,
        states: &no_states,
        zones: &Zones::default(),
        budget: DEFAULT_SEGMENT_BUDGET,
    };
    let mut say = BTreeMap::new();
    for (name, texts) in raw.say {
        if !KEYWORD_REPLIES.contains(&name.as_str()) {
            ctx.error(
                &span,
                format!(
                    "[keywords.say] has `{name}`, which is not a reply; use {}",
                    KEYWORD_REPLIES.join(", ")
                ),
            );
        }
        // Replies get the checks prompts get: translations, placeholders, carrier words, SMS cost.
        let what = format!("the keyword reply `{name}`");
        replies.texts(ctx, &texts, &span, &what);
        say.insert(name, Texts(texts));
    }
    Keywords {
        words,
        languages: raw.languages,
        say,
    }
}

/// A postal code as the zone matcher compares it: folded, no spaces, a trailing `*` kept.
fn postal_code(code: &str) -> String {
    let mut folded: String = fold(code).chars().filter(|c| !c.is_whitespace()).collect();
    if code.trim().ends_with('*') {
        folded.push('*');
    }
    folded
}

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
    let flow_give_up = header.on_give_up.as_ref().map_or(GiveUp::Handoff, |g| {
        checker.give_up(ctx, g, GiveUp::Handoff)
    });
    checker.texts(ctx, &header.give_up, &header_span, "`give_up`");
    let mut triggers = Vec::new();
    for t in &header.triggers {
        let word = fold(t.get_ref());
        if compliance::is_carrier_word(&word) {
            ctx.error(&t.span(), format!("the trigger `{}` is a carrier word (STOP, HELP and the like) and would never reach this flow", t.get_ref()));
        }
        triggers.push(word);
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
        states.insert(name.clone(), checker.state(ctx, name, raw, flow_give_up));
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
    };
    Some((flow, header.id.span()))
}

/// `remind_after` / `expire_after` and their texts.
fn idle(
    ctx: &mut FileCtx<'_>,
    checker: &Checker<'_>,
    header: &raw::Header,
    span: &Range<usize>,
) -> Idle {
    let mut duration = |key: &str, raw: &Option<Spanned<String>>| {
        let raw = raw.as_ref()?;
        match humantime::parse_duration(raw.get_ref()) {
            Ok(d) if !d.is_zero() => Some(d),
            _ => {
                let message = format!(
                    "`{key} = \"{}\"` is not a length of time; write it like \"30m\", \"2h\" or \"1day\"",
                    raw.get_ref()
                );
                ctx.error(&raw.span(), message);
                None
            }
        }
    };
    let remind_after = duration("remind_after", &header.remind_after);
    let expire_after = duration("expire_after", &header.expire_after);
    if let (Some(remind), Some(expire)) = (remind_after, expire_after)
        && remind >= expire
    {
        ctx.error(span, "`remind_after` must be shorter than `expire_after`, or the reminder would never be sent".into());
    }
    if remind_after.is_some() && header.remind.is_empty() {
        ctx.error(
            span,
            "`remind_after` is set but there is no `remind` text to send".into(),
        );
    }
    checker.texts(ctx, &header.remind, span, "the `remind` text");
    checker.texts(ctx, &header.expired, span, "the `expired` text");
    Idle {
        remind_after,
        remind: Texts(header.remind.clone()),
        expire_after,
        expired: Texts(header.expired.clone()),
    }
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

struct Checker<'a> {
    languages: &'a [String],
    own_words: &'a BTreeMap<String, raw::RawWords>,
    known: &'a BTreeSet<String>,
    states: &'a RawStates,
    zones: &'a Zones,
    budget: usize,
}

impl Checker<'_> {
    /// Reads `on_give_up`; a bad value is reported and `otherwise` stands in, so checking goes on.
    fn give_up(&self, ctx: &mut FileCtx<'_>, raw: &Spanned<String>, otherwise: GiveUp) -> GiveUp {
        match raw.get_ref().as_str() {
            "handoff" => GiveUp::Handoff,
            "end" => GiveUp::End,
            other => {
                ctx.error(
                    &raw.span(),
                    format!(
                        "`on_give_up = \"{other}\"` is not an option; use \"handoff\" or \"end\""
                    ),
                );
                otherwise
            }
        }
    }

    /// Languages, translations, templates, carrier words and the SMS budget of one set of texts.
    fn texts(
        &self,
        ctx: &mut FileCtx<'_>,
        texts: &BTreeMap<String, String>,
        span: &Range<usize>,
        what: &str,
    ) {
        if texts.is_empty() {
            return;
        }
        for lang in texts.keys() {
            if !self.languages.contains(lang) {
                ctx.error(
                    span,
                    format!(
                        "{what} has a text in `{lang}`, which is not one of the flow's languages"
                    ),
                );
            }
        }
        for lang in self.languages {
            if !texts.contains_key(lang) {
                ctx.error(span, format!("{what} has no `{lang}` text"));
            }
        }
        for (lang, text) in texts {
            self.template(ctx, text, span, &format!("{what} ({lang})"));
            if asks_for_carrier_word(text) {
                ctx.error(span, format!("{what} ({lang}) asks for CANCEL, END or QUIT, which carriers treat as STOP: ask for another word"));
            }
            let cost = segments::count(&as_sent(text));
            if cost.count > self.budget {
                let why = match cost.forcing_ucs2 {
                    Some(c) => format!(
                        "UCS-2, because {} is not in the GSM alphabet",
                        segments::describe(c)
                    ),
                    None => format!("GSM-7, {} septets", cost.units),
                };
                ctx.warn(
                    span,
                    format!(
                        "{what} ({lang}) takes {} SMS segments ({why}); the budget is {}",
                        cost.count, self.budget
                    ),
                );
            }
        }
    }

    fn template(&self, ctx: &mut FileCtx<'_>, text: &str, span: &Range<usize>, what: &str) {
        for name in placeholders(text) {
            let answer = name.split('|').next().unwrap_or_default();
            if answer != CONTACT_NAME && answer != REQUEST_CODE && !self.known.contains(answer) {
                ctx.error(
                    span,
                    format!(
                        "{what} uses `{{{answer}}}`, but no state saves an answer by that name"
                    ),
                );
            }
        }
    }

    fn next(&self, ctx: &mut FileCtx<'_>, next: &Spanned<String>) -> String {
        if !self.states.contains_key(next.get_ref()) {
            ctx.error(
                &next.span(),
                format!(
                    "`next` points to `{}`, which is not a state in this flow",
                    next.get_ref()
                ),
            );
        }
        next.get_ref().clone()
    }

    fn state(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        raw: &Spanned<RawState>,
        flow_give_up: GiveUp,
    ) -> State {
        let span = raw.span();
        let raw = raw.get_ref();
        let what = format!("state `{name}`");
        self.texts(ctx, &raw.say, &span, &what);
        self.texts(
            ctx,
            &raw.invalid,
            &span,
            &format!("the `invalid` text of state `{name}`"),
        );
        let next = raw.next.as_ref().map(|n| self.next(ctx, n));
        let input = self.input(ctx, name, raw, &span);
        self.misplaced_keys(ctx, name, raw, &input, &span);
        let mut branches = Vec::new();
        for b in &raw.branches {
            for key in b.when.get_ref().keys() {
                if !self.known.contains(key) {
                    ctx.error(&b.when.span(), format!("a branch of state `{name}` tests `{key}`, but no state saves an answer by that name"));
                }
            }
            branches.push(Branch {
                when: b.when.get_ref().clone(),
                next: self.next(ctx, &b.next),
            });
        }
        if let Input::Choice(choices) = &input
            && next.is_none()
            && !raw.end
            && choices.iter().any(|c| c.next.is_none())
        {
            ctx.error(
                &span,
                format!("a choice in state `{name}` has no `next`, and neither has the state"),
            );
        }
        let actions = self.actions(ctx, name, raw);
        let terminal = raw.end || actions.handoff.is_some();
        let asks = !matches!(input, Input::None);
        if asks && terminal {
            let what = if raw.end {
                "`end = true`"
            } else {
                "a `handoff` action"
            };
            ctx.error(&span, format!("state `{name}` asks a question but has {what}, so the conversation would end before the answer comes"));
        }
        if asks && !branches.is_empty() && next.is_none() && !matches!(input, Input::Choice(_)) {
            ctx.error(&span, format!("state `{name}` has branches but no `next` for an answer that matches none of them"));
        }
        if raw.optional && next.is_none() && matches!(input, Input::Choice(_)) {
            ctx.error(
                &span,
                format!(
                    "state `{name}` is optional, so it needs a `next` for someone who skips it"
                ),
            );
        }
        if matches!(input, Input::None) && next.is_none() && branches.is_empty() && !terminal {
            ctx.error(
                &span,
                format!(
                    "state `{name}` waits for nothing and has no `next`; add `next` or `end = true`"
                ),
            );
        }
        if !matches!(input, Input::None | Input::Choice(_))
            && next.is_none()
            && branches.is_empty()
            && !terminal
        {
            ctx.error(
                &span,
                format!("state `{name}` takes an answer but has no `next`"),
            );
        }
        if raw.optional && matches!(input, Input::None) {
            ctx.error(
                &span,
                format!("state `{name}` is optional but asks nothing"),
            );
        }
        let on_give_up = raw
            .on_give_up
            .as_ref()
            .map_or(flow_give_up, |g| self.give_up(ctx, g, flow_give_up));
        State {
            say: Texts(raw.say.clone()),
            input,
            save_as: raw.save.clone().unwrap_or_else(|| name.to_string()),
            optional: raw.optional,
            next,
            branches,
            invalid: Texts(raw.invalid.clone()),
            max_attempts: raw.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1),
            on_give_up,
            actions,
            end: raw.end,
        }
    }

    /// Keys that only mean something for another kind of question would be silently ignored;
    /// an organiser who wrote them expects them to work, so say so.
    fn misplaced_keys(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        raw: &RawState,
        input: &Input,
        span: &Range<usize>,
    ) {
        let mut misplaced = Vec::new();
        if !raw.choices.is_empty() && !matches!(input, Input::Choice(_)) {
            misplaced.push("choices");
        }
        if raw.save.is_some() && matches!(input, Input::None | Input::Choice(_)) {
            misplaced.push("save");
        }
        if (raw.min.is_some() || raw.max.is_some()) && !matches!(input, Input::Number { .. }) {
            misplaced.push("min/max");
        }
        if raw.max_length.is_some() && !matches!(input, Input::Text { .. }) {
            misplaced.push("max_length");
        }
        for key in misplaced {
            ctx.error(
                span,
                format!("state `{name}` has `{key}`, which does nothing for this kind of question"),
            );
        }
    }

    /// Reads `expect`; an unknown kind is reported and the state treated as asking nothing, so
    /// the rest of the flow is still checked.
    fn input(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        raw: &RawState,
        span: &Range<usize>,
    ) -> Input {
        let Some(expect) = raw.expect.as_ref() else {
            return Input::None;
        };
        let espan = expect.span();
        match expect.get_ref().as_str() {
            "choice" => Input::Choice(self.choices(ctx, name, raw, &espan)),
            "text" => Input::Text {
                max_length: raw.max_length.unwrap_or(DEFAULT_MAX_TEXT).max(1),
            },
            "number" => {
                let (min, max) = (raw.min.unwrap_or(i64::MIN), raw.max.unwrap_or(i64::MAX));
                if min > max {
                    ctx.error(span, format!("state `{name}` has `min` above `max`"));
                }
                Input::Number { min, max }
            }
            "yes_no" => {
                for lang in self.languages {
                    let own = self
                        .own_words
                        .get(lang)
                        .is_some_and(|w| !w.yes.is_empty() && !w.no.is_empty());
                    if !words::has_built_in(lang) && !own {
                        ctx.warn(span, format!("state `{name}` expects yes or no, and there are no built-in `{lang}` words for them: add [flow.words.{lang}]"));
                    }
                }
                Input::YesNo
            }
            "phone" => Input::Phone,
            "zone" => {
                if self.zones.is_empty() {
                    ctx.error(&espan, format!("state `{name}` expects a zone, but no [zones.*] are defined in any flow file"));
                }
                Input::Zone
            }
            other => {
                ctx.error(&espan, format!("`expect = \"{other}\"` is not an input kind; use choice, text, number, yes_no, phone or zone"));
                Input::None
            }
        }
    }

    fn choices(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        raw: &RawState,
        espan: &Range<usize>,
    ) -> Vec<Choice> {
        if raw.choices.is_empty() {
            ctx.error(
                espan,
                format!("state `{name}` expects a choice but lists no `choices`"),
            );
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut choices = Vec::new();
        for (i, c) in raw.choices.iter().enumerate() {
            let cspan = c.span();
            let c = c.get_ref();
            if let raw::Words::PerLanguage(map) = &c.words {
                for lang in map.keys().filter(|l| !self.languages.contains(l)) {
                    ctx.error(&cspan, format!("a choice in state `{name}` has words in `{lang}`, which is not one of the flow's languages"));
                }
            }
            let mut words = Vec::new();
            for word in c.words.all() {
                let folded = fold(word);
                if compliance::is_carrier_word(&folded) {
                    ctx.error(&cspan, format!("a choice in state `{name}` matches `{word}`, a carrier word (STOP, CANCEL, HELP and the like) that never reaches a flow"));
                }
                match seen.get(&folded) {
                    Some(&other) if other != i => ctx.error(
                        &cspan,
                        format!("`{word}` matches two choices in state `{name}`"),
                    ),
                    _ => {
                        seen.insert(folded.clone(), i);
                    }
                }
                words.push(folded);
            }
            if let Some(lang) = c.set.get("lang").filter(|l| !self.languages.contains(l)) {
                let message = format!(
                    "a choice in state `{name}` switches to `{lang}`, which is not one of the flow's languages"
                );
                ctx.error(&cspan, message);
            }
            let next = c.next.as_ref().map(|n| self.next(ctx, n));
            choices.push(Choice {
                words,
                set: c.set.clone(),
                next,
            });
        }
        choices
    }

    fn actions(&self, ctx: &mut FileCtx<'_>, name: &str, raw: &RawState) -> Actions {
        let Some(action) = raw.action.as_ref() else {
            return Actions::default();
        };
        let span = action.span();
        let action = action.get_ref();
        let what = format!("the action of state `{name}`");
        let create_request = action.create_request.as_ref().map(|c| {
            self.template(ctx, &c.queue, &span, &what);
            for field in c.fields.iter().filter(|f| !self.known.contains(*f)) {
                ctx.error(
                    &span,
                    format!("{what} copies the answer `{field}`, which no state saves"),
                );
            }
            CreateRequest {
                queue: c.queue.clone(),
                fields: c.fields.clone(),
                priority: c.priority,
            }
        });
        if let Some(template) = &action.set_name {
            self.template(ctx, template, &span, &what);
        }
        Actions {
            create_request,
            set_name: action.set_name.clone(),
            handoff: action.handoff.clone(),
        }
    }
}

/// A text as it might be sent, for counting its cost: a request code is three characters and any
/// other placeholder ten (a name, a short answer).
pub fn as_sent(text: &str) -> String {
    render(text, |name| {
        Some(if name == REQUEST_CODE {
            "A77"
        } else {
            "xxxxxxxxxx"
        })
    })
}

/// Whether a prompt tells people to send CANCEL, END or QUIT ("reply CANCEL", "text end").
fn asks_for_carrier_word(text: &str) -> bool {
    let folded = fold(text);
    let words: Vec<&str> = folded.split(' ').collect();
    words.windows(2).any(|w| {
        matches!(
            w[0],
            "reply" | "text" | "send" | "responda" | "envie" | "escriba" | "mande"
        ) && compliance::SOUNDS_HARMLESS.contains(&w[1])
    })
}

/// Where each state can go next.
fn edges(state: &State) -> Vec<&str> {
    let mut out: Vec<&str> = state.next.iter().map(String::as_str).collect();
    out.extend(state.branches.iter().map(|b| b.next.as_str()));
    if let Input::Choice(choices) = &state.input {
        out.extend(choices.iter().filter_map(|c| c.next.as_deref()));
    }
    out
}

/// States nothing leads to, states with no way to an end, and circles of states that never wait
/// for an answer.
fn graph(ctx: &mut FileCtx<'_>, start: &str, states: &HashMap<String, State>, raw: &RawStates) {
    let span_of = |name: &str| raw.get(name).map(Spanned::span).unwrap_or(0..0);
    let mut reached = BTreeSet::from([start]);
    let mut todo = vec![start];
    while let Some(name) = todo.pop() {
        for next in states.get(name).map(edges).unwrap_or_default() {
            if states.contains_key(next) && reached.insert(next) {
                todo.push(next);
            }
        }
    }
    let mut names: Vec<&String> = states.keys().collect();
    names.sort();
    for name in &names {
        if !reached.contains(name.as_str()) {
            ctx.error(
                &span_of(name),
                format!("state `{name}` is never reached from the start state `{start}`"),
            );
        }
    }
    // Work back from the states that end the conversation (those with nowhere to go end it too;
    // when that is a mistake it is reported on its own).
    let mut can_end: BTreeSet<&str> = states
        .iter()
        .filter(|(_, s)| s.end || s.actions.handoff.is_some() || edges(s).is_empty())
        .map(|(n, _)| n.as_str())
        .collect();
    loop {
        let before = can_end.len();
        for (name, state) in states {
            if edges(state).iter().any(|n| can_end.contains(n)) {
                can_end.insert(name);
            }
        }
        if can_end.len() == before {
            break;
        }
    }
    for name in &names {
        if reached.contains(name.as_str()) && !can_end.contains(name.as_str()) {
            ctx.error(
                &span_of(name),
                format!("from state `{name}` no path leads to an end: it loops with no way out"),
            );
        }
    }
    // States that wait for nothing move on at once; a circle of them would never stop.
    if let Some(circle) = circle_without_waiting(states) {
        let message = format!(
            "states {} move on without waiting for an answer and come back round: it would never stop",
            circle.join(" → ")
        );
        ctx.error(&span_of(circle[0]), message);
    }
}

/// A circle among the states that wait for nothing, following every way out of each, if any:
/// the names in order, the first repeated at the end.
fn circle_without_waiting(states: &HashMap<String, State>) -> Option<Vec<&str>> {
    let waits_for_nothing = |n: &str| {
        states
            .get(n)
            .is_some_and(|s| matches!(s.input, Input::None))
    };
    let mut names: Vec<&str> = states
        .keys()
        .map(String::as_str)
        .filter(|n| waits_for_nothing(n))
        .collect();
    names.sort();
    let mut done = BTreeSet::new();
    for start in names {
        // Depth-first, keeping the current path to read the circle off it.
        let mut path: Vec<(&str, Vec<&str>)> = vec![(start, edges(&states[start]))];
        while let Some((_, todo)) = path.last_mut() {
            let Some(next) = todo.pop() else {
                let (finished, _) = path.pop().expect("the path is not empty");
                done.insert(finished);
                continue;
            };
            if !waits_for_nothing(next) || done.contains(next) {
                continue;
            }
            if let Some(at) = path.iter().position(|(n, _)| *n == next) {
                let mut circle: Vec<&str> = path[at..].iter().map(|(n, _)| *n).collect();
                circle.push(next);
                return Some(circle);
            }
            path.push((next, edges(&states[next])));
        }
    }
    None
}
