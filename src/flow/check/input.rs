//! The question a state asks (`expect`), and the answers a choice takes.

use std::collections::HashMap;
use std::ops::Range;

use super::{Checker, DEFAULT_MAX_MESSAGE, DEFAULT_MAX_TEXT};
use crate::compliance;
use crate::flow::load::FileCtx;
use crate::flow::model::{Choice, Input};
use crate::flow::raw::RawState;
use crate::flow::text::fold;
use crate::flow::words;

impl Checker<'_> {
    /// Reads `expect`; an unknown kind is reported and the state treated as asking nothing, so
    /// the rest of the flow is still checked.
    pub(super) fn input(
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
            "message" => Input::Message {
                max_length: raw.max_length.unwrap_or(DEFAULT_MAX_MESSAGE).max(1),
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
                ctx.error(&espan, format!("`expect = \"{other}\"` is not an input kind; use choice, text, message, number, yes_no, phone or zone"));
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
            for lang in c
                .words
                .languages()
                .into_iter()
                .filter(|l| !self.languages.contains(l))
            {
                ctx.error(&cspan, format!("a choice in state `{name}` has words in `{lang}`, which is not one of the flow's languages"));
            }
            let mut words = Vec::new();
            for (word, _) in c.words.words() {
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
}
