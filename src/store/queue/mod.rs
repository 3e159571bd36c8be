//! The dispatcher's view of open requests: what is waiting, in which lane, filtered and sorted.
//!
//! Open requests are read in one query and arranged here: the counts per status and the choices
//! offered in the filters come from the same pass, and the zone and the answers searched live
//! inside the JSON `fields`, which the two databases query differently. A busy day's two
//! thousand open requests take a few milliseconds this way. The neighbour's phone number is never
//! read.

mod arrange;
mod lane;
mod search;
mod urgency;

use std::collections::BTreeMap;

pub use arrange::{Filter, Queue, Sort, arrange};
pub use lane::Lane;
pub use search::Search;
pub use urgency::Urgency;
use urgency::score;

use super::{Conn, StoreError};
use crate::lifecycle::{EventKind, RequestStatus};

/// Requests a flow handed to a person land on this queue; they get a lane of their own.
pub const HANDOFF: &str = "handoff";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub code: String,
    pub queue: String,
    pub status: RequestStatus,
    pub zone: Option<String>,
    /// The name the neighbour asked to be called.
    pub name_to_use: Option<String>,
    pub priority: i64,
    pub created_at: i64,
    /// The neighbour's other answers, for searching only: they may hold a phone number.
    pub answers: Vec<String>,
    /// The dispatchers were alerted that it needs a person (nobody took it, nobody free speaks
    /// the neighbour's language).
    pub alerted: bool,
}

impl OpenItem {
    /// Its [`score`] at `now`: higher is more urgent.
    pub fn urgency_score(&self, now: i64) -> i64 {
        score(self.priority, now - self.created_at)
    }

    pub fn urgency(&self, now: i64) -> Urgency {
        Urgency::of(self.urgency_score(now))
    }
}

/// Every open request, oldest first.
pub async fn open(conn: &mut Conn) -> Result<Vec<OpenItem>, StoreError> {
    // A count rather than EXISTS: the two databases give back EXISTS as different types.
    let rows: Vec<(String, String, RequestStatus, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT code, queue, status, fields, priority, created_at, \
         (SELECT COUNT(*) FROM request_events e WHERE e.request_id = r.id AND e.kind = $1) \
         FROM requests r WHERE closed_at IS NULL ORDER BY created_at, id",
    )
    .bind(EventKind::Alert)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(
            |(code, queue, status, fields, priority, created_at, alerts)| {
                let mut fields: BTreeMap<String, String> = serde_json::from_str(&fields)
                    .map_err(|e| StoreError::Corrupt(format!("request {code} fields: {e}")))?;
                Ok(OpenItem {
                    zone: fields.remove("zone"),
                    name_to_use: fields.remove("name_to_use"),
                    answers: fields.into_values().collect(),
                    code,
                    queue,
                    status,
                    priority,
                    created_at,
                    alerted: alerts > 0,
                })
            },
        )
        .collect()
}

/// Changes whenever a request is made or changes, or a volunteer texts a code not offered to them
/// (the page alerts dispatchers to those): how many there are, and the latest time of each.
pub async fn fingerprint(conn: &mut Conn) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM requests) + (SELECT COUNT(*) FROM code_misses), \
         (SELECT COALESCE(MAX(updated_at), 0) FROM requests) \
         + (SELECT COALESCE(MAX(at), 0) FROM code_misses)",
    )
    .fetch_one(conn)
    .await?)
}
