//! A group that stops taking requests: with `[wind_down] referral` set, whoever would start or
//! carry on an intake conversation is told where to turn instead (by text at most once a day, or
//! on a call, which then ends), and no new request is made. Jobs already held go on as before:
//! volunteers' commands, the relay, STATUS and cancelling are untouched.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use crate::dispatch::{self, DispatchSettings, SIGN_UP_QUEUE};
use crate::lifecycle::{OutboundKind, RequestStatus};
use crate::store::outbound::{self, NewOutbound};
use crate::store::{Conn, Db, StoreError, contacts, requests, value_list};

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

    /// The referral as (language, words): in `language` when it has one, else in each.
    pub fn referrals(&self, language: Option<&str>) -> Vec<(&str, &str)> {
        match language.and_then(|l| self.referral.get_key_value(l)) {
            Some((l, text)) => vec![(l.as_str(), text.as_str())],
            None => self
                .referral
                .iter()
                .map(|(l, t)| (l.as_str(), t.as_str()))
                .collect(),
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

/// Records the cancellations in each request's history.
const ACTOR: &str = "wind_down";

/// A request nobody has claimed yet, with whom to tell.
type Unclaimed = (i64, i64, String, String, Option<String>);

/// Once, when the line first starts winding down: each neighbour whose request no volunteer has
/// claimed is texted the referral and the request is cancelled, so no volunteer is offered it
/// any more. Jobs volunteers hold are left to finish. Returns how many were closed; none when
/// the notice went out before (from this copy of the service or another).
pub async fn announce(
    db: &Db,
    wind_down: &WindDown,
    settings: &DispatchSettings,
    now: i64,
) -> Result<u64, StoreError> {
    if !wind_down.is_on() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "INSERT INTO wind_down_notice (id, sent_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(0);
    }
    let unclaimed: Vec<Unclaimed> = sqlx::query_as(
        "SELECT r.id, r.contact_id, r.line, c.phone, c.language FROM requests r \
         JOIN contacts c ON c.id = r.contact_id \
         WHERE r.closed_at IS NULL AND r.status IN ($1, $2) AND r.queue <> $3 ORDER BY r.id",
    )
    .bind(RequestStatus::CLAIMABLE[0])
    .bind(RequestStatus::CLAIMABLE[1])
    .bind(SIGN_UP_QUEUE)
    .fetch_all(&mut *tx)
    .await?;
    if unclaimed.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    // Locked as handling a text locks them, so a neighbour's text waits for their notice.
    let mut ids: Vec<i64> = unclaimed.iter().map(|u| u.1).collect();
    ids.sort_unstable();
    ids.dedup();
    contacts::lock_many(&mut tx, db.backend(), &ids).await?;
    let mut closed = 0;
    for (request, contact_id, line, phone, language) in unclaimed {
        let detail = Some("the group stopped taking requests");
        let status = RequestStatus::Cancelled;
        match requests::set_status(&mut tx, request, status, ACTOR, detail, now).await {
            // A volunteer claimed it before the lock: it is a job held, and carries on.
            Err(StoreError::NotAllowed(_)) => continue,
            done => done?,
        }
        dispatch::on_cancelled(&mut tx, settings, request, now).await?;
        let body = wind_down.referral(language.as_deref());
        let text = NewOutbound {
            contact_id,
            line: &line,
            to: &phone,
            body: &body,
            kind: OutboundKind::Notice,
            inbound_id: None,
            spoken: false,
            spoken_audio: None,
        };
        outbound::enqueue_many(&mut tx, &[text], now).await?;
        closed += 1;
    }
    tx.commit().await?;
    tracing::info!(
        closed,
        "winding down: neighbours waiting for a volunteer were told"
    );
    Ok(closed)
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
