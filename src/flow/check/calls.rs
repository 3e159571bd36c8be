//! What a call needs of a flow: each choice has a key to press, 0 is left free for leaving a
//! message, and what is spoken is short enough to listen to.

use std::collections::BTreeMap;
use std::ops::Range;

use super::Checker;
use crate::flow::load::FileCtx;
use crate::flow::model::Choice;

/// The key that leaves a message at any question of a call.
pub const MESSAGE_KEY: &str = "0";
/// About twenty seconds of speech: a caller who must hold more than that in mind to answer
/// forgets the first options.
const LONGEST_SPOKEN: usize = 300;

/// The key that picks a choice on a call: its word that is a single digit.
pub fn key_of(choice: &Choice) -> Option<&str> {
    choice
        .words
        .iter()
        .map(String::as_str)
        .find(|w| w.len() == 1 && w.as_bytes()[0].is_ascii_digit())
}

impl Checker<'_> {
    /// Every choice of state `name` can be pressed, and none by 0.
    pub(super) fn call_keys(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        choices: &[Choice],
        span: &Range<usize>,
    ) {
        for (i, choice) in choices.iter().enumerate() {
            if choice.words.iter().any(|w| w == MESSAGE_KEY) {
                ctx.error(span, format!("a choice in state `{name}` matches `0`, which on a call leaves a message; number the choices from 1"));
            } else if key_of(choice).is_none() {
                ctx.warn(span, format!("choice {} of state `{name}` has no digit among its words, so a caller cannot press it; add one such as \"{}\"", i + 1, i + 1));
            }
        }
    }

    /// A state's spoken wording: only in the flow's languages, with known placeholders, and short
    /// enough to listen to. A language left out is spoken from `say`.
    pub(super) fn spoken(
        &self,
        ctx: &mut FileCtx<'_>,
        texts: &BTreeMap<String, String>,
        span: &Range<usize>,
        what: &str,
    ) {
        for (lang, text) in texts {
            if !self.languages.contains(lang) {
                ctx.error(
                    span,
                    format!(
                        "{what} has a text in `{lang}`, which is not one of the flow's languages"
                    ),
                );
            }
            self.template(ctx, text, span, &format!("{what} ({lang})"));
            let length = text.chars().count();
            if length > LONGEST_SPOKEN {
                ctx.warn(span, format!("{what} ({lang}) is {length} characters, about {} seconds to listen to; callers remember about twenty seconds of options", length / 15));
            }
        }
    }
}
