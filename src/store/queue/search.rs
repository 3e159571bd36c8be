//! Searching the queue for what a dispatcher remembers of a request: its code, the name to use,
//! the zone or words from the neighbour's answers. Both sides are folded (case, accents,
//! punctuation), and every word searched for must be found. Phone numbers a neighbour wrote in an
//! answer are left out of what is searched, so a number never finds anyone.

use crate::flow::text::fold;
use crate::phone::redact_numbers;

use super::OpenItem;

/// Folded words, each of which must be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(Vec<String>);

impl Search {
    /// `None` when there is nothing to search for.
    pub fn new(raw: &str) -> Option<Search> {
        let words: Vec<String> = words(raw).split_whitespace().map(str::to_string).collect();
        (!words.is_empty()).then_some(Search(words))
    }

    pub fn finds(&self, item: &OpenItem) -> bool {
        let mut text = words(&item.code);
        let written = [&item.name_to_use, &item.zone].into_iter().flatten();
        for value in written.chain(&item.answers) {
            text.push(' ');
            // Folded first, so that a number in any script's digits is seen as one.
            text.push_str(&without_numbers(words(value)));
        }
        self.0.iter().all(|word| text.contains(word.as_str()))
    }
}

/// Folded, punctuation parting words rather than joining them: `side-door` is two words, as is
/// `bread,milk`.
fn words(text: &str) -> String {
    // Most answers are plain ASCII, and a search reads every open request's: they skip the
    // Unicode decomposition, which would leave them as they are.
    if text.is_ascii() {
        return text
            .chars()
            .map(|c| match c.is_ascii_alphanumeric() {
                true => c.to_ascii_lowercase(),
                false => ' ',
            })
            .collect();
    }
    let spaced: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    fold(&spaced)
}

/// Folded words with each phone number dropped: masked first, then every masked word left out,
/// since even the digits a mask keeps would find the number.
fn without_numbers(words: String) -> String {
    if !words.bytes().any(|b| b.is_ascii_digit()) {
        return words;
    }
    redact_numbers(&words)
        .split_whitespace()
        .filter(|word| !word.contains('*'))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::RequestStatus;

    fn item(answers: &[&str]) -> OpenItem {
        OpenItem {
            code: "K7".into(),
            queue: "groceries".into(),
            status: RequestStatus::New,
            zone: Some("Northside".into()),
            name_to_use: Some("José".into()),
            priority: 0,
            created_at: 0,
            answers: answers.iter().map(|a| a.to_string()).collect(),
            alerted: false,
        }
    }

    fn finds(query: &str, item: &OpenItem) -> bool {
        Search::new(query).unwrap().finds(item)
    }

    #[test]
    fn a_code_a_name_a_zone_or_a_word_of_an_answer_finds_the_request() {
        let maria = item(&["bread, milk", "Side door; the bell is broken"]);
        for query in [
            "k7",
            "JOSE",
            "josé",
            "north",
            "MILK bread",
            "bell broken",
            "side-door",
        ] {
            assert!(finds(query, &maria), "{query}");
        }
        for query in ["rice", "milk rice", "southside"] {
            assert!(!finds(query, &maria), "{query}");
        }
    }

    #[test]
    fn a_phone_number_in_an_answer_is_never_found() {
        let with_number = item(&[
            "call me on (415) 555-0100 after 5",
            "+14155550100",
            "or ٤١٥٥٥٥٠١٩٩",
        ]);
        for query in ["0100", "555", "4155550100", "415", "4155550199", "0199"] {
            assert!(!finds(query, &with_number), "{query}");
        }
        assert!(
            finds("after 5", &with_number),
            "the rest of the answer is still searched"
        );
    }

    #[test]
    fn nothing_to_search_for_is_no_search() {
        assert_eq!(Search::new("  ,; "), None);
        assert_eq!(Search::new(""), None);
    }
}
