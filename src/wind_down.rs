//! A group that stops taking requests: with `[wind_down] referral` set, whoever would start or
//! carry on an intake conversation is told where to turn instead (by text at most once a day, or
//! on a call, which then ends), and no new request is made. Jobs already held go on as before:
//! volunteers' commands, the relay, STATUS and cancelling are untouched.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use crate::store::{Conn, StoreError, value_list};

/// A text is sent to one person at most this often.
pub const REFERRAL_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// `[wind_down]` in the settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindDown {
    /// Where to turn now, per language (`referral.en = "…"`); the line winds down when set.
    #[serde(default)]
    pub referral: BTreeMap<String, String>,
}

impl WindDown {
    pub fn is_on(&self) -> bool {
        !self.referral.is_empty()
    }

    /// The referral in `language`, or in every language when it is not known or has none.
    pub fn referral(&self, language: Option<&str>) -> String {
        match language.and_then(|l| self.referral.get(l)) {
            Some(text) => text.clone(),
            None => self.every_language(),
        }
    }

    fn every_language(&self) -> String {
        let texts: Vec<&str> = self.referral.values().map(String::as_str).collect();
        texts.join(" / ")
    }

    pub fn check(&self) -> Result<(), (String, &'static str)> {
        match self
            .referral
            .iter()
            .find(|(_, text)| text.trim().is_empty())
        {
            Some((language, _)) => Err((
                format!("wind_down.referral.{language}"),
                "is empty: leave the language out, or say where to turn",
            )),
            None => Ok(()),
        }
    }

    /// Which of `contact_ids` were sent a referral (in any of its wordings) since `since`.
    pub async fn referred_since(
        &self,
        conn: &mut Conn,
        contact_ids: &[i64],
        since: i64,
    ) -> Result<HashSet<i64>, StoreError> {
        let bodies: Vec<String> = self
            .referral
            .values()
            .cloned()
            .chain([self.every_language()])
            .collect();
        let sql = format!(
            "SELECT DISTINCT contact_id FROM outbound_messages WHERE created_at >= $1 \
             AND contact_id IN ({}) AND body IN ({})",
            value_list(2, contact_ids.len()),
            value_list(2 + contact_ids.len(), bodies.len()),
        );
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(since);
        for id in contact_ids {
            query = query.bind(*id);
        }
        for body in bodies {
            query = query.bind(body);
        }
        Ok(query.fetch_all(conn).await?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_referral_is_in_the_persons_language_or_in_all_of_them() {
        let wind_down = WindDown {
            referral: BTreeMap::from([
                ("en".into(), "Text 555-0199.".into()),
                ("es".into(), "Escriba al 555-0199.".into()),
            ]),
        };
        assert!(wind_down.is_on() && !WindDown::default().is_on());
        assert_eq!(wind_down.referral(Some("es")), "Escriba al 555-0199.");
        let both = "Text 555-0199. / Escriba al 555-0199.";
        assert_eq!(wind_down.referral(None), both);
        assert_eq!(wind_down.referral(Some("fr")), both);
    }
}
