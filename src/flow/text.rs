//! Text helpers shared by the engine and the keyword matchers: folding what people type into one
//! comparable form, and filling `{answer}` placeholders.

use unicode_normalization::UnicodeNormalization;

/// The code points of zero in the decimal digit sets people text in (Arabic-Indic, Persian,
/// Devanagari, Bengali, Thai, fullwidth…); the nine digits after each follow in order.
const ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10,
];

/// A decimal digit from any of those sets as its ASCII digit.
pub fn ascii_digit(c: char) -> Option<char> {
    if c.is_ascii_digit() {
        return Some(c);
    }
    let code = c as u32;
    ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&code))
        .and_then(|zero| char::from_digit(code - zero, 10))
}

/// Lower case, accents removed, punctuation dropped, runs of spaces collapsed, every digit made
/// ASCII: `"  Español!! "` → `"espanol"`, `"٢"` → `"2"`.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            match ascii_digit(c) {
                Some(d) => out.push(d),
                None => out.extend(c.to_lowercase()),
            }
        } else if c.is_whitespace() {
            pending_space = true;
        }
    }
    out
}

/// Fills `{name}` placeholders from `lookup`. `{name|fallback}` gives the fallback when there
/// is no value (a skipped question); with no fallback the placeholder becomes empty. `{{` stands
/// for a literal brace.
pub fn render<'a>(template: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if let Some(stripped) = after.strip_prefix('{') {
            out.push('{');
            rest = stripped;
            continue;
        }
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let (name, fallback) = after[..close]
            .split_once('|')
            .unwrap_or((&after[..close], ""));
        out.push_str(lookup(name).filter(|v| !v.is_empty()).unwrap_or(fallback));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders a template uses.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(stripped) = after.strip_prefix('{') {
            rest = stripped;
            continue;
        }
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("  Español!! "), "espanol");
        assert_eq!(fold("Groceries,   please"), "groceries please");
        assert_eq!(fold("ÑANDÚ"), "nandu");
        assert_eq!(fold("1."), "1");
    }

    #[test]
    fn digits_typed_in_other_scripts_become_ascii() {
        assert_eq!(fold("٣"), "3");
        assert_eq!(fold("۴۲"), "42");
        assert_eq!(fold("९"), "9");
        assert_eq!(fold("２"), "2");
        assert_eq!(ascii_digit('x'), None);
    }

    #[test]
    fn placeholders_are_filled_from_answers_with_fallbacks_for_skipped_ones() {
        let answers = BTreeMap::from([("need".to_string(), "groceries".to_string())]);
        let lookup = |k: &str| answers.get(k).map(String::as_str);
        assert_eq!(render("Queue: {need}!", lookup), "Queue: groceries!");
        assert_eq!(render("Thanks, {name|friend}.", lookup), "Thanks, friend.");
        assert_eq!(render("{unknown}{{literal}", lookup), "{literal}");
        assert_eq!(render("dangling {need", lookup), "dangling {need");
        assert_eq!(placeholders("{a} and {b|x} {{c}"), vec!["a", "b|x"]);
    }
}
