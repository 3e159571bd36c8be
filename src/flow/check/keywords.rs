//! `[keywords]`: words that mean the same in every flow, and the replies they give.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;

use super::{Checker, DEFAULT_SEGMENT_BUDGET};
use crate::compliance;
use crate::flow::load::FileCtx;
use crate::flow::model::{Forget, Keyword, Keywords, Texts, Zones};
use crate::flow::raw;
use crate::flow::text::fold;
use crate::lifecycle::RequestStatus;
use crate::word_list::WordList;

/// The replies a keywords table may give.
const KEYWORD_REPLIES: &[&str] = &[
    "status",
    "status_none",
    "cancelled",
    "cancel_none",
    "person",
    "pictures",
    "thanks",
    "forget_ask",
    "forget_done",
    "forget_nothing",
];

/// What the line says to someone asking to be forgotten: every one is needed once the words are.
const FORGET_REPLIES: &[&str] = &["forget_ask", "forget_done", "forget_nothing"];

/// Checks the `[keywords]` table: no carrier words, no word with two meanings, replies known
/// and translated.
pub(in crate::flow) fn keywords(ctx: &mut FileCtx<'_>, raw: Spanned<raw::RawKeywords>) -> Keywords {
    let span = raw.span();
    let raw = raw.into_inner();
    let mut taken = Vec::new();
    let lists = [
        (&raw.status, Keyword::Status),
        (&raw.cancel, Keyword::Cancel),
        (&raw.person, Keyword::Person),
        (&raw.restart, Keyword::Restart),
        (&raw.thanks, Keyword::Thanks),
    ];
    let words = checked_words(ctx, &span, &raw, lists, &mut taken);
    let forget_lists = [
        (&raw.forget, Forget::Ask),
        (&raw.forget_confirm, Forget::Confirm),
    ];
    let forget = checked_words(ctx, &span, &raw, forget_lists, &mut taken);
    let asks = forget.iter().any(|(_, f, _)| *f == Forget::Ask);
    let confirms = forget.iter().any(|(_, f, _)| *f == Forget::Confirm);
    if asks != confirms {
        ctx.error(&span, "`forget` and `forget_confirm` go together: someone who asks to be forgotten confirms it with a reply of its own".to_string());
    }
    for name in FORGET_REPLIES.iter().filter(|_| asks) {
        if !raw.say.contains_key(*name) {
            ctx.error(
                &span,
                format!("[keywords.say] needs `{name}` since the keywords list `forget` words"),
            );
        }
    }
    let mut statuses = BTreeMap::new();
    for (language, names) in &raw.statuses {
        if !raw.languages.contains(language) {
            ctx.error(
                &span,
                format!(
                    "[keywords.statuses.{language}] is for a language the keywords do not list"
                ),
            );
        }
        let mut words = BTreeMap::new();
        for (name, word) in names {
            match name.parse::<RequestStatus>() {
                Ok(status) => {
                    words.insert(status, word.clone());
                }
                Err(_) => ctx.error(&span, format!("[keywords.statuses.{language}] has `{name}`, which is not a request status; use {}", RequestStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))),
            }
        }
        statuses.insert(language.clone(), words);
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
        forget,
        languages: raw.languages,
        say,
        statuses,
    }
}

/// The words of `lists`, folded, each with its meaning and language; a carrier word, a word
/// already `taken` by another keyword or an unknown language is an error.
fn checked_words<K: Copy, const N: usize>(
    ctx: &mut FileCtx<'_>,
    span: &Range<usize>,
    raw: &raw::RawKeywords,
    lists: [(&Option<WordList>, K); N],
    taken: &mut Vec<String>,
) -> Vec<(String, K, Option<String>)> {
    let mut words = Vec::new();
    for (list, keyword) in lists {
        for (word, language) in list.iter().flat_map(|l| l.words()) {
            let folded = fold(word);
            if compliance::is_carrier_word(&folded) {
                ctx.error(span, format!("the keyword `{word}` is a carrier word (STOP, CANCEL, END, QUIT, HELP and the like): carriers act on it before we see it; use two words, such as \"cancel request\""));
            } else if taken.contains(&folded) {
                ctx.error(span, format!("the keyword `{word}` is listed twice"));
            }
            if let Some(language) = language.filter(|l| !raw.languages.contains(l)) {
                ctx.error(span, format!("the keyword `{word}` is listed under `{language}`, which is not one of the keywords' languages"));
            }
            taken.push(folded.clone());
            words.push((folded, keyword, language.cloned()));
        }
    }
    words
}
