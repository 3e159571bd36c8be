//! Text helpers shared by the engine and the keyword matchers: folding what people type into one
//! comparable form, and filling `{answer}` placeholders.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed, punctuation dropped, runs of spaces collapsed:
/// `"  Español!! "` → `"espanol"`.
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
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            pending_space = true;
        }
    }
    out
}

/// Replaces `{name}` with the saved answer `name`. Unknown names are left as written (the flow
/// checker reports them), and `{{` stands for a literal brace.
pub fn render(template: &str, answers: &BTreeMap<String, String>) -> String {
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
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match answers.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
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
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("  Español!! "), "espanol");
        assert_eq!(fold("Groceries,   please"), "groceries please");
        assert_eq!(fold("ÑANDÚ"), "nandu");
        assert_eq!(fold("1."), "1");
    }

    #[test]
    fn placeholders_are_filled_from_answers() {
        let answers = BTreeMap::from([("need".to_string(), "groceries".to_string())]);
        assert_eq!(render("Queue: {need}!", &answers), "Queue: groceries!");
        assert_eq!(
            render("{unknown} {{literal}", &answers),
            "{unknown} {literal}"
        );
        assert_eq!(render("dangling {need", &answers), "dangling {need");
        assert_eq!(placeholders("{a} and {b} {{c}"), vec!["a", "b"]);
    }
}
