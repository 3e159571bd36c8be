//! Keeping the line usable when a number abuses it: a limit on how much one number may send
//! ([`SafetySettings`], applied by the intake), and a block list kept as keyed hashes
//! ([`blocks`]). docs/safety.md is the organisers' account of both.

pub mod blocks;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::dispatch::MAIN_LANGUAGE;
use crate::secret::Secret;

/// `[safety]` in the settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetySettings {
    /// The most texts one number may send in a while before the line stops hearing it.
    pub texts: Limit,
    /// The same for calls: a call counts once, however many questions it takes.
    pub calls: Limit,
    /// How long a number past a limit goes unheard.
    pub cool_off_minutes: u32,
    /// What a number past a limit is told once, by language: texted, or said on the call.
    pub notice: BTreeMap<String, String>,
    /// The key blocked numbers are hashed under. Without it nobody can be blocked.
    pub block_key: Option<Secret>,
}

/// At most `most` in any `minutes`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub most: u32,
    pub minutes: u32,
}

impl Limit {
    pub fn window_ms(&self) -> i64 {
        i64::from(self.minutes) * 60_000
    }
}

impl SafetySettings {
    /// The first problem, as (key, what is wrong).
    pub fn check(&self, min_secret_chars: usize) -> Result<(), (String, String)> {
        for (key, limit) in [("texts", self.texts), ("calls", self.calls)] {
            if limit.most == 0 || limit.minutes == 0 {
                let problem = "`most` and `minutes` must both be at least 1".to_string();
                return Err((format!("safety.{key}"), problem));
            }
        }
        if self.cool_off_minutes == 0 {
            return Err((
                "safety.cool_off_minutes".into(),
                "must be at least 1".into(),
            ));
        }
        if !self.notice.contains_key(MAIN_LANGUAGE) {
            let problem = format!("needs the main language, `{MAIN_LANGUAGE}`");
            return Err(("safety.notice".into(), problem));
        }
        if self
            .block_key
            .as_ref()
            .is_some_and(|k| k.expose().chars().count() < min_secret_chars)
        {
            let problem = format!("use at least {min_secret_chars} characters");
            return Err(("safety.block_key".into(), problem));
        }
        Ok(())
    }

    pub fn cool_off_ms(&self) -> i64 {
        i64::from(self.cool_off_minutes) * 60_000
    }

    /// The notice in `language` when the line knows it (else the main language's); in every
    /// language, the main one first, when it does not. Each as (language, words).
    pub fn notices(&self, language: Option<&str>) -> Vec<(&str, &str)> {
        let main = self.notice.get_key_value(MAIN_LANGUAGE).map(pair);
        match language {
            Some(language) => {
                let known = self.notice.get_key_value(language).map(pair);
                known.or(main).into_iter().collect()
            }
            None => {
                let others = self.notice.iter().filter(|(l, _)| *l != MAIN_LANGUAGE);
                main.into_iter().chain(others.map(pair)).collect()
            }
        }
    }
}

fn pair<'a>((language, words): (&'a String, &'a String)) -> (&'a str, &'a str) {
    (language.as_str(), words.as_str())
}
