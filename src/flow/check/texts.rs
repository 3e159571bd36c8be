//! What every text is checked for: a version in each of the flow's languages, placeholders some
//! state fills, no carrier word asked for, and a cost within the flow's SMS budget.

use std::collections::BTreeMap;
use std::ops::Range;

use super::{CONTACT_NAME, Checker, REQUEST_CODE};
use crate::compliance;
use crate::flow::load::FileCtx;
use crate::flow::segments;
use crate::flow::text::{fold, placeholders, render};

impl Checker<'_> {
    /// Languages, translations, templates, carrier words and the SMS budget of one set of texts.
    pub(super) fn texts(
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

    pub(super) fn template(
        &self,
        ctx: &mut FileCtx<'_>,
        text: &str,
        span: &Range<usize>,
        what: &str,
    ) {
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
