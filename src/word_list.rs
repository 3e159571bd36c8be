//! A list of words as organisers write them in settings and flow files: one list for every
//! language, `["1", "food"]`, or a list per language, `{ en = ["food"], es = ["comida"] }`. A word
//! listed under a language also tells which language the person who sent it speaks.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum WordList {
    All(Vec<String>),
    PerLanguage(BTreeMap<String, Vec<String>>),
}

impl Default for WordList {
    fn default() -> Self {
        WordList::All(Vec::new())
    }
}

impl WordList {
    /// Each word, with the language it is listed under, if any.
    pub fn words(&self) -> Vec<(&String, Option<&String>)> {
        match self {
            WordList::All(words) => words.iter().map(|w| (w, None)).collect(),
            WordList::PerLanguage(map) => map
                .iter()
                .flat_map(|(lang, words)| words.iter().map(move |w| (w, Some(lang))))
                .collect(),
        }
    }

    /// The languages the list names, if it is per language.
    pub fn languages(&self) -> Vec<&String> {
        match self {
            WordList::All(_) => Vec::new(),
            WordList::PerLanguage(map) => map.keys().collect(),
        }
    }

    /// Every word, as `f` rewrites it (to compare texts in one form).
    pub fn map_words(&mut self, mut f: impl FnMut(&str) -> String) {
        let lists: Vec<&mut Vec<String>> = match self {
            WordList::All(words) => vec![words],
            WordList::PerLanguage(map) => map.values_mut().collect(),
        };
        for word in lists.into_iter().flatten() {
            *word = f(word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_per_language_says_the_language_of_each_word() {
        let list: WordList = toml::from_str::<BTreeMap<String, WordList>>(
            "w = { en = [\"help\"], es = [\"ayuda\", \"auxilio\"] }",
        )
        .unwrap()
        .remove("w")
        .unwrap();
        let words: Vec<(&str, Option<&str>)> = list
            .words()
            .into_iter()
            .map(|(w, l)| (w.as_str(), l.map(String::as_str)))
            .collect();
        assert_eq!(
            words,
            [
                ("help", Some("en")),
                ("ayuda", Some("es")),
                ("auxilio", Some("es"))
            ]
        );
        let plain = WordList::All(vec!["help".into()]);
        assert_eq!(plain.words()[0].1, None);
    }
}
