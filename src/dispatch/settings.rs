//! `[dispatch]` in the settings: how each queue's requests reach volunteers, who is alerted when
//! one needs a person, and the texts dispatch sends, per language.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::flow::text::placeholders;
use crate::phone::{Phone, Region};
use crate::store::queue::HANDOFF;

/// The group's main language: dispatch texts fall back to it, and a volunteer who listed no
/// languages is taken to speak it.
pub const MAIN_LANGUAGE: &str = "en";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    alert_to: Vec<String>,
    queues: BTreeMap<String, RawQueue>,
    texts: BTreeMap<String, Texts>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueue {
    dispatch: Mode,
    first_wave: usize,
    escalate_after: String,
    second_wave: usize,
    alert_after: String,
    needs: Vec<String>,
}

/// How a queue's requests find a volunteer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Offered by text to matching volunteers, in waves.
    Offers,
    /// Left for a dispatcher to assign.
    Dispatcher,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub mode: Mode,
    pub first_wave: usize,
    pub escalate_after: Duration,
    pub second_wave: usize,
    pub alert_after: Duration,
    /// Capabilities a volunteer needs for this queue's requests (`car`, `money`, `heavy`).
    pub needs: Vec<String>,
}

/// Every text dispatch sends, in one language. Placeholders: `{code}`, the request's fields
/// (`{need}`, `{household}`, `{zone}`, `{when}`, `{items}`, `{cross_streets}`, `{notes}`,
/// `{name}` for the neighbour's name to use), `{volunteer}`, `{message}`, `{jobs}`, `{reason}`.
/// `{need}` reads as `needs` words it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub offer: String,
    pub yours: String,
    pub taken: String,
    pub unknown_code: String,
    pub not_yours: String,
    pub at_capacity: String,
    pub declined: String,
    pub picked_up: String,
    pub done: String,
    pub failed: String,
    pub dropped: String,
    pub cancelled: String,
    pub mine: String,
    pub mine_none: String,
    pub paused: String,
    pub resumed: String,
    pub hint: String,
    pub to_neighbour: String,
    pub to_volunteer: String,
    pub neighbour_claimed: String,
    pub neighbour_delivered: String,
    pub neighbour_confirmed: String,
    pub neighbour_not_received: String,
    pub neighbour_dropped: String,
    /// To the neighbour, when a dispatcher cancels their request.
    pub neighbour_cancelled: String,
    /// To a volunteer, when a dispatcher takes back a request they held.
    pub released: String,
    pub alert: String,
    /// To whoever reported a relay.
    pub report_received: String,
    /// To anyone reporting a code that is not theirs to report, or that does not exist.
    pub report_unknown: String,
    /// To a volunteer who reports without a code and does not hold exactly one job.
    pub report_which: String,
    /// To either side texting while their relay is paused.
    pub relay_paused: String,
    /// To a volunteer who left a relay (LEAVE).
    pub left_relay: String,
    /// To a volunteer texting a job whose relay they left.
    pub relay_left: String,
    /// To a neighbour texting after their volunteer left the relay.
    pub neighbour_relay_left: String,
    /// To both sides, when a dispatcher resumes a paused relay.
    pub relay_resumed: String,
    /// How `{need}` reads in this language, by the need's value (`prescription = "recoger
    /// medicinas"`); a need left out reads as its value.
    #[serde(default)]
    pub needs: BTreeMap<String, String>,
    /// How `{answers}` names each answer in this language (`pharmacy = "Farmacia"`); an answer
    /// left out is named by its key.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl Texts {
    /// How the need `value` reads in this language.
    pub fn need<'a>(&'a self, value: &'a str) -> &'a str {
        self.needs.get(value).map_or(value, String::as_str)
    }

    /// How the answer saved as `key` is named in this language.
    pub fn field(&self, key: &str) -> String {
        self.fields
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.replace('_', " "))
    }

    /// Every text, by its key.
    pub fn templates(&self) -> [(&'static str, &str); 35] {
        [
            ("offer", &self.offer),
            ("yours", &self.yours),
            ("taken", &self.taken),
            ("unknown_code", &self.unknown_code),
            ("not_yours", &self.not_yours),
            ("at_capacity", &self.at_capacity),
            ("declined", &self.declined),
            ("picked_up", &self.picked_up),
            ("done", &self.done),
            ("failed", &self.failed),
            ("dropped", &self.dropped),
            ("cancelled", &self.cancelled),
            ("mine", &self.mine),
            ("mine_none", &self.mine_none),
            ("paused", &self.paused),
            ("resumed", &self.resumed),
            ("hint", &self.hint),
            ("to_neighbour", &self.to_neighbour),
            ("to_volunteer", &self.to_volunteer),
            ("neighbour_claimed", &self.neighbour_claimed),
            ("neighbour_delivered", &self.neighbour_delivered),
            ("neighbour_confirmed", &self.neighbour_confirmed),
            ("neighbour_not_received", &self.neighbour_not_received),
            ("neighbour_dropped", &self.neighbour_dropped),
            ("neighbour_cancelled", &self.neighbour_cancelled),
            ("released", &self.released),
            ("alert", &self.alert),
            ("report_received", &self.report_received),
            ("report_unknown", &self.report_unknown),
            ("report_which", &self.report_which),
            ("relay_paused", &self.relay_paused),
            ("left_relay", &self.left_relay),
            ("relay_left", &self.relay_left),
            ("neighbour_relay_left", &self.neighbour_relay_left),
            ("relay_resumed", &self.relay_resumed),
        ]
    }

    /// The texts a volunteer (or anyone, for `report_unknown`) gets about a request they do not
    /// hold, and the placeholders they may use: the neighbour's corner, notes, name and answers go only to the volunteer who won it.
    const BEFORE_A_CLAIM: &[&str] = &[
        "offer",
        "taken",
        "unknown_code",
        "declined",
        "report_unknown",
    ];
    const SAYABLE_BEFORE_A_CLAIM: &[&str] = &["code", "need", "household", "zone", "when"];

    /// The first text sent before a claim that names something private, with that placeholder.
    fn leak(&self) -> Option<(&'static str, String)> {
        self.templates()
            .into_iter()
            .filter(|(name, _)| Self::BEFORE_A_CLAIM.contains(name))
            .find_map(|(name, text)| {
                placeholders(text)
                    .into_iter()
                    .map(|p| p.split('|').next().unwrap_or(p))
                    .find(|p| !Self::SAYABLE_BEFORE_A_CLAIM.contains(p))
                    .map(|p| (name, p.to_string()))
            })
    }
}

#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub alert_to: Vec<Phone>,
    pub queues: BTreeMap<String, Queue>,
    texts: BTreeMap<String, Texts>,
}

const CAPABILITIES: &[&str] = &["car", "money", "heavy"];

impl DispatchSettings {
    /// Reads the `[dispatch]` table; a problem comes back with its key.
    pub fn from_raw(
        value: &figment::value::Value,
        region: Region,
    ) -> Result<DispatchSettings, (String, String)> {
        let raw: Raw = value
            .deserialize()
            .map_err(|e| ("dispatch".to_string(), e.to_string()))?;
        let alert_to = raw
            .alert_to
            .iter()
            .map(|n| {
                Phone::parse(n, region)
                    .map_err(|e| ("dispatch.alert_to".to_string(), format!("`{n}` {e}")))
            })
            .collect::<Result<_, _>>()?;
        let mut queues = BTreeMap::new();
        for (name, q) in raw.queues {
            let key = |k: &str| format!("dispatch.queues.{name}.{k}");
            let duration = |k: &str, v: &str| {
                humantime::parse_duration(v)
                    .map_err(|_| (key(k), format!("`{v}` is not a duration like 30m or 2h")))
            };
            if let Some(unknown) = q.needs.iter().find(|n| !CAPABILITIES.contains(&n.as_str())) {
                return Err((
                    key("needs"),
                    format!("`{unknown}` is not one of {}", CAPABILITIES.join(", ")),
                ));
            }
            let queue = Queue {
                mode: q.dispatch,
                first_wave: q.first_wave,
                escalate_after: duration("escalate_after", &q.escalate_after)?,
                second_wave: q.second_wave,
                alert_after: duration("alert_after", &q.alert_after)?,
                needs: q.needs,
            };
            if queue.alert_after <= queue.escalate_after {
                return Err((
                    key("alert_after"),
                    "must be later than escalate_after".into(),
                ));
            }
            queues.insert(name, queue);
        }
        for (language, texts) in &raw.texts {
            if let Some((name, placeholder)) = texts.leak() {
                return Err((
                    format!("dispatch.texts.{language}.{name}"),
                    format!(
                        "`{{{placeholder}}}` would reach volunteers before one has claimed the request; use only {}",
                        Texts::SAYABLE_BEFORE_A_CLAIM
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        if !raw.texts.contains_key(MAIN_LANGUAGE) {
            return Err((
                "dispatch.texts".into(),
                "needs an `en` table, the fallback for other languages".into(),
            ));
        }
        Ok(DispatchSettings {
            alert_to,
            queues,
            texts: raw.texts,
        })
    }

    /// Every language's texts.
    pub fn all_texts(&self) -> impl Iterator<Item = (&str, &Texts)> {
        self.texts.iter().map(|(l, t)| (l.as_str(), t))
    }

    /// The texts in `language`, else English.
    pub fn texts(&self, language: Option<&str>) -> &Texts {
        language
            .and_then(|l| self.texts.get(l))
            .or_else(|| self.texts.get(MAIN_LANGUAGE))
            .expect("checked: the fallback language is present")
    }

    /// How a queue offers its requests by text; `None` for one left to dispatchers (as is a
    /// queue nobody configured). Only such offers can be claimed by text.
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        // A hand-off waits for a person and a sign-up for an admin, whatever the settings say:
        // neither may reach volunteers as an offer they could claim.
        if name == HANDOFF || name == super::SIGN_UP_QUEUE {
            return None;
        }
        self.queues.get(name).filter(|q| q.mode == Mode::Offers)
    }
}
