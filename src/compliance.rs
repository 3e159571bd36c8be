//! STOP, START and HELP: the words carriers and regulators give a meaning to. They are recognised
//! before anything else, in every state of every conversation, and no flow can override them.

use std::collections::BTreeMap;

use crate::word_list::WordList;

/// What a compliance word asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
    Help,
}

/// Twilio's list (CANCEL, END and QUIT included: carriers read them as STOP too, which is why no
/// flow may ask a neighbour to send them).
const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
const OPT_IN: &[&str] = &["START", "UNSTOP"];
const HELP: &[&str] = &["HELP", "INFO"];

/// The group's compliance settings: words of its own on top of the carriers' (in the neighbours'
/// languages, say), and the confirmations it sends, per language.
/// Each list is one word per entry, for every language or per language (`help_words = { es =
/// ["AYUDA"] }`): a word listed under a language is answered in it when the line does not know the
/// sender's language yet.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compliance {
    pub opt_out_words: WordList,
    pub opt_in_words: WordList,
    pub help_words: WordList,
    /// Confirmations by language; `en` is required and is the fallback.
    pub replies: BTreeMap<String, Replies>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replies {
    pub opt_out: String,
    pub opt_in: String,
    pub help: String,
}

/// The language confirmations fall back to.
const FALLBACK: &str = "en";

impl Compliance {
    /// Checks the settings; the problem names the key.
    pub fn check(mut self) -> Result<Compliance, (String, String)> {
        for (key, words) in [
            ("opt_out_words", &mut self.opt_out_words),
            ("opt_in_words", &mut self.opt_in_words),
            ("help_words", &mut self.help_words),
        ] {
            words.map_words(normalise);
            if words
                .words()
                .iter()
                .any(|(w, _)| w.is_empty() || w.contains(char::is_whitespace))
            {
                return Err((
                    format!("compliance.{key}"),
                    "each entry must be one word, since only a text that is exactly one word counts".into(),
                ));
            }
            if let Some(language) = words
                .languages()
                .into_iter()
                .find(|l| !self.replies.contains_key(*l))
            {
                return Err((
                    format!("compliance.{key}.{language}"),
                    format!(
                        "there are no [compliance.replies.{language}] to answer in `{language}`"
                    ),
                ));
            }
        }
        if !self.replies.contains_key(FALLBACK) {
            return Err((
                "compliance.replies".into(),
                "needs an `en` table, the fallback for other languages".into(),
            ));
        }
        Ok(self)
    }

    /// Recognises a message that is exactly one compliance word, in any case and with
    /// punctuation around it ("Stop." counts, "stop texting me" is an ordinary message, as at
    /// Twilio). YES means opt in only while the sender is opted out; otherwise it is an answer
    /// like any other.
    pub fn classify(&self, body: &str, opted_out: bool) -> Option<Keyword> {
        let word = normalise(body);
        if word.is_empty() || word.contains(char::is_whitespace) {
            return None;
        }
        let ours = |list: &WordList| list.words().iter().any(|(w, _)| **w == word);
        let word = word.as_str();
        if OPT_OUT.contains(&word) || ours(&self.opt_out_words) {
            Some(Keyword::OptOut)
        } else if OPT_IN.contains(&word) || ours(&self.opt_in_words) || (opted_out && word == "YES")
        {
            Some(Keyword::OptIn)
        } else if HELP.contains(&word) || ours(&self.help_words) {
            Some(Keyword::Help)
        } else {
            None
        }
    }

    /// The language a compliance word is listed under, if it is (AYUDA: `es`).
    pub fn language_of(&self, body: &str) -> Option<&str> {
        let word = normalise(body);
        [&self.opt_out_words, &self.opt_in_words, &self.help_words]
            .into_iter()
            .flat_map(WordList::words)
            .find(|(w, _)| **w == word)
            .and_then(|(_, language)| language.map(String::as_str))
    }

    /// The confirmation for a keyword, in the contact's language when the group wrote one.
    pub fn confirmation(&self, keyword: Keyword, language: Option<&str>) -> &str {
        let replies = language
            .and_then(|l| self.replies.get(l))
            .or_else(|| self.replies.get(FALLBACK))
            .expect("checked: the fallback language is present");
        match keyword {
            Keyword::OptOut => &replies.opt_out,
            Keyword::OptIn => &replies.opt_in,
            Keyword::Help => &replies.help,
        }
    }
}

/// Upper case, trimmed of surrounding spaces and punctuation.
fn normalise(text: &str) -> String {
    text.trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_uppercase()
}

/// Whether a word is one of the carrier words above; a flow that offers it as an answer could never
/// receive it (and CANCEL, END or QUIT would opt the neighbour out).
pub fn is_carrier_word(word: &str) -> bool {
    let word = word.trim().to_uppercase();
    OPT_OUT.contains(&word.as_str())
        || OPT_IN.contains(&word.as_str())
        || HELP.contains(&word.as_str())
}

/// The carrier opt-out words that sound like ordinary requests; no prompt may ask for them.
pub const SOUNDS_HARMLESS: &[&str] = &["cancel", "end", "quit"];

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    use super::*;
    use crate::setting_error::{SettingError, invalid};

    /// The built-in defaults' `[compliance]` with `toml` layered over them, checked.
    fn settings(toml: &str) -> Result<Compliance, SettingError> {
        let layers = Figment::from(Toml::string(include_str!("defaults.toml")));
        let compliance: Compliance = layers
            .merge(Toml::string(toml))
            .extract_inner("compliance")?;
        compliance
            .check()
            .map_err(|(key, problem)| invalid(key, problem))
    }

    fn classify(body: &str, opted_out: bool) -> Option<Keyword> {
        settings("").unwrap().classify(body, opted_out)
    }

    #[test]
    fn the_groups_own_words_count_and_the_carriers_cannot_be_removed() {
        let c = settings("[compliance]\nopt_out_words = [\"basta\"]\nhelp_words = []").unwrap();
        assert_eq!(c.classify("Basta!", false), Some(Keyword::OptOut));
        assert_eq!(c.classify("STOP", false), Some(Keyword::OptOut));
        assert_eq!(c.classify("ayuda", false), None);
        assert_eq!(c.classify("help", false), Some(Keyword::Help));
    }

    #[test]
    fn a_word_listed_under_a_language_says_which_language_to_answer_in() {
        let c = settings("").unwrap();
        assert_eq!(c.language_of("Ayuda!"), Some("es"));
        assert_eq!(
            c.language_of("HELP"),
            None,
            "a carrier word is every language's"
        );
        let err = settings("[compliance]\nhelp_words = { fr = [\"AIDE\"] }").unwrap_err();
        assert!(
            err.to_string().contains("compliance.help_words.fr"),
            "{err}"
        );
    }

    #[test]
    fn spanish_words_and_replies_come_with_the_defaults() {
        let c = settings("").unwrap();
        assert_eq!(c.classify("ayuda", false), Some(Keyword::Help));
        assert_eq!(c.classify("parar", false), Some(Keyword::OptOut));
        assert!(
            c.confirmation(Keyword::Help, Some("es"))
                .starts_with("Somos una red")
        );
        // A language the group wrote nothing for gets English.
        assert!(
            c.confirmation(Keyword::Help, Some("fr"))
                .starts_with("This is")
        );
    }

    #[test]
    fn a_phrase_is_refused_as_a_compliance_word() {
        let err = settings("[compliance]\nopt_out_words = [\"no more\"]")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("compliance.opt_out_words"), "{err}");
    }

    #[test]
    fn every_carrier_opt_out_word_is_recognised_in_any_case() {
        for w in [
            "STOP",
            "stop",
            " Stop. ",
            "stopall",
            "Unsubscribe",
            "cancel",
            "END",
            "quit!",
            "revoke",
            "OptOut",
        ] {
            assert_eq!(classify(w, false), Some(Keyword::OptOut), "{w}");
        }
    }

    #[test]
    fn a_sentence_containing_stop_is_an_ordinary_message() {
        assert_eq!(classify("please stop by at 5", false), None);
        assert_eq!(classify("stop please", false), None);
        assert_eq!(classify("", false), None);
    }

    #[test]
    fn yes_opts_in_only_while_opted_out() {
        assert_eq!(classify("yes", true), Some(Keyword::OptIn));
        assert_eq!(classify("yes", false), None);
        assert_eq!(classify("UNSTOP", false), Some(Keyword::OptIn));
        assert_eq!(classify("start", true), Some(Keyword::OptIn));
    }

    #[test]
    fn help_and_info_ask_for_help() {
        assert_eq!(classify("help", false), Some(Keyword::Help));
        assert_eq!(classify("Info?", true), Some(Keyword::Help));
    }
}
