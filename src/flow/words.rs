//! The built-in yes, no and skip words, per language. A flow adds its own under
//! `[flow.words.LANG]`; a language without built-in words relies on those.

use super::model::Words;
use super::raw::RawWords;
use super::text::fold;

/// A language's words: (language, yes, no, skip).
type LanguageWords = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const BUILT_IN: &[LanguageWords] = &[
    (
        "en",
        &["yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay"],
        &["no", "n", "nope", "nah"],
        &["skip", "pass", "none", "next"],
    ),
    (
        "es",
        &["si", "s", "claro", "vale", "ok", "dale"],
        &["no", "nop"],
        &[
            "saltar",
            "paso",
            "omitir",
            "ninguno",
            "ninguna",
            "siguiente",
        ],
    ),
];

/// The words for a flow's languages, built-in and its own, folded and de-duplicated.
pub fn for_languages(
    languages: &[String],
    extra: &std::collections::BTreeMap<String, RawWords>,
) -> Words {
    let mut words = Words::default();
    // "skip" works in every language: it is what the docs and prompts teach.
    words.skip.push("skip".into());
    for language in languages {
        if let Some((_, yes, no, skip)) = BUILT_IN.iter().find(|(l, ..)| l == language) {
            words.yes.extend(yes.iter().map(|w| fold(w)));
            words.no.extend(no.iter().map(|w| fold(w)));
            words.skip.extend(skip.iter().map(|w| fold(w)));
        }
        if let Some(own) = extra.get(language) {
            words.yes.extend(own.yes.iter().map(|w| fold(w)));
            words.no.extend(own.no.iter().map(|w| fold(w)));
            words.skip.extend(own.skip.iter().map(|w| fold(w)));
        }
    }
    for list in [&mut words.yes, &mut words.no, &mut words.skip] {
        list.sort();
        list.dedup();
    }
    words
}

/// Whether a language has built-in yes/no words (a flow in another language must bring its own).
pub fn has_built_in(language: &str) -> bool {
    BUILT_IN.iter().any(|(l, ..)| *l == language)
}
