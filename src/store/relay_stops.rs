//! `relay_stops`: requests whose relay passes no more messages, and why. A stop holds only while
//! the volunteer it was made with is still on the request.

use super::{Conn, StoreError};
use crate::lifecycle::{RelaySide, RelayState};

/// How a request's relay was stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayStop {
    pub volunteer_id: i64,
    pub state: RelayState,
    pub by: RelaySide,
    /// What the reporter said after the word, if anything.
    pub reason: Option<String>,
    pub at: i64,
}

/// The stop on `request_id` made with its volunteer `volunteer_id`, if there is one.
pub async fn holding(
    conn: &mut Conn,
    request_id: i64,
    volunteer_id: i64,
) -> Result<Option<RelayStop>, StoreError> {
    let row: Option<(RelayState, RelaySide, Option<String>, i64)> = sqlx::query_as(
        "SELECT state, by_side, reason, at FROM relay_stops \
         WHERE request_id = $1 AND volunteer_id = $2",
    )
    .bind(request_id)
    .bind(volunteer_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(state, by, reason, at)| RelayStop {
        volunteer_id,
        state,
        by,
        reason,
        at,
    }))
}

/// Stops the relay of `request_id`, replacing any earlier stop.
pub async fn stop(conn: &mut Conn, request_id: i64, stop: &RelayStop) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO relay_stops (request_id, volunteer_id, state, by_side, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (request_id) DO UPDATE SET volunteer_id = excluded.volunteer_id, \
         state = excluded.state, by_side = excluded.by_side, reason = excluded.reason, \
         at = excluded.at",
    )
    .bind(request_id)
    .bind(stop.volunteer_id)
    .bind(stop.state)
    .bind(stop.by)
    .bind(stop.reason.as_deref())
    .bind(stop.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Lets a paused relay pass messages again; false when it was not paused.
pub async fn resume(conn: &mut Conn, request_id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM relay_stops WHERE request_id = $1 AND state = $2")
        .bind(request_id)
        .bind(RelayState::Paused)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// An open request whose relay is stopped while its volunteer is still on it, as the queue page
/// lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    pub code: String,
    pub volunteer: String,
    pub stop: RelayStop,
}

/// Every open request whose relay is stopped, the latest stop first.
pub async fn open(conn: &mut Conn) -> Result<Vec<Stopped>, StoreError> {
    type Row = (
        String,
        i64,
        String,
        RelayState,
        RelaySide,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.code, s.volunteer_id, v.name_to_use, s.state, s.by_side, s.reason, s.at \
         FROM relay_stops s JOIN requests r ON r.id = s.request_id \
         JOIN volunteers v ON v.id = s.volunteer_id \
         WHERE r.closed_at IS NULL AND r.volunteer_id = s.volunteer_id ORDER BY s.at DESC",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(code, volunteer_id, volunteer, state, by, reason, at)| Stopped {
                code,
                volunteer,
                stop: RelayStop {
                    volunteer_id,
                    state,
                    by,
                    reason,
                    at,
                },
            },
        )
        .collect())
}
