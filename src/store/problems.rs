//! Texts that did not reach the person they were for (failed, undelivered, or held back because
//! the number opted out), as the dispatchers' problems panel lists them, and who marked each one
//! dealt with. The rows are `outbound_messages`; this module reads them and writes only the two
//! `dealt_with_*` columns.

use super::{Conn, StoreError};
use crate::lifecycle::{DeliveryState, OutboundKind};

/// Spelt out rather than bound: the partial index `outbound_problems` serves only queries that
/// repeat its condition word for word (see the migration that makes it).
const UNSENT: &str = "state IN ('failed', 'undelivered', 'suppressed')";

/// How far back the panel looks. Older problems drop off by themselves: a text that failed a
/// week ago is past acting on, and `aidline texts failed` still lists it.
pub const RECENT_DAYS: i64 = 7;

/// The first moment that still counts as recent.
pub fn recent_since(now: i64) -> i64 {
    now - RECENT_DAYS * 24 * 60 * 60 * 1000
}

/// Counts what [`count_waiting`] counts, from recent problems onward (`$1`).
fn count_waiting_sql() -> String {
    format!(
        "SELECT COUNT(*) FROM outbound_messages \
         WHERE {UNSENT} AND updated_at >= $1 AND dealt_with_at IS NULL"
    )
}

/// Recent problems nobody has dealt with yet: the number in the navigation, read on every page.
pub async fn count_waiting(conn: &mut Conn, now: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(count_waiting_sql()))
        .bind(recent_since(now))
        .fetch_one(conn)
        .await?)
}

/// Who a text was for. Numbers stay in the store's hands: the page masks the one it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Volunteer {
        id: i64,
        name: String,
    },
    /// Anyone else who texted the line, with the name they asked to be called, if they gave one.
    Neighbour {
        name: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub id: i64,
    /// When the text reached its end (the refusal, the report, the hold).
    pub at: i64,
    pub to_phone: String,
    pub kind: OutboundKind,
    pub state: DeliveryState,
    pub recipient: Recipient,
    /// The open request of the recipient (the neighbour's own, or one the volunteer holds).
    pub request: Option<String>,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    /// When, and by whom (`user:NAME`).
    pub dealt_with: Option<(i64, String)>,
}

type Row = (
    i64,
    i64,
    String,
    OutboundKind,
    DeliveryState,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// Recent problems, at most `limit`: those still waiting first (so a long list of dealt-with
/// ones never pushes one out), newest first. Both request look-ups are on the open requests'
/// partial indexes.
pub async fn recent(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<Problem>, StoreError> {
    let sql = format!(
        "SELECT o.id, o.updated_at, o.to_phone, o.kind, o.state, v.id, v.name_to_use, \
             c.name_to_use, \
             COALESCE((SELECT r.code FROM requests r WHERE r.closed_at IS NULL \
                     AND r.contact_id = o.contact_id ORDER BY r.id DESC LIMIT 1), \
                 (SELECT r.code FROM requests r WHERE r.closed_at IS NULL \
                     AND r.volunteer_id = v.id ORDER BY r.id DESC LIMIT 1)), \
             o.error_code, o.error_detail, o.dealt_with_at, o.dealt_with_by \
         FROM outbound_messages o JOIN contacts c ON c.id = o.contact_id \
         LEFT JOIN volunteers v ON v.contact_id = o.contact_id \
         WHERE o.{UNSENT} AND o.updated_at >= $1 \
         ORDER BY CASE WHEN o.dealt_with_at IS NULL THEN 0 ELSE 1 END, o.updated_at DESC, \
             o.id DESC LIMIT $2"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(recent_since(now))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                at,
                to_phone,
                kind,
                state,
                volunteer_id,
                volunteer_name,
                neighbour_name,
                request,
                error_code,
                error_detail,
                dealt_at,
                dealt_by,
            )| Problem {
                id,
                at,
                to_phone,
                kind,
                state,
                recipient: match (volunteer_id, volunteer_name) {
                    (Some(id), Some(name)) => Recipient::Volunteer { id, name },
                    _ => Recipient::Neighbour {
                        name: neighbour_name,
                    },
                },
                request,
                error_code,
                error_detail,
                dealt_with: dealt_at.zip(dealt_by),
            },
        )
        .collect())
}

/// Which problems a dispatcher marks dealt with.
#[derive(Debug, Clone, Copy)]
pub enum Marking {
    One(i64),
    /// Every one not yet dealt with that had reached its end by this moment: the ones the
    /// dispatcher's page showed, and none that came in after.
    ShownAt(i64),
}

/// Marks problems dealt with by `actor`; returns how many were still waiting. One somebody else
/// marked first keeps their name.
pub async fn mark_dealt_with(
    conn: &mut Conn,
    marking: Marking,
    actor: &str,
    now: i64,
) -> Result<u64, StoreError> {
    // "All" is what the page listed: recent problems, none newer than the page.
    let (which, value, since) = match marking {
        Marking::One(id) => ("id = $3", id, None),
        Marking::ShownAt(at) => (
            "updated_at <= $3 AND updated_at >= $4",
            at,
            Some(recent_since(now)),
        ),
    };
    let sql = format!(
        "UPDATE outbound_messages SET dealt_with_at = $1, dealt_with_by = $2 \
         WHERE {UNSENT} AND dealt_with_at IS NULL AND {which}"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(actor)
        .bind(value);
    if let Some(since) = since {
        query = query.bind(since);
    }
    let done = query.execute(conn).await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;

    #[test]
    fn the_spelt_out_states_are_the_unsent_ones() {
        let words: Vec<String> = DeliveryState::UNSENT
            .iter()
            .map(|s| format!("'{s}'"))
            .collect();
        assert_eq!(UNSENT, format!("state IN ({})", words.join(", ")));
    }

    #[tokio::test]
    async fn counting_reads_the_partial_index_alone() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        let sql = format!("EXPLAIN QUERY PLAN {}", count_waiting_sql());
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(0i64)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let detail = &plan[0].3;
        assert!(detail.contains("USING INDEX outbound_problems"), "{detail}");
    }
}
