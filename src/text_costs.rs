//! What every text the line can send costs in SMS: the flows' prompts, keyword replies, the
//! compliance confirmations, everything dispatch sends and the text to a caller who hung up, each with its placeholders filled at
//! their longest, as it goes out and with smart encoding. A text over its budget says why.
//!
//! "Longest" is what the settings bound: the longest choice a flow saves, zone name, need label,
//! volunteer name and request code. What a person types (notes, a relayed message) has no bound an
//! organiser can write around, so it is left empty and named instead.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Settings;
use crate::dispatch::offers::{NOT_LISTED, render_job};
use crate::flow::segments::{self, Segments};
use crate::flow::text::{placeholders, render};
use crate::flow::{CONTACT_NAME, Flow, Flows, Input, REQUEST_CODE};
use crate::lifecycle::RequestStatus;
use crate::roster::MAX_NAME_CHARS;
use crate::store::requests::Request;

/// A request code once a thousand requests are open: a letter and three digits.
const LONGEST_CODE: &str = "K777";
/// Dispatch texts (and compliance confirmations) are meant to fit one SMS.
const DISPATCH_BUDGET: usize = 1;
/// Dispatch placeholders no setting bounds: what a person typed, a relayed message, a volunteer's
/// growing list of jobs.
const OPEN_ENDED: &[&str] = &["message", "reason", "jobs", "name"];

/// One text in one language, and what it costs.
#[derive(Debug, Clone)]
pub struct TextCost {
    /// Where it is written: `intake: ask_need`, `dispatch.texts.es.yours`.
    pub name: String,
    pub language: String,
    /// As it goes out, with every bounded placeholder at its longest.
    pub cost: Segments,
    /// The same text with smart encoding (`smart_encoding = true` on the line).
    pub smart: Segments,
    /// Whether every line sends with smart encoding, so `smart` is what it costs.
    pub smart_everywhere: bool,
    pub budget: usize,
    /// Placeholders that add whatever a person typed, left out of the cost.
    pub open_ended: Vec<String>,
    /// Typed answers `{answers}` would list, also left out of the cost.
    pub typed_answers: Vec<String>,
    /// The bounded placeholders that add the most, with the characters each adds at its longest.
    pub biggest: Vec<(String, usize)>,
}

impl TextCost {
    /// What it costs on the lines that send it.
    pub fn sent(&self) -> Segments {
        if self.smart_everywhere {
            self.smart
        } else {
            self.cost
        }
    }

    pub fn over_budget(&self) -> bool {
        self.sent().count > self.budget
    }

    /// Why the text costs what it does, for an organiser deciding what to cut.
    pub fn why(&self) -> String {
        let mut reasons = Vec::new();
        if let Some(c) = self.sent().forcing_ucs2 {
            let mut reason = format!(
                "UCS-2 (70 characters an SMS) because of {}",
                segments::describe(c)
            );
            if !self.smart_everywhere && self.smart.count < self.cost.count {
                reason.push_str(&format!(
                    "; with smart encoding it is {} segment{}",
                    self.smart.count,
                    if self.smart.count == 1 { "" } else { "s" }
                ));
            }
            reasons.push(reason);
        }
        let adds: Vec<String> = self
            .biggest
            .iter()
            .map(|(p, n)| format!("{{{p}}} adds up to {n} characters"))
            .collect();
        if !adds.is_empty() {
            reasons.push(adds.join(", "));
        }
        let mut typed = self
            .open_ended
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(", ");
        if !self.typed_answers.is_empty() {
            let answers = format!("the answers {}", self.typed_answers.join(", "));
            typed = if typed.is_empty() {
                answers
            } else {
                format!("{typed} and {answers}")
            };
        }
        if !typed.is_empty() {
            reasons.push(format!("plus whatever is typed into {typed}"));
        }
        reasons.join("; ")
    }
}

/// Every text the line can send, in every language it is written in; `smart_everywhere` when
/// every line sends with smart encoding.
pub fn costs(flows: &Flows, settings: &Settings, smart_everywhere: bool) -> Vec<TextCost> {
    let Settings {
        dispatch,
        compliance,
        voice,
        safety,
        ..
    } = settings;
    let longest = Longest::of(flows);
    let mut all = Vec::new();
    let mut ids = flows.ids();
    ids.sort();
    for id in ids {
        if let Some(flow) = flows.get(id) {
            flow_costs(flow, &longest, &mut all);
        }
    }
    let keywords = flows.keywords();
    for (name, texts) in &keywords.say {
        for (language, text) in texts.iter() {
            let status = RequestStatus::ALL
                .iter()
                .map(|s| keywords.status(*s, language))
                .max_by_key(|w| w.chars().count())
                .unwrap_or_default();
            let fill = |t: &str| {
                render(t, |k| match k {
                    REQUEST_CODE => Some(LONGEST_CODE),
                    "request.status" => Some(status),
                    _ => None,
                })
            };
            let cost = measure(&format!("keywords: {name}"), language, text, 1, &[], &fill);
            all.push(cost);
        }
    }
    for (language, replies) in &compliance.replies {
        for (name, text) in [
            ("opt_out", &replies.opt_out),
            ("opt_in", &replies.opt_in),
            ("help", &replies.help),
        ] {
            let name = format!("compliance.replies.{language}.{name}");
            all.push(measure(&name, language, text, DISPATCH_BUDGET, &[], &|t| {
                t.to_string()
            }));
        }
    }
    for (language, texts) in &voice.texts {
        // Texted, not spoken: it leads the question a caller who hung up was at.
        let name = format!("voice.texts.{language}.carry_on");
        let text = &texts.carry_on;
        all.push(measure(&name, language, text, DISPATCH_BUDGET, &[], &|t| {
            t.to_string()
        }));
    }
    for (language, text) in &safety.notice {
        let name = format!("safety.notice.{language}");
        all.push(measure(&name, language, text, DISPATCH_BUDGET, &[], &|t| {
            t.to_string()
        }));
    }
    for (language, texts) in dispatch.all_texts() {
        let job = longest.request(|need| texts.need(need));
        let volunteer = "x".repeat(MAX_NAME_CHARS);
        let extra = [("volunteer", volunteer.as_str())];
        let fill = |t: &str| render_job(texts, t, &job, &extra);
        for (name, text) in texts.templates() {
            let open: Vec<&str> = OPEN_ENDED
                .iter()
                .copied()
                .chain(longest.typed.iter().map(String::as_str))
                .collect();
            let name = format!("dispatch.texts.{language}.{name}");
            all.push(measure(
                &name,
                language,
                text,
                DISPATCH_BUDGET,
                &open,
                &fill,
            ));
        }
    }
    for cost in &mut all {
        cost.smart_everywhere = smart_everywhere;
    }
    all
}

/// A flow's prompts, retry texts, give-up and idle texts.
fn flow_costs(flow: &Flow, longest: &Longest, all: &mut Vec<TextCost>) {
    let mut names: Vec<&String> = flow.states.keys().collect();
    names.sort();
    let states = names.into_iter().flat_map(|n| {
        let state = &flow.states[n];
        [
            (n.clone(), &state.say),
            (format!("{n} (invalid)"), &state.invalid),
            (format!("{n} (thanks)"), &state.thanks),
        ]
    });
    let whole = [
        ("(give_up)".to_string(), &flow.give_up),
        ("(remind)".to_string(), &flow.idle.remind),
        ("(expired)".to_string(), &flow.idle.expired),
    ];
    let open: Vec<&str> = longest
        .typed
        .iter()
        .map(String::as_str)
        .chain([CONTACT_NAME])
        .collect();
    let fill = |t: &str| {
        render(t, |k| match k {
            REQUEST_CODE => Some(LONGEST_CODE),
            _ => longest.answers.get(k).map(String::as_str),
        })
    };
    for (name, texts) in states.chain(whole) {
        for (language, text) in texts.iter() {
            let name = format!("{}: {name}", flow.id);
            all.push(measure(
                &name,
                language,
                text,
                flow.segment_budget,
                &open,
                &fill,
            ));
        }
    }
}

/// Costs `template` filled by `fill`, and finds which bounded placeholders add the most.
fn measure(
    name: &str,
    language: &str,
    template: &str,
    budget: usize,
    open_ended: &[&str],
    fill: &dyn Fn(&str) -> String,
) -> TextCost {
    let sent = fill(template);
    let length = sent.chars().count();
    let mut biggest = Vec::new();
    let mut open = Vec::new();
    let mut typed_answers = Vec::new();
    for placeholder in placeholders(template) {
        let key = placeholder.split('|').next().unwrap_or(placeholder);
        if key == "answers" {
            // `{answers}` lists every answer the text does not name, typed ones too.
            let named: Vec<&str> = placeholders(template)
                .into_iter()
                .map(|p| p.split('|').next().unwrap_or(p))
                .collect();
            typed_answers = open_ended
                .iter()
                .filter(|t| {
                    !OPEN_ENDED.contains(t) && !NOT_LISTED.contains(t) && !named.contains(t)
                })
                .map(|t| t.to_string())
                .collect();
        }
        if open_ended.contains(&key) {
            if !open.contains(&key.to_string()) {
                open.push(key.to_string());
            }
            continue;
        }
        let without = fill(&template.replace(&format!("{{{placeholder}}}"), ""));
        let adds = length.saturating_sub(without.chars().count());
        if adds >= 10 && !biggest.iter().any(|(k, _)| k == key) {
            biggest.push((key.to_string(), adds));
        }
    }
    biggest.sort_by_key(|b| std::cmp::Reverse(b.1));
    TextCost {
        name: name.to_string(),
        language: language.to_string(),
        cost: segments::count(&sent),
        smart: segments::count(&segments::smart_encode(&sent)),
        smart_everywhere: false,
        budget,
        open_ended: open,
        typed_answers,
        biggest,
    }
}

/// The longest value the flows can save under each answer's name, and the answers people type.
struct Longest {
    answers: BTreeMap<String, String>,
    /// Every value a choice can save, for answers a dispatch text names in its own words (`need`).
    choices: BTreeMap<String, BTreeSet<String>>,
    typed: BTreeSet<String>,
}

impl Longest {
    fn of(flows: &Flows) -> Longest {
        let mut longest = Longest {
            answers: BTreeMap::new(),
            choices: BTreeMap::new(),
            typed: BTreeSet::new(),
        };
        let zone = flows
            .zone_names()
            .into_iter()
            .max_by_key(|z| z.chars().count())
            .unwrap_or_default()
            .to_string();
        for id in flows.ids() {
            let Some(flow) = flows.get(id) else { continue };
            for state in flow.states.values() {
                let key = &state.save_as;
                match &state.input {
                    Input::None => {}
                    Input::Choice(choices) => {
                        for (k, v) in choices.iter().flat_map(|c| &c.set) {
                            longest.offer(k, v.clone());
                            longest
                                .choices
                                .entry(k.clone())
                                .or_default()
                                .insert(v.clone());
                        }
                    }
                    Input::Text { .. } | Input::Message { .. } => {
                        longest.typed.insert(key.clone());
                    }
                    Input::Number { min, max } => {
                        longest.offer(key, min.to_string());
                        longest.offer(key, max.to_string());
                    }
                    Input::YesNo => longest.offer(key, "yes".into()),
                    Input::Phone => longest.offer(key, format!("+{}", "7".repeat(15))),
                    Input::Zone => longest.offer(key, zone.clone()),
                }
            }
        }
        longest
    }

    fn offer(&mut self, key: &str, value: String) {
        let slot = self.answers.entry(key.to_string()).or_default();
        if value.chars().count() > slot.chars().count() {
            *slot = value;
        }
    }

    /// A request holding every bounded answer at its longest, `need` the one whose label (by
    /// `label`) is longest.
    fn request<'a>(&'a self, label: impl Fn(&'a str) -> &'a str) -> Request {
        let mut fields = self.answers.clone();
        if let Some(need) = self
            .choices
            .get("need")
            .and_then(|needs| needs.iter().max_by_key(|n| label(n).chars().count()))
        {
            fields.insert("need".into(), need.clone());
        }
        Request {
            id: 0,
            code: LONGEST_CODE.into(),
            queue: String::new(),
            status: RequestStatus::New,
            line: String::new(),
            fields,
            volunteer_id: None,
            contact_id: 0,
            phone: String::new(),
            language: None,
        }
    }
}

#[cfg(test)]
mod tests;
