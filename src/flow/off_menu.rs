//! Texts that do not follow the menu. A first text that is a sentence ("hola necesito comida para
//! mi familia") says more than any menu asks: it is kept for the person who reads the request,
//! and its language, when the words make it clear, answers the language question. The guess
//! looks at common words only; it says nothing when unsure, and the flow then asks as usual.

use super::text::fold;

/// Where the words no question could place are kept, and filed with the request.
pub const SAID: &str = "said";

/// Fewer words than this is a greeting or an answer, not a sentence.
const SENTENCE_WORDS: usize = 3;

/// Kept words stop growing here: enough for a dispatcher to read, not a place to store essays.
const MAX_SAID_CHARS: usize = 1000;

/// Everyday words of each language the line may guess, folded (lower case, no accents).
const COMMON_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "i",
            "im",
            "need",
            "help",
            "my",
            "the",
            "and",
            "food",
            "we",
            "have",
            "please",
            "is",
            "are",
            "mother",
            "mom",
            "sick",
            "for",
            "family",
            "with",
            "to",
            "of",
            "can",
            "you",
            "someone",
            "groceries",
            "medicine",
            "hello",
            "hi",
            "get",
            "am",
            "our",
            "any",
        ],
    ),
    (
        "es",
        &[
            "necesito",
            "necesitamos",
            "ayuda",
            "mi",
            "la",
            "el",
            "y",
            "comida",
            "tenemos",
            "por",
            "favor",
            "es",
            "mama",
            "madre",
            "enferma",
            "enfermo",
            "para",
            "familia",
            "con",
            "de",
            "que",
            "puede",
            "alguien",
            "hola",
            "medicinas",
            "medicina",
            "buenas",
            "buenos",
            "dias",
            "tardes",
            "quiero",
            "somos",
            "estoy",
            "hijos",
            "nos",
            "mis",
            "una",
            "un",
        ],
    ),
];

/// Whether a text is a sentence rather than a greeting, a keyword or a menu answer.
pub fn is_sentence(text: &str) -> bool {
    fold(text).split(' ').filter(|w| !w.is_empty()).count() >= SENTENCE_WORDS
}

/// The one of `languages` whose common words the text uses most, if one clearly leads.
pub fn guess_language<'a>(text: &str, languages: &'a [String]) -> Option<&'a str> {
    let folded = fold(text);
    let words: Vec<&str> = folded.split(' ').collect();
    let mut scores: Vec<(&str, usize)> = languages
        .iter()
        .filter_map(|language| {
            let (_, common) = COMMON_WORDS.iter().find(|(l, _)| l == language)?;
            let hits = words.iter().filter(|w| common.contains(w)).count();
            Some((language.as_str(), hits))
        })
        .collect();
    scores.sort_by_key(|(_, hits)| std::cmp::Reverse(*hits));
    match scores.as_slice() {
        [(language, best), rest @ ..] if *best > 0 && rest.iter().all(|(_, h)| h < best) => {
            Some(language)
        }
        _ => None,
    }
}

/// `said` with `words` added after what was kept before.
pub fn keep(said: Option<&String>, words: &str) -> String {
    let words = words.trim();
    let kept = match said {
        Some(before) if !before.is_empty() => format!("{before} / {words}"),
        _ => words.to_string(),
    };
    kept.chars().take(MAX_SAID_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both() -> Vec<String> {
        vec!["en".into(), "es".into()]
    }

    #[test]
    fn a_sentence_is_told_from_a_greeting_or_an_answer() {
        assert!(is_sentence("hola necesito comida para mi familia"));
        assert!(is_sentence("I need help"));
        assert!(!is_sentence("hola"));
        assert!(!is_sentence("bread, milk"));
        assert!(!is_sentence("  2  "));
    }

    #[test]
    fn the_language_of_a_sentence_is_guessed_from_its_everyday_words() {
        let languages = both();
        let guess = |text| guess_language(text, &languages);
        assert_eq!(guess("hola necesito comida para mi familia"), Some("es"));
        assert_eq!(guess("Buenas tardes, mi mamá está enferma"), Some("es"));
        assert_eq!(
            guess("hello i need help my mother is sick and we have no food"),
            Some("en")
        );
        assert_eq!(guess("pizza pizza pizza"), None, "no everyday words");
        assert_eq!(guess("no no no"), None, "a word of both");
        assert_eq!(guess_language("necesito ayuda", &["en".into()]), None);
    }

    #[test]
    fn words_are_kept_one_after_the_other_and_never_grow_without_end() {
        assert_eq!(keep(None, " pizza "), "pizza");
        assert_eq!(keep(Some(&"pizza".to_string()), "soup"), "pizza / soup");
        let long = "x".repeat(2 * MAX_SAID_CHARS);
        assert_eq!(keep(None, &long).chars().count(), MAX_SAID_CHARS);
    }
}
